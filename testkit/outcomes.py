"""What a simulation run left in the services, read straight from their APIs.

The simulator's reports (KPI names, summary.json) may change shape; what the store and the
inventory recorded may not, for the same scenario and seed. These are the raw outcomes a
determinism check compares: per SKU units requested, sold and lost and the revenue, from the
store's orders; per SKU units received, issued and adjusted, from the inventory's ledger; the
daily sales; every purchase order; and a digest of the whole ledger, movement by movement.
Ids (orders, purchase orders) are left out: they are random and name nothing the run decided.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx


def _every_page(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        response = client.get(path, params={"limit": 1000, "offset": len(items)})
        response.raise_for_status()
        page = response.json()
        items.extend(page["data"])
        if not page["data"] or len(items) >= page["total"]:
            return items


def _get(client: httpx.Client, path: str) -> Any:
    response = client.get(path)
    response.raise_for_status()
    return response.json()


def run_outcomes(store_url: str, inventory_url: str, store_id: str) -> dict[str, Any]:
    """The raw outcomes of the run in store ``store_id`` (JSON-ready, key order stable)."""
    with httpx.Client(base_url=store_url, timeout=30) as store:
        orders = _every_page(store, f"/stores/{store_id}/orders")
        daily = _get(store, f"/stores/{store_id}/sales/daily")
    with httpx.Client(base_url=inventory_url, timeout=30) as inventory:
        ledger = _every_page(inventory, f"/locations/{store_id}/movements")
        purchase_orders = _every_page(inventory, f"/locations/{store_id}/purchase-orders")
        items = _get(inventory, f"/locations/{store_id}/items?limit=1000")["data"]

    skus: dict[str, dict[str, Any]] = {}

    def sku(name: str) -> dict[str, Any]:
        return skus.setdefault(
            name,
            {"requested": 0, "sold": 0, "lost": 0, "revenue": Decimal("0.00"),
             "received": 0, "issued": 0, "adjusted": 0, "purchase_orders": 0},
        )  # fmt: skip

    for order in orders:
        for line in order["lines"]:
            tally = sku(line["sku"])
            tally["requested"] += line["requested"]
            tally["sold"] += line["fulfilled"]
            tally["lost"] += line["requested"] - line["fulfilled"]
            tally["revenue"] += Decimal(str(line["unit_price"])) * line["fulfilled"]
    movements = []
    for movement in ledger:
        kind = {"receipt": "received", "issue": "issued", "adjustment": "adjusted"}
        sign = -1 if movement["kind"] == "issue" else 1
        sku(movement["sku"])[kind[movement["kind"]]] += sign * movement["quantity"]
        movements.append(
            [movement["at"], movement["sku"], movement["kind"], movement["quantity"],
             movement["on_hand_after"]]
        )  # fmt: skip
    for order in purchase_orders:
        sku(order["sku"])["purchase_orders"] += 1
    for item in items:
        sku(item["sku"])["final_on_hand"] = item["on_hand"]
    for tally in skus.values():
        tally["revenue"] = str(tally["revenue"].quantize(Decimal("0.01")))
    ledger_digest = hashlib.sha256(json.dumps(movements).encode()).hexdigest()
    return {
        "orders": len(orders),
        "skus": dict(sorted(skus.items())),
        "daily_sales": daily,
        "purchase_orders": sorted(
            [order["sku"], order["quantity"], order["placed_at"], order["due_at"], order["status"]]
            for order in purchase_orders
        ),
        "ledger_movements": len(movements),
        "ledger_sha256": ledger_digest,
    }
