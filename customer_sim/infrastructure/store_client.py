"""The store API (``docs/store-api.md``) as the simulation's `StorePort`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

from customer_sim.domain.customer import Offer
from customer_sim.infrastructure.http_client import ServiceClient
from customer_sim.simulation.ports import (
    DailySales,
    OrderLine,
    PlacedOrder,
    Reconciliation,
    SkuReconciliation,
)


class StoreClient(ServiceClient):
    def __init__(
        self, base_url: str, timeout_seconds: float = 10, retries: int = 3, **kwargs: Any
    ) -> None:
        super().__init__("store", base_url, timeout_seconds, retries, **kwargs)

    def open_store(self, store_id: str, name: str) -> None:
        self.call("POST", "/stores", json_body={"id": store_id, "name": name})

    def put_product(
        self, store_id: str, sku: str, name: str, category: str, price: Decimal
    ) -> None:
        body = {"name": name, "category": category, "price": float(price)}
        self.call("PUT", f"/stores/{store_id}/products/{sku}", json_body=body)

    def offers(self, store_id: str, at: datetime) -> dict[str, Offer]:
        products = self.get_all(
            f"/stores/{store_id}/products", {"availability": "true", "at": at.isoformat()}
        )
        return {p["sku"]: Offer(_money(p["price"]), int(p["available"])) for p in products}

    def sell(
        self, store_id: str, customer_ref: str, items: Sequence[tuple[str, int]], at: datetime
    ) -> PlacedOrder:
        """A sale in one request, under a cart id chosen here: a retry repeats it with the
        same id, which the store answers with the one order."""
        body = {
            "cart_id": f"cart-{uuid.uuid4().hex}",
            "customer_ref": customer_ref,
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
            "at": at.isoformat(),
        }
        order = self.call("POST", f"/stores/{store_id}/orders", json_body=body, idempotent=True)
        lines = [
            OrderLine(
                sku=line["sku"],
                requested=int(line["requested"]),
                fulfilled=int(line["fulfilled"]),
                unit_price=_money(line["unit_price"]),
            )
            for line in order["lines"]
        ]
        return PlacedOrder(id=order["id"], lines=lines, total=_money(order["total"]))

    def daily_sales(self, store_id: str) -> list[DailySales]:
        rows = self.call("GET", f"/stores/{store_id}/sales/daily")
        return [
            DailySales(
                day=date.fromisoformat(row["day"]),
                orders=int(row["orders"]),
                units_sold=int(row["units_sold"]),
                units_lost=int(row["units_lost"]),
                revenue=_money(row["revenue"]),
            )
            for row in rows
        ]

    def reconciliation(self, store_id: str) -> Reconciliation:
        body = self.call("GET", f"/stores/{store_id}/reconciliation")
        lines = [
            SkuReconciliation(line["sku"], int(line["fulfilled"]), int(line["issued"]))
            for line in body["skus"]
        ]
        return Reconciliation(balanced=bool(body["balanced"]), skus=lines)


def _money(value: Any) -> Decimal:
    """Money arrives as a JSON number (or a string); through ``str`` it keeps its 2 decimals."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
