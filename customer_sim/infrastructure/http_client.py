"""The simulator's view of a service: decoded JSON answers, or an exception saying why not.

Built on the shared client (`servicekit.http_client`: keep-alive connections, timeouts,
bounded retries of what is safe to repeat). On top of it: an error answer is a
`ServiceError` carrying the service's ``detail``; retries spent are `ServiceUnreachable`
(the command line's exit code 3); paginated lists are read page by page.

What is safe to repeat here: GET, PUT, the inventory clock, and a sale, which the store makes
idempotent by its cart id. Creating a store is not repeated once it may have arrived.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from servicekit.http_client import JsonClient, Params, ServiceUnreachable

__all__ = ["ServiceClient", "ServiceError", "ServiceUnreachable"]


class ServiceError(Exception):
    """A service answered a request with an error status."""

    def __init__(self, service: str, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"{service}: {method} {path} answered {status}: {detail}")
        self.service = service
        self.status = status
        self.detail = detail


class ServiceClient(JsonClient):
    def __init__(
        self,
        service: str,
        base_url: str,
        timeout_seconds: float,
        retries: int,
        backoff_seconds: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(service, base_url, timeout_seconds, retries, backoff_seconds, sleep)

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Params = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded answer of a request that succeeded; `ServiceError` otherwise."""
        answer = self.request(
            method, path, json_body=json_body, params=params, idempotent=idempotent
        )
        if answer.status >= 400:
            raise ServiceError(self.service, method, path, answer.status, answer.detail)
        return answer.body

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paginated list (``{data, total, limit, offset}`` pages)."""
        items: list[Any] = []
        while True:
            query = {**(params or {}), "limit": 1000, "offset": len(items)}
            page = self.call("GET", path, params=query)
            items.extend(page["data"])
            if not page["data"] or len(items) >= page["total"]:
                return items

    def health(self) -> None:
        """Raise `ServiceUnreachable` unless the service answers ``/healthz``."""
        self.call("GET", "/healthz")
