"""The simulation against the real store and inventory processes on PostgreSQL, through the
simulator's own HTTP clients: short scenarios (1-3 days, a few customers an hour) whose every
figure is checked against what the services recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from customer_sim.simulation.results import RunResult
from customer_sim.simulation.runner import InconsistentRun, new_run_key, run_scenario
from customer_sim.tests.builders import BASE, make_scenario
from customer_sim.tests.e2e.records import (
    assert_matches_the_services,
    every_page,
    get,
    post,
    when,
)

pytestmark = pytest.mark.slow

QUIET = {"model": "poisson", "rate_per_hour": 3}  # about 36 customers a day, 08:00-20:00


def stocked(units: int) -> list[dict[str, Any]]:
    """BASE's products (and policies) with ``units`` of each on the shelf at the start."""
    return [{**product, "initial_stock": units} for product in BASE["products"]]


def simulate(clients, scenario, store_id: str | None = None, progress=None) -> RunResult:
    store, inventory = clients
    return run_scenario(scenario, store, inventory, store_id, progress)


def comparable(result: RunResult):
    kpis = result.replication_kpis()
    return kpis.run, kpis.skus, kpis.days


@pytest.fixture(scope="module")
def scarce(clients) -> RunResult:
    """Two days, 2 units of each product at the start (rQ, sS and no reordering)."""
    return simulate(clients, make_scenario(days=2, arrivals=QUIET, products=stocked(2)))


@pytest.fixture(scope="module")
def generous(clients) -> RunResult:
    """The same customers (same scenario and seed) meeting 500 units of each product."""
    return simulate(clients, make_scenario(days=2, arrivals=QUIET, products=stocked(500)))


def test_another_seed_gives_other_results(clients, scarce):
    # (the same seed giving identical results: test_runs.py, through the command line)
    other = simulate(clients, scarce.scenario.with_overrides(seed=scarce.scenario.seed + 1))
    assert other.totals.arrivals > 0 and other.totals.units_sold > 0
    assert comparable(other) != comparable(scarce)


def test_the_simulators_counts_match_the_services_records(services, scarce, generous):
    store, _ = services
    for result in (scarce, generous):
        assert result.totals.arrivals > 0 and result.totals.units_sold > 0
        assert_matches_the_services(
            services, result.replication_kpis().summary()
        )  # sales = issues, per SKU
        daily = get(store.url, f"/stores/{result.store_id}/sales/daily")
        assert {day["day"]: (day["orders"], day["units_sold"]) for day in daily} == {
            row.day: (row.tally.orders, row.tally.units_sold)
            for row in result.daily
            if row.tally.orders
        }
        orders = every_page(store.url, f"/stores/{result.store_id}/orders")
        assert len(orders) == result.totals.orders
        assert sum(order["units_fulfilled"] for order in orders) == result.totals.units_sold
        # every request of the run: one look per arrival; per order, one sale; one clock call
        # per midnight
        expected = result.totals.arrivals + len(orders) + result.scenario.days
        assert result.performance["http_calls"] == expected
        assert sum(row.tally.arrivals for row in result.daily) == result.totals.arrivals


def test_customers_come_while_the_store_is_open_and_write_in_time_order(services, scarce):
    store, inventory = services
    start, days = scarce.scenario.start, scarce.scenario.days
    orders = every_page(store.url, f"/stores/{scarce.store_id}/orders")
    placed = [when(order["placed_at"]) for order in orders]
    assert {at.date() for at in placed} == {(start + timedelta(days=d)).date() for d in range(days)}
    for at in placed:
        minute = (at - start).total_seconds() / 60 % 1440
        # walked in while open (08:00-20:00), then looked, picked and queued: 1-3 minutes each
        assert 8 * 60 + 3 <= minute < 20 * 60 + 9, at

    # the inventory's ledger, in the order its rows were written, never goes back in time
    ledger = sorted(
        every_page(inventory.url, f"/locations/{scarce.store_id}/movements"),
        key=lambda movement: movement["id"],
    )
    written = [when(movement["at"]) for movement in ledger]
    issued_lines = [line for order in orders for line in order["lines"] if line["fulfilled"]]
    assert sum(movement["kind"] == "issue" for movement in ledger) == len(issued_lines) > 0
    assert written == sorted(written)


class PurchaseOrderWatch:
    """A progress listener that, after every event of the run, reads from the inventory when
    the purchase orders of the run's location were placed."""

    def __init__(self, inventory_url: str, location: str) -> None:
        self.inventory_url = inventory_url
        self.location = location
        self.seen: list[tuple[float, list[datetime]]] = []

    def update(self, now: float, customers: int) -> None:
        orders = get(self.inventory_url, f"/locations/{self.location}/purchase-orders")
        self.seen.append((now, sorted(when(order["placed_at"]) for order in orders["data"])))


