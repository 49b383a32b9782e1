"""The real services straight over HTTP (not through the simulator's clients): reading their
records, checking a run's KPIs against them, and the odd write a test sets up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx


def get(base: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{base}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def post(base: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{base}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def put(base: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.put(f"{base}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def every_page(base: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """All items of a paginated list, page by page."""
    items: list[dict[str, Any]] = []
    while True:
        page = get(base, path, **params, limit=1000, offset=len(items))
        items.extend(page["data"])
        if not page["data"] or len(items) >= page["total"]:
            return items


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_matches_the_services(services, replication: dict[str, Any]) -> None:
    """One replication's figures (an entry of summary.json's ``per_replication``): sold units
    = the store's sales = the inventory's issues, per SKU and in total."""
    store, inventory = services
    store_id, kpis = replication["store_id"], replication["kpis"]
    daily = get(store.url, f"/stores/{store_id}/sales/daily")
    assert sum(day["units_sold"] for day in daily) == kpis["units_sold"]
    assert sum(day["units_lost"] for day in daily) == kpis["units_lost_at_checkout"]
    assert sum(day["orders"] for day in daily) == kpis["orders"]
    assert round(sum(day["revenue"] for day in daily), 2) == kpis["revenue"]

    reconciliation = get(store.url, f"/stores/{store_id}/reconciliation")
    assert reconciliation["balanced"] is True
    assert replication["checks"]["reconciliation_balanced"] is True

    totals = {
        row["sku"]: row for row in get(inventory.url, f"/locations/{store_id}/movements/totals")
    }
    items = {row["sku"]: row for row in get(inventory.url, f"/locations/{store_id}/items")["data"]}
    for sku, figures in replication["skus"].items():
        issued = totals[sku]["issued"] if sku in totals else 0
        assert figures["units_sold"] == issued, sku
        assert figures["final_on_hand"] == items[sku]["on_hand"], sku
    assert sum(row["issued"] for row in totals.values()) == kpis["units_sold"]

    orders = get(inventory.url, f"/locations/{store_id}/purchase-orders", limit=1)
    assert orders["total"] == kpis["purchase_orders"]
