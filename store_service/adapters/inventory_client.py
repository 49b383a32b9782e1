"""The inventory service over HTTP: the `Inventory` port, with a connection pool, timeouts and
bounded retries.

Only idempotent requests are retried: the reads, and the issue, which the inventory keeps
idempotent by its reference. Connect errors, timeouts and 502/503/504 are retried with
exponential backoff (0.1 s, 0.2 s, 0.4 s, ...); when they persist the caller gets
`InventoryUnavailable` (answered 503 by the API). A 4xx means the inventory refused and moved
nothing: it becomes `InventoryRejected`, carrying the inventory's own ``detail``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import quote

import httpx

from store_service.application.ports import InventoryRejected, InventoryUnavailable, Issued

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({502, 503, 504})
#: SKUs per availability request: keeps the URL well under servers' request-line limits
#: (a default page of 100 products is one request).
SKUS_PER_REQUEST = 100
HEALTH_TIMEOUT_SECONDS = 1.0


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else f"HTTP {response.status_code}"


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class InventoryClient:
    """One per app: its `httpx.Client` pools connections to the inventory; `close` it."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 0.1,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=40),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # -- the port -----------------------------------------------------------------------------

    def issue(
        self, location: str, reference: str, at: datetime | None, lines: list[tuple[str, int]]
    ) -> Issued:
        body: dict[str, Any] = {"reference": reference}
        if at is not None:
            body["at"] = at.isoformat()
        body["lines"] = [{"sku": sku, "quantity": quantity} for sku, quantity in lines]
        response = self._send("POST", f"/locations/{quote(location, safe='')}/issues", json=body)
        if response.status_code not in (200, 201):
            raise InventoryRejected(response.status_code, _detail(response))
        answer = self._json(response)
        try:
            return Issued(
                reference=answer["reference"],
                at=_aware(answer["at"]),
                issued={line["sku"]: int(line["issued"]) for line in answer["lines"]},
                replayed=bool(answer.get("replayed", False)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InventoryUnavailable(f"unexpected answer to an issue: {error!r}") from error

    def on_hand(self, location: str, skus: list[str], at: datetime | None) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(skus), SKUS_PER_REQUEST):
            chunk = skus[start : start + SKUS_PER_REQUEST]
            params: list[tuple[str, str | int]] = [("sku", sku) for sku in chunk]
            params.append(("limit", len(chunk)))
            if at is not None:
                params.append(("at", at.isoformat()))
            response = self._send(
                "GET", f"/locations/{quote(location, safe='')}/items", params=params
            )
            if response.status_code == 404:  # the location has no stock items yet
                return {}
            if response.status_code != 200:
                raise InventoryRejected(response.status_code, _detail(response))
            for item in self._json(response)["data"]:
                found[item["sku"]] = int(item["on_hand"])
        return found

    def issued_totals(self, location: str) -> dict[str, int]:
        response = self._send("GET", f"/locations/{quote(location, safe='')}/movements/totals")
        if response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise InventoryRejected(response.status_code, _detail(response))
        return {row["sku"]: int(row["issued"]) for row in self._json(response)}

    def health(self) -> str:
        """One quick ``/healthz`` (no retries): readiness must answer fast."""
        try:
            response = self._http.get("/healthz", timeout=HEALTH_TIMEOUT_SECONDS)
        except httpx.HTTPError as error:
            return f"unavailable: {error.__class__.__name__}"
        return "ok" if response.status_code == 200 else f"unavailable: HTTP {response.status_code}"

    # -- transport ----------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send an idempotent request, retrying what may be transient.

        Every request this client makes is idempotent (reads, and issues by reference), which
        is what makes retrying a timed-out request safe even when the first one got through.
        """
        attempts = self.retries + 1
        reason = ""
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TimeoutException as error:
                reason = f"timed out ({error.__class__.__name__})"
            except httpx.TransportError as error:
                reason = f"cannot connect ({error.__class__.__name__})"
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    if response.status_code >= 500:
                        raise InventoryUnavailable(f"HTTP {response.status_code}")
                    return response
                reason = f"HTTP {response.status_code}: {_detail(response)}"
            log.warning(
                "inventory %s %s: %s (attempt %d of %d)",
                method,
                path,
                reason,
                attempt + 1,
                attempts,
            )
        raise InventoryUnavailable(f"{reason}, after {attempts} attempts")

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise InventoryUnavailable(
                "the inventory answered something other than JSON"
            ) from error
