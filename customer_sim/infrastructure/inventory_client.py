"""The inventory API, for what the simulator does directly: seed stock and policies, advance
the clock at midnight, and read the ledger and purchase orders for the KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from customer_sim.infrastructure.http_client import ServiceClient
from customer_sim.simulation.ports import LedgerEntry, PurchaseOrderRecord


class InventoryClient(ServiceClient):
    def __init__(
        self, base_url: str, timeout_seconds: float = 10, retries: int = 3, **kwargs: Any
    ) -> None:
        super().__init__("inventory", base_url, timeout_seconds, retries, **kwargs)

    def put_item(
        self,
        location: str,
        sku: str,
        on_hand: int,
        policy: dict[str, Any],
        lead_time_minutes: int,
        at: datetime,
    ) -> None:
        body = {
            "on_hand": on_hand,
            "policy": policy,
            "lead_time_minutes": lead_time_minutes,
            "at": at.isoformat(),
            "reference": "simulation start",
        }
        self.call("PUT", f"/locations/{location}/items/{sku}", json_body=body)

    def advance_clock(self, location: str, at: datetime) -> None:
        path = f"/locations/{location}/clock"
        self.call("POST", path, json_body={"at": at.isoformat()}, idempotent=True)

    def movements(self, location: str) -> list[LedgerEntry]:
        return [
            LedgerEntry(
                sku=row["sku"],
                kind=row["kind"],
                quantity=int(row["quantity"]),
                on_hand_after=int(row["on_hand_after"]),
                at=datetime.fromisoformat(row["at"]),
            )
            for row in self.get_all(f"/locations/{location}/movements")
        ]

    def purchase_orders(self, location: str) -> list[PurchaseOrderRecord]:
        return [
            PurchaseOrderRecord(
                sku=row["sku"],
                quantity=int(row["quantity"]),
                status=row["status"],
                placed_at=datetime.fromisoformat(row["placed_at"]),
                due_at=datetime.fromisoformat(row["due_at"]),
            )
            for row in self.get_all(f"/locations/{location}/purchase-orders")
        ]