def test_the_inventory_clock_is_advanced_at_every_midnight(services, clients):
    _, inventory = services
    products = [
        # first reviewed (and ordered, as nothing is on hand) at the end of day `d`
        {
            "sku": f"day-{d}",
            "price": 1,
            "initial_stock": 0,
            "lead_time_minutes": 10 * 1440,
            "policy": {"type": "RS", "review_period_minutes": d * 1440, "order_up_to": 5},
        }
        for d in (1, 2, 3)
    ]
    # customers only between 00:00 and 01:00, when the store is closed: nobody comes
    closed = {"model": "daily-profile", "hourly_rates": [5] + [0] * 23}
    scenario = make_scenario(days=3, arrivals=closed, products=products)
    store_id = new_run_key(scenario.name)
    watch = PurchaseOrderWatch(inventory.url, store_id)

    result = simulate(clients, scenario, store_id, progress=watch)

    assert result.totals.arrivals == 0
    assert result.performance["http_calls"] == 3  # the clock calls, nothing else
    midnights = [scenario.start + timedelta(days=d) for d in (1, 2, 3)]
    assert [po.placed_at for po in result.records.purchase_orders] == midnights
    # each midnight's review happened at that midnight's event, before the next one
    assert {now for now, _ in watch.seen} == {0, 1440, 2880, 4320}
    for now, placed in watch.seen:
        assert placed == [at for at in midnights if at <= scenario.calendar.at(now)], now


def test_customers_who_find_nothing_leave_without_a_cart(services, clients):
    store, inventory = services
    empty = [
        {"sku": product["sku"], "price": product["price"], "initial_stock": 0}  # no reordering
        for product in BASE["products"]
    ]
    result = simulate(clients, make_scenario(days=1, arrivals=QUIET, products=empty))
    assert result.totals.arrivals > 0
    assert result.performance["http_calls"] == result.totals.arrivals + 1  # looks and midnight
    assert get(store.url, f"/stores/{result.store_id}/orders")["total"] == 0
    assert get(store.url, f"/stores/{result.store_id}/sales/daily") == []
    assert get(inventory.url, f"/locations/{result.store_id}/movements", kind="issue")["total"] == 0
    assert result.totals.units_in_carts == 0 and result.totals.orders == 0
    assert result.totals.units_not_on_shelf > 0
    assert result.totals.checkout_fill_rate is None and result.totals.fill_rate == 0


def test_interleaved_visits_lose_units_at_checkout(services, clients):
    store, _ = services
    crowd = make_scenario(
        days=1,
        opening_hours={"open": "08:00", "close": "09:00"},
        arrivals={"model": "poisson", "rate_per_hour": 60},
        customers={
            "wish_list": {"size": {"dist": "constant", "value": 1}},
            "step_minutes": {"dist": "constant", "value": 10},
        },
        products=[{"sku": "last-few", "price": 1, "initial_stock": 3}],
    )
    result = simulate(clients, crowd)
    # many customers see the 3 units before the first one pays for them
    assert result.totals.units_sold == 3
    assert result.totals.units_lost_at_checkout > 0
    assert result.totals.units_in_carts == 3 + result.totals.units_lost_at_checkout
    orders = every_page(store.url, f"/stores/{result.store_id}/orders")
    assert sum(order["units_lost"] for order in orders) == result.totals.units_lost_at_checkout
    # everyone wanted one unit: each loss, on the shelf or at checkout, is one shortage, timed
    shortages = result.shortages["last-few"]
    assert len(shortages) == result.totals.units_lost > result.totals.units_lost_at_checkout
    assert shortages == sorted(shortages)
    assert all(crowd.start + timedelta(hours=8) < at < crowd.start + timedelta(hours=10)
               for at in shortages)  # fmt: skip
    assert_matches_the_services(services, result.replication_kpis().summary())


def test_policies_compared_under_one_seed_meet_the_same_customers(generous, scarce):
    assert [row.tally.arrivals for row in generous.daily] == [
        row.tally.arrivals for row in scarce.daily
    ]
    assert generous.totals.units_not_on_shelf == 0 and scarce.totals.units_not_on_shelf > 0
    assert generous.totals.units_sold > scarce.totals.units_sold


def test_a_run_whose_records_do_not_reconcile_fails_loudly(services, clients):
    _, inventory = services
    scenario = make_scenario(days=1, arrivals=QUIET)
    store_id = new_run_key(scenario.name)
    # the day before, someone else took 2 units of milk at the run's inventory location
    before = scenario.start - timedelta(days=1)
    clients[1].put_item(store_id, "milk", 5, {"type": "none"}, lead_time_minutes=0, at=before)
    issue = {"reference": "not-the-store", "at": before.isoformat(),
             "lines": [{"sku": "milk", "quantity": 2}]}  # fmt: skip
    post(inventory.url, f"/locations/{store_id}/issues", issue)

    with pytest.raises(InconsistentRun) as raised:
        simulate(clients, scenario, store_id)

    result = raised.value.result  # kept, for the reports
    sold, milk = result.totals.units_sold, result.skus["milk"].units_sold
    assert sold > 0 and milk > 0
    assert raised.value.problems == [
        f"units sold: the simulator counted {sold}, the inventory issued {sold + 2}",
        f"the store's reconciliation is not balanced: milk (fulfilled {milk}, issued {milk + 2})",
        f"milk: the simulator sold {milk}, the store fulfilled {milk}, "
        f"the inventory issued {milk + 2}",
    ]
