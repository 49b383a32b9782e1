"""The store and inventory services over HTTP, as the recording use case connects to them:
a fresh pair of clients per replication, so that replications running side by side in
threads each keep their own connections."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
from customer_sim.infrastructure.inventory_client import InventoryClient
from customer_sim.infrastructure.store_client import StoreClient

#: How often `HttpServices.check` asks services that are starting whether they answer yet.
POLL_SECONDS = 0.1


class HttpServices:
    def __init__(
        self, store_url: str, inventory_url: str, timeout_seconds: float, retries: int
    ) -> None:
        self.store_url = store_url
        self.inventory_url = inventory_url
        self.options = {"timeout_seconds": timeout_seconds, "retries": retries}

    @contextmanager
    def connect(self) -> Iterator[tuple[StoreClient, InventoryClient]]:
        """Clients to both services, after checking that both answer (bounded retries;
        `ServiceUnreachable` otherwise)."""
        with StoreClient(self.store_url, **self.options) as store:
            with InventoryClient(self.inventory_url, **self.options) as inventory:
                store.health()
                inventory.health()
                yield store, inventory

    def check(self, wait_seconds: float = 0) -> None:
        """Fail early, before anything is recorded, when a service does not answer; first
        give services that are still starting up to ``wait_seconds`` to answer (asked every
        `POLL_SECONDS`, where the clients' retries would back off ever longer)."""
        if wait_seconds > 0:
            self._wait_until_they_answer(time.monotonic() + wait_seconds)
        with self.connect():
            pass

    def _wait_until_they_answer(self, deadline: float) -> None:
        quick = {"timeout_seconds": 1.0, "retries": 0}
        with StoreClient(self.store_url, **quick) as store:
            with InventoryClient(self.inventory_url, **quick) as inventory:
                for service in (store, inventory):
                    while time.monotonic() < deadline:
                        try:
                            service.health()
                            break
                        except (ServiceUnreachable, ServiceError):
                            time.sleep(POLL_SECONDS)
