"""The simulator's HTTP clients' reactions to failures a real service cannot be made to show
on demand, against a scripted local server (loopback sockets, milliseconds): retries with
backoff, giving up, what is never repeated, and error answers. (Reading the services' normal
answers is tested against the real services in e2e/test_clients.py.)"""

import contextlib
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
from customer_sim.infrastructure.services import HttpServices
from customer_sim.infrastructure.store_client import StoreClient
from servicekit.http import ID_PATTERN
from testkit.processes import free_port
from testkit.scripted_server import SLOW, ScriptedServer

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
UNAVAILABLE = (503, {"detail": "inventory unavailable"})
OK = (200, {"status": "ok"})


@contextmanager
def store(*script, retries: int = 2):
    """A store client of a server playing ``script``; yields it, the server, the pauses."""
    pauses: list[float] = []
    with ScriptedServer(*script, slow_seconds=0.3) as server:
        client = StoreClient(server.url, timeout_seconds=0.1, retries=retries, sleep=pauses.append)
        yield client, server, pauses
        client.close()


def test_a_read_is_retried_after_unavailability_with_backoff():
    page = {"data": [], "total": 0, "limit": 1000, "offset": 0}
    with store(UNAVAILABLE, UNAVAILABLE, (200, page)) as (client, server, pauses):
        assert client.offers("s1", AT) == {}
        assert len(server.received) == 3
        assert pauses == [0.25, 0.5]


def test_retries_are_bounded_then_the_service_is_unreachable():
    pauses: list[float] = []
    client = StoreClient(f"http://127.0.0.1:{free_port()}", retries=3, sleep=pauses.append)
    with pytest.raises(ServiceUnreachable) as raised:
        client.health()
    assert len(pauses) == 3
    assert "after 4 attempts" in str(raised.value)
    assert raised.value.service == "store"


ORDER = {
    "id": "o1",
    "lines": [{"sku": "a", "requested": 3, "fulfilled": 2, "unit_price": 1.1}],
    "total": 2.2,
}


def test_a_sale_is_one_request_under_a_cart_id_chosen_by_the_client():
    with store((201, ORDER), (201, ORDER)) as (client, server, _):
        placed = client.sell("s1", "customer-1", [("milk", 2), ("bread", 1)], AT)
        client.sell("s1", "customer-2", [("milk", 1)], AT)
        assert [r.path for r in server.received] == ["/stores/s1/orders"] * 2
        first, second = (r.json() for r in server.received)
        assert first == {
            "cart_id": first["cart_id"],
            "customer_ref": "customer-1",
            "items": [{"sku": "milk", "quantity": 2}, {"sku": "bread", "quantity": 1}],
            "at": "2026-03-02T09:30:00+00:00",
        }
        assert re.fullmatch(ID_PATTERN, first["cart_id"]) and first["cart_id"].startswith("cart-")
        assert second["cart_id"] != first["cart_id"]
        assert placed.total == Decimal("2.20")
        assert (placed.lines[0].lost, placed.lines[0].unit_price) == (1, Decimal("1.10"))


def test_a_sale_is_retried_under_the_same_cart_id_because_the_store_makes_it_idempotent():
    with store(SLOW, (200, ORDER)) as (client, server, _):
        placed = client.sell("s1", "customer-1", [("a", 3)], AT)
        assert [r.path for r in server.received] == ["/stores/s1/orders"] * 2
        assert server.received[0].body == server.received[1].body
        assert placed.id == "o1"


def test_creating_a_store_is_not_repeated_once_it_may_have_arrived():
    with store(SLOW, (201, {"id": "s1"})) as (client, server, _):
        with pytest.raises(ServiceUnreachable):
            client.open_store("s1", "Store")
        assert len(server.received) == 1


def test_creating_a_store_is_retried_when_nothing_was_sent():
    store_comes_back = ScriptedServer((201, {"id": "s1"}))  # not listening yet: refused
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        store_comes_back.__enter__()

    client = StoreClient(store_comes_back.url, retries=2, sleep=pause)
    try:
        client.open_store("s1", "Store")
        assert len(store_comes_back.received) == 1 and pauses == [0.25]
    finally:
        store_comes_back.__exit__()


def test_an_error_answer_is_not_retried_and_carries_the_detail():
    with store((422, {"detail": "sku 'x' is not sold here"})) as (client, server, _):
        with pytest.raises(ServiceError) as raised:
            client.sell("s1", "customer-1", [("x", 1)], AT)
        assert raised.value.status == 422
        assert "sku 'x' is not sold here" in str(raised.value)
        assert len(server.received) == 1


def test_services_still_starting_are_waited_for_only_when_asked():
    """`run --wait-for-services`: a service that listens only later is given that long."""
    store_server, inventory_server = ScriptedServer(OK), ScriptedServer(OK)
    services = HttpServices(store_server.url, inventory_server.url, timeout_seconds=1, retries=0)
    with pytest.raises(ServiceUnreachable, match="cannot connect"):
        services.check()  # not listening yet, and no wait asked for
    with contextlib.ExitStack() as listening:
        starting = threading.Timer(
            0.5, lambda: [listening.enter_context(s) for s in (store_server, inventory_server)]
        )
        began = time.monotonic()
        starting.start()
        services.check(wait_seconds=10)
        assert 0.5 <= time.monotonic() - began < 5
        starting.join()
        assert [r.path for r in store_server.received][-1] == "/healthz"
