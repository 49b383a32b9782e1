"""The inventory service over HTTP: the `Inventory` port on the shared JSON client.

Every request the store makes to the inventory is idempotent (reads, and issues by the cart's
reference, which the inventory replays), so all of them are retried after connect errors,
timeouts and 502/503/504, with exponential backoff (0.1 s, 0.2 s, 0.4 s, ...); when they
persist the caller gets `InventoryUnavailable` (answered 503 by the API). A 4xx means the
inventory refused and moved nothing: it becomes `InventoryRejected`, carrying the inventory's
own ``detail``. Any other 5xx is unavailability without a retry.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from servicekit.http_client import Answer, JsonClient, ServiceUnreachable, path_of
from store_service.application.ports import InventoryRejected, InventoryUnavailable, Issued

#: SKUs per availability request: keeps the URL well under servers' request-line limits
#: (a default page of 100 products is one request).
SKUS_PER_REQUEST = 100
HEALTH_TIMEOUT_SECONDS = 1.0


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class InventoryClient:
    """One per process: its connections to the inventory are kept alive and shared; `close`
    it. Called from a request's work on the event loop, it exchanges on the loop (the loop
    serves other requests while it waits: `JsonClient`'s ``on_the_event_loop``); from
    anywhere else (tests, scripts), on blocking sockets."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.http = JsonClient(
            "inventory",
            base_url,
            timeout_seconds,
            retries,
            backoff_seconds,
            sleep,
            on_the_event_loop=True,
        )

    def close(self) -> None:
        self.http.close()

    # -- the port -----------------------------------------------------------------------------

    def issue(
        self, location: str, reference: str, at: datetime | None, lines: list[tuple[str, int]]
    ) -> Issued:
        body: dict[str, Any] = {"reference": reference}
        if at is not None:
            body["at"] = at.isoformat()
        body["lines"] = [{"sku": sku, "quantity": quantity} for sku, quantity in lines]
        answer = self._send("POST", path_of("locations", location, "issues"), json_body=body)
        if answer.status not in (200, 201):
            raise InventoryRejected(answer.status, answer.detail)
        try:
            return Issued(
                reference=answer.body["reference"],
                at=_aware(answer.body["at"]),
                issued={line["sku"]: int(line["issued"]) for line in answer.body["lines"]},
                replayed=bool(answer.body.get("replayed", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InventoryUnavailable(f"unexpected answer to an issue: {error!r}") from error

    def on_hand(self, location: str, skus: list[str], at: datetime | None) -> dict[str, int]:
        found: dict[str, int] = {}
        path = path_of("locations", location, "items")
        for start in range(0, len(skus), SKUS_PER_REQUEST):
            chunk = skus[start : start + SKUS_PER_REQUEST]
            params: list[tuple[str, str | int]] = [("sku", sku) for sku in chunk]
            params.append(("limit", len(chunk)))
            if at is not None:
                params.append(("at", at.isoformat()))
            answer = self._send("GET", path, params=params)
            if answer.status == 404:  # the location has no stock items yet
                return {}
            if answer.status != 200:
                raise InventoryRejected(answer.status, answer.detail)
            for item in self._field(answer, "data"):
                found[item["sku"]] = int(item["on_hand"])
        return found

    def issued_totals(self, location: str) -> dict[str, int]:
        answer = self._send("GET", path_of("locations", location, "movements", "totals"))
        if answer.status == 404:
            return {}
        if answer.status != 200:
            raise InventoryRejected(answer.status, answer.detail)
        return {row["sku"]: int(row["issued"]) for row in self._field(answer)}

    def health(self) -> str:
        """One quick ``/healthz`` (no retries): readiness must answer fast."""
        try:
            answer = self.http.request(
                "GET", "/healthz", retries=0, timeout_seconds=HEALTH_TIMEOUT_SECONDS
            )
        except ServiceUnreachable as error:
            return f"unavailable: {error.reason}"
        return "ok" if answer.status == 200 else f"unavailable: HTTP {answer.status}"

    # -- transport ----------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> Answer:
        """Every request here is idempotent (see the module), hence retried."""
        try:
            answer = self.http.request(method, path, idempotent=True, **kwargs)
        except ServiceUnreachable as error:
            raise InventoryUnavailable(error.reason) from error
        if answer.status >= 500:
            raise InventoryUnavailable(f"HTTP {answer.status}: {answer.detail}")
        return answer

    @staticmethod
    def _field(answer: Answer, name: str | None = None) -> Any:
        """The answer's body (or one of its fields) when it has the contract's shape."""
        body = answer.body
        if name is not None:
            body = body.get(name) if isinstance(body, dict) else None
        if not isinstance(body, list):
            raise InventoryUnavailable("the inventory answered something other than the contract")
        return body
