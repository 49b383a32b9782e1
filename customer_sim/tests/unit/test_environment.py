"""The whole simulation against in-memory fakes of the services: no I/O."""

from dataclasses import replace
from datetime import timedelta

import pytest

from customer_sim.simulation.runner import InconsistentRun, run_scenario
from customer_sim.tests.builders import BASE, make_scenario
from customer_sim.tests.fakes import FakeInventory, FakeStore


def simulate(scenario, store_class=FakeStore):
    inventory = FakeInventory()
    store = store_class(inventory)
    result = run_scenario(scenario, store, inventory, store_id="run-test")
    return result, store, inventory


def comparable(result):
    summary = result.summary()
    return summary["kpis"], summary["skus"], [row.as_dict() for row in result.daily]


def test_same_scenario_and_seed_give_identical_results():
    scenario = make_scenario(days=3)
    first, _, _ = simulate(scenario)
    second, _, _ = simulate(scenario)
    assert comparable(first) == comparable(second)
    assert first.totals.arrivals > 0 and first.totals.units_sold > 0


def test_another_seed_gives_other_results():
    first, _, _ = simulate(make_scenario(days=3, seed=1))
    second, _, _ = simulate(make_scenario(days=3, seed=2))
    assert comparable(first) != comparable(second)


def test_the_simulators_counts_match_the_services_records():
    result, store, inventory = simulate(make_scenario(days=3))
    issued = sum(-e.quantity for e in inventory.ledger["run-test"] if e.kind == "issue")
    assert result.totals.units_sold == issued
    assert result.totals.units_sold == sum(d.units_sold for d in store.daily_sales("run-test"))
    assert result.totals.orders == store.calls.count("checkout")
    assert result.totals.arrivals == store.calls.count("offers")  # one observation each
    assert sum(row.tally.arrivals for row in result.daily) == result.totals.arrivals


def test_the_inventory_clock_is_advanced_at_every_midnight():
    scenario = make_scenario(days=4)
    _, _, inventory = simulate(scenario)
    midnights = [scenario.start + timedelta(days=d) for d in range(1, 5)]
    assert inventory.clock_calls == [("run-test", at) for at in midnights]


def test_customers_come_while_the_store_is_open_and_write_in_time_order():
    scenario = make_scenario(days=2)  # open 08:00-20:00, steps of 1-3 minutes
    result, store, _ = simulate(scenario)  # FakeInventory raises if a write goes back in time
    assert all(row.tally.arrivals > 0 for row in result.daily)
    for at in store.observed_at:  # observing is the first step after walking in
        minute = (at - scenario.start).total_seconds() / 60 % 1440
        assert 8 * 60 + 1 <= minute <= 20 * 60 + 3


def test_customers_who_find_nothing_leave_without_a_cart():
    products = [{**product, "initial_stock": 0} for product in BASE["products"]]
    result, store, _ = simulate(make_scenario(products=products))
    assert store.calls and set(store.calls) == {"offers"}
    assert result.totals.units_demanded == 0 and result.totals.orders == 0
    assert result.totals.units_not_found > 0
    assert result.totals.fill_rate is None and result.totals.shelf_fill_rate == 0


def test_interleaved_visits_lose_units_at_checkout():
    crowd = make_scenario(
        days=1,
        opening_hours=None,
        arrivals={"model": "poisson", "rate_per_hour": 120},
        customers={
            "wish_list": {"size": {"dist": "constant", "value": 1}},
            "step_minutes": {"dist": "constant", "value": 10},
        },
        products=[{"sku": "last-few", "price": 1, "initial_stock": 3}],
    )
    result, _, _ = simulate(crowd)
    # many customers see the 3 units before the first one pays for them
    assert result.totals.units_sold == 3
    assert result.totals.units_lost > 0
    assert result.totals.units_demanded == 3 + result.totals.units_lost


def test_policies_compared_under_one_seed_meet_the_same_customers():
    generous = [{**product, "initial_stock": 500} for product in BASE["products"]]
    scarce = [{**product, "initial_stock": 2} for product in BASE["products"]]
    rich, _, _ = simulate(make_scenario(days=3, products=generous))
    poor, _, _ = simulate(make_scenario(days=3, products=scarce))
    assert [r.tally.arrivals for r in rich.daily] == [r.tally.arrivals for r in poor.daily]
    assert rich.totals.units_not_found == 0 and poor.totals.units_not_found > 0
    assert rich.totals.units_sold > poor.totals.units_sold


class ForgetfulStore(FakeStore):
    """A store whose daily sales miss one unit: the run must refuse to report."""

    def daily_sales(self, store_id):
        days = super().daily_sales(store_id)
        return [replace(days[0], units_sold=days[0].units_sold - 1), *days[1:]]


def test_a_run_whose_records_do_not_reconcile_fails_loudly():
    with pytest.raises(InconsistentRun) as raised:
        simulate(make_scenario(days=2), store_class=ForgetfulStore)
    assert any("units sold" in problem for problem in raised.value.problems)
    assert raised.value.result.totals.units_sold > 0  # kept for the reports
