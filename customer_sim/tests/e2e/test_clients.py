"""The simulator's HTTP clients reading and writing the real services' normal answers (their
reactions to failures a real service cannot be made to show are in unit/test_http_clients.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from customer_sim.domain.customer import Offer
from customer_sim.simulation.ports import LedgerEntry, PurchaseOrderRecord
from customer_sim.tests.e2e.records import get, post
from testkit.fixtures import unique_id

pytestmark = pytest.mark.slow

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
PAGE = 1000  # the most a page of the store's lists holds
NONE = {"type": "none"}


def test_offers_read_every_page_with_availability_at_a_time(clients):
    store, inventory = clients
    store_id = unique_id("offers")
    store.open_store(store_id, "more products than a page")
    skus = [f"p{i:04d}" for i in range(PAGE + 1)]  # short SKUs: one inventory query per page
    for sku in skus:
        store.put_product(store_id, sku, sku.upper(), "test", Decimal("2.5"))
    inventory.put_item(store_id, skus[0], on_hand=4, policy=NONE, lead_time_minutes=0, at=AT)
    # nothing on hand for the last one, but 5 on order from AT, due an hour later
    reorder = {"type": "rQ", "reorder_point": 0, "order_quantity": 5}
    inventory.put_item(store_id, skus[-1], on_hand=0, policy=reorder, lead_time_minutes=60, at=AT)

    before = store.requests
    offers = store.offers(store_id, AT + timedelta(minutes=30))
    assert store.requests - before == 2  # two pages
    assert sorted(offers) == skus
    assert offers[skus[0]] == Offer(Decimal("2.50"), 4)
    assert str(offers[skus[0]].price) == "2.50"  # money keeps its cents
    assert offers[skus[500]].available == 0  # no stock item at the inventory
    assert offers[skus[-1]].available == 0  # on the second page: not delivered yet

    later = store.offers(store_id, AT + timedelta(minutes=90))
    assert later[skus[-1]].available == 5  # delivered at AT + 60 minutes
    assert later[skus[0]].available == 4


def test_inventory_ledger_and_seeding(services, clients):
    _, inventory_server = services
    _, inventory = clients
    location = unique_id("ledger")
    policy = {"type": "rQ", "reorder_point": 2, "order_quantity": 5}
    inventory.put_item(location, "a", on_hand=10, policy=policy, lead_time_minutes=60, at=AT)

    item = get(inventory_server.url, f"/locations/{location}/items/a")
    assert (item["on_hand"], item["lead_time_minutes"]) == (10, 60)
    assert item["policy"] == {**policy, "order_up_to": None, "review_period_minutes": None}

    # a sale of 8 leaves 2, the reorder point: 5 are ordered, due an hour later
    sold_at, due_at = AT + timedelta(minutes=10), AT + timedelta(minutes=70)
    issue = {"reference": "c1", "at": sold_at.isoformat(), "lines": [{"sku": "a", "quantity": 8}]}
    post(inventory_server.url, f"/locations/{location}/issues", issue)
    inventory.advance_clock(location, AT + timedelta(hours=2))

    ledger = inventory.movements(location)
    assert ledger == [
        LedgerEntry("a", "adjustment", 10, 10, AT),
        LedgerEntry("a", "issue", -8, 2, sold_at),
        LedgerEntry("a", "receipt", 5, 7, due_at),
    ]
    assert all(entry.at.utcoffset() == timedelta(0) for entry in ledger)
    assert inventory.purchase_orders(location) == [
        PurchaseOrderRecord("a", 5, "received", placed_at=sold_at, due_at=due_at)
    ]
