"""What the use cases need from the inventory service, independent of how it is reached.

`store_service.adapters.inventory_client` implements it over HTTP; the use cases only see
this protocol and its two errors, so they say *what* happens when the inventory is down or
refuses, not which HTTP status carried it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from store_service.domain.model import StoreError


class InventoryUnavailable(StoreError):
    """The inventory did not answer in time, or answered 5xx, after the bounded retries.

    Whether a request reached it is unknown: callers must make retries safe (issue by a stable
    reference) rather than assume nothing happened.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"inventory service unavailable ({reason})")
        self.reason = reason


class InventoryRejected(StoreError):
    """The inventory refused the request (4xx); nothing moved there. ``detail`` is its own."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the inventory refused the request: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Issued:
    """The inventory's answer to an issue: units issued per SKU, and when (its first time)."""

    reference: str
    at: datetime
    issued: dict[str, int]
    replayed: bool


class Inventory(Protocol):
    def issue(
        self, location: str, reference: str, at: datetime | None, lines: list[tuple[str, int]]
    ) -> Issued:
        """Issue stock, idempotent by ``reference``: a repeat returns the first result.

        ``at`` None: the inventory's clock dates it (the answer says when).
        """
        ...

    def on_hand(self, location: str, skus: list[str], at: datetime | None) -> dict[str, int]:
        """On hand per SKU at ``at``; SKUs (or a location) the inventory does not know are 0."""
        ...

    def issued_totals(self, location: str) -> dict[str, int]:
        """Units issued per SKU over the location's whole ledger (empty if it has none)."""
        ...

    def health(self) -> str:
        """``"ok"`` or ``"unavailable: <why>"``, quickly; never raises."""
        ...
