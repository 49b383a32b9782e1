"""The store API (``docs/store-api.md``) as the simulation's `StorePort`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from customer_sim.domain.customer import Offer
from customer_sim.infrastructure.http_client import JsonHttpClient
from customer_sim.simulation.ports import (
    DailySales,
    OrderLine,
    PlacedOrder,
    Reconciliation,
    SkuReconciliation,
)


class StoreClient(JsonHttpClient):
    def __init__(
        self, base_url: str, timeout_seconds: float = 10, retries: int = 3, **kwargs: Any
    ) -> None:
        super().__init__("store", base_url, timeout_seconds, retries, **kwargs)

    def open_store(self, store_id: str, name: str) -> None:
        self.request("POST", "/stores", json={"id": store_id, "name": name})

    def put_product(
        self, store_id: str, sku: str, name: str, category: str, price: Decimal
    ) -> None:
        body = {"name": name, "category": category, "price": float(price)}
        self.request("PUT", f"/stores/{store_id}/products/{sku}", json=body)

    def offers(self, store_id: str, at: datetime) -> dict[str, Offer]:
        products = self.get_all(
            f"/stores/{store_id}/products", {"availability": "true", "at": at.isoformat()}
        )
        return {p["sku"]: Offer(_money(p["price"]), int(p["available"])) for p in products}

    def open_cart(self, store_id: str, customer_ref: str) -> str:
        cart = self.request(
            "POST", f"/stores/{store_id}/carts", json={"customer_ref": customer_ref}
        )
        return cart["id"]

    def set_cart_item(self, cart_id: str, sku: str, quantity: int) -> None:
        self.request("PUT", f"/carts/{cart_id}/items/{sku}", json={"quantity": quantity})

    def checkout(self, cart_id: str, at: datetime) -> PlacedOrder:
        order = self.request(
            "POST", f"/carts/{cart_id}/checkout", json={"at": at.isoformat()}, idempotent=True
        )
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
        rows = self.request("GET", f"/stores/{store_id}/sales/daily")
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
        body = self.request("GET", f"/stores/{store_id}/reconciliation")
        lines = [
            SkuReconciliation(line["sku"], int(line["fulfilled"]), int(line["issued"]))
            for line in body["skus"]
        ]
        return Reconciliation(balanced=bool(body["balanced"]), skus=lines)


def _money(value: Any) -> Decimal:
    """Money arrives as a JSON number (or a string); through ``str`` it keeps its 2 decimals."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
