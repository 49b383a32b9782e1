"""In-memory stand-ins for the store and inventory services, for tests without I/O.

They keep the contracts the simulation relies on (availability is on hand at the time asked,
a checkout issues what is on hand and records the rest as lost, the ledger records every
change) and nothing more: no replenishment, no HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from customer_sim.domain.customer import Offer
from customer_sim.simulation.ports import (
    DailySales,
    LedgerEntry,
    OrderLine,
    PlacedOrder,
    PurchaseOrderRecord,
    Reconciliation,
    SkuReconciliation,
)


class FakeInventory:
    def __init__(self) -> None:
        self.on_hand: dict[tuple[str, str], int] = {}
        self.ledger: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.clock_calls: list[tuple[str, datetime]] = []
        self.last_write: dict[str, datetime] = {}

    def _write_at(self, location: str, at: datetime) -> None:
        if location in self.last_write and at < self.last_write[location]:
            raise AssertionError(f"time went backwards at {location}: {at}")
        self.last_write[location] = at

    def put_item(
        self,
        location: str,
        sku: str,
        on_hand: int,
        policy: dict[str, Any],
        lead_time_minutes: int,
        at: datetime,
    ) -> None:
        self._write_at(location, at)
        before = self.on_hand.get((location, sku), 0)
        self.on_hand[(location, sku)] = on_hand
        if on_hand != before:
            entry = LedgerEntry(sku, "adjustment", on_hand - before, on_hand, at)
            self.ledger[location].append(entry)

    def advance_clock(self, location: str, at: datetime) -> None:
        self.clock_calls.append((location, at))

    def issue(self, location: str, sku: str, quantity: int, at: datetime) -> int:
        self._write_at(location, at)
        issued = min(quantity, self.on_hand.get((location, sku), 0))
        if issued:
            self.on_hand[(location, sku)] -= issued
            after = self.on_hand[(location, sku)]
            self.ledger[location].append(LedgerEntry(sku, "issue", -issued, after, at))
        return issued

    def movements(self, location: str) -> list[LedgerEntry]:
        return list(self.ledger[location])

    def purchase_orders(self, location: str) -> list[PurchaseOrderRecord]:
        return []


class FakeStore:
    def __init__(self, inventory: FakeInventory) -> None:
        self.inventory = inventory
        self.catalog: dict[str, dict[str, Decimal]] = {}
        self.carts: dict[str, tuple[str, dict[str, int]]] = {}
        self.orders: dict[str, list[tuple[datetime, PlacedOrder]]] = defaultdict(list)
        self.calls: list[str] = []
        self.observed_at: list[datetime] = []

    def open_store(self, store_id: str, name: str) -> None:
        assert store_id not in self.catalog
        self.catalog[store_id] = {}

    def put_product(
        self, store_id: str, sku: str, name: str, category: str, price: Decimal
    ) -> None:
        self.catalog[store_id][sku] = price

    def offers(self, store_id: str, at: datetime) -> dict[str, Offer]:
        self.calls.append("offers")
        self.observed_at.append(at)
        return {
            sku: Offer(price, self.inventory.on_hand.get((store_id, sku), 0))
            for sku, price in self.catalog[store_id].items()
        }

    def open_cart(self, store_id: str, customer_ref: str) -> str:
        self.calls.append("open_cart")
        cart_id = f"cart-{len(self.carts) + 1}"
        self.carts[cart_id] = (store_id, {})
        return cart_id

    def set_cart_item(self, cart_id: str, sku: str, quantity: int) -> None:
        self.calls.append("set_cart_item")
        self.carts[cart_id][1][sku] = quantity

    def checkout(self, cart_id: str, at: datetime) -> PlacedOrder:
        self.calls.append("checkout")
        store_id, items = self.carts[cart_id]
        lines = []
        for sku, quantity in items.items():
            issued = self.inventory.issue(store_id, sku, quantity, at)
            lines.append(OrderLine(sku, quantity, issued, self.catalog[store_id][sku]))
        total = sum((line.unit_price * line.fulfilled for line in lines), Decimal("0"))
        order = PlacedOrder(f"order-{cart_id}", lines, total)
        self.orders[store_id].append((at, order))
        return order

    def daily_sales(self, store_id: str) -> list[DailySales]:
        days: dict[Any, list[PlacedOrder]] = defaultdict(list)
        for at, order in self.orders[store_id]:
            days[at.date()].append(order)
        return [
            DailySales(
                day=day,
                orders=len(orders),
                units_sold=sum(line.fulfilled for o in orders for line in o.lines),
                units_lost=sum(line.lost for o in orders for line in o.lines),
                revenue=sum((o.total for o in orders), Decimal("0")),
            )
            for day, orders in sorted(days.items())
        ]

    def reconciliation(self, store_id: str) -> Reconciliation:
        fulfilled: dict[str, int] = defaultdict(int)
        for _, order in self.orders[store_id]:
            for line in order.lines:
                fulfilled[line.sku] += line.fulfilled
        issued: dict[str, int] = defaultdict(int)
        for entry in self.inventory.ledger[store_id]:
            if entry.kind == "issue":
                issued[entry.sku] -= entry.quantity
        skus = sorted(set(fulfilled) | set(issued))
        lines = [SkuReconciliation(sku, fulfilled[sku], issued[sku]) for sku in skus]
        return Reconciliation(all(x.fulfilled == x.issued for x in lines), lines)
