"""JSON over HTTP with timeouts and bounded retries, shared by the store and inventory clients.

One `httpx.Client` per service keeps its connections alive across the thousands of small
requests of a run. What is retried, and when:

- a connection that could not be opened (nothing was sent): any request;
- a timeout, a dropped connection, or a 502/503/504 answer: only requests that are safe to
  repeat (GET, PUT, the inventory clock, and checkout, which the store makes idempotent per
  cart). Creating a store or a cart is not repeated after it may have reached the server.

When the retries are spent the service counts as unreachable (`ServiceUnreachable`, exit code
3). Any other error answer is a `ServiceError` carrying the service's ``detail``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = {502, 503, 504}


class ServiceUnreachable(Exception):
    """A service did not answer (or kept answering "unavailable") after the retries."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} unreachable at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason


class ServiceError(Exception):
    """A service answered a request with an error status."""

    def __init__(self, service: str, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"{service}: {method} {path} answered {status}: {detail}")
        self.service = service
        self.status = status
        self.detail = detail


class JsonHttpClient:
    def __init__(
        self,
        service: str,
        base_url: str,
        timeout_seconds: float,
        retries: int,
        transport: httpx.BaseTransport | None = None,
        backoff_seconds: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.requests = 0
        self.client = httpx.Client(
            base_url=self.base_url, timeout=timeout_seconds, transport=transport
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> JsonHttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a request and return the decoded JSON answer (retrying as described above).

        ``idempotent`` defaults to True for GET and PUT, False otherwise.
        """
        if idempotent is None:
            idempotent = method in ("GET", "PUT")
        attempt = 0
        while True:
            try:
                self.requests += 1
                response = self.client.request(method, path, json=json, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                reason = f"cannot connect ({error})"  # nothing was sent: safe to try again
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
                reason = f"{type(e).__name__} ({e})"
                if not idempotent:
                    raise ServiceUnreachable(self.service, self.base_url, reason) from e
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                detail = _detail(response)
                if response.status_code not in RETRY_STATUSES:
                    raise ServiceError(self.service, method, path, response.status_code, detail)
                reason = f"{response.status_code} {detail}"
                if not idempotent:
                    raise ServiceUnreachable(self.service, self.base_url, reason)
            if attempt >= self.retries:
                raise ServiceUnreachable(
                    self.service, self.base_url, f"{reason}; gave up after {attempt + 1} tries"
                )
            delay = self.backoff_seconds * 2**attempt
            log.warning(
                "%s %s %s: %s; retrying in %.2fs", self.service, method, path, reason, delay
            )
            self.sleep(delay)
            attempt += 1

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paginated list (``{data, total, limit, offset}`` pages)."""
        items: list[Any] = []
        while True:
            query = {**(params or {}), "limit": 1000, "offset": len(items)}
            page = self.request("GET", path, params=query)
            items.extend(page["data"])
            if not page["data"] or len(items) >= page["total"]:
                return items

    def health(self) -> None:
        """Raise `ServiceUnreachable` unless the service answers ``/healthz``."""
        self.request("GET", "/healthz")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else str(detail)[:500]
