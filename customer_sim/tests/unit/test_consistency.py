"""The check that the simulator's account and the services' records agree, on plain data built
by hand (a whole run against the real services that does not reconcile: e2e/test_simulation.py).
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from customer_sim.simulation.ports import Reconciliation, SkuReconciliation
from customer_sim.simulation.runner import InconsistentRun, build_result, check_consistency
from customer_sim.tests.builders import HandBuiltRun, hand_built_run, make_scenario

DAYS = [
    [{"milk": (2, 2), "jam": (1, 1)}, {"bread": (3, 3)}],
    [{"milk": (1, 1)}, {"jam": (4, 2), "bread": (1, 1)}],
]


@pytest.fixture
def run() -> HandBuiltRun:
    return hand_built_run(make_scenario(days=2), DAYS)


def with_records(run: HandBuiltRun, **changes) -> list[str]:
    return check_consistency(run.outcome, replace(run.records, **changes))


def test_a_consistent_run_has_no_problems(run):
    assert check_consistency(run.outcome, run.records) == []
    assert sum(day.units_sold for day in run.outcome.days) == 10  # 2 + 1 + 3 + 1 + 2 + 1


def test_the_stores_daily_sales_missing_a_unit(run):
    first, *rest = run.records.daily_sales
    daily = [replace(first, units_sold=first.units_sold - 1), *rest]
    assert with_records(run, daily_sales=daily) == [
        "units sold: the simulator counted 10, the store 9"
    ]


def test_the_stores_orders_lost_units_and_revenue_differing(run):
    first, *rest = run.records.daily_sales
    daily = [
        replace(first, orders=first.orders + 1, units_lost=first.units_lost + 1,
                revenue=first.revenue + Decimal("0.01")),
        *rest,
    ]  # fmt: skip
    assert with_records(run, daily_sales=daily) == [
        "orders: the simulator counted 4, the store 5",
        "units lost at checkout: the simulator counted 2, the store 3",
        "revenue: the simulator counted 22.6, the store 22.61",
    ]


def test_the_inventory_missing_an_issue(run):
    ledger = [e for e in run.records.ledger if not (e.sku == "bread" and e.quantity == -3)]
    assert with_records(run, ledger=ledger) == [
        "units sold: the simulator counted 10, the inventory issued 7",
        "bread: the simulator sold 4, the store fulfilled 4, the inventory issued 1",
    ]


def test_an_unbalanced_reconciliation_names_its_skus(run):
    lines = [
        SkuReconciliation("bread", 4, 4),
        SkuReconciliation("jam", 3, 2),
        SkuReconciliation("milk", 3, 3),
    ]
    assert with_records(run, reconciliation=Reconciliation(False, lines)) == [
        "the store's reconciliation is not balanced: jam (fulfilled 3, issued 2)"
    ]


def test_the_simulators_sales_per_sku_disagreeing(run):
    skus = dict(run.outcome.skus)
    skus["milk"] = replace(skus["milk"], units_sold=skus["milk"].units_sold - 1)
    skus["jam"] = replace(skus["jam"], units_sold=skus["jam"].units_sold + 1)
    problems = check_consistency(replace(run.outcome, skus=skus), run.records)
    assert problems == [
        "milk: the simulator sold 2, the store fulfilled 3, the inventory issued 3",
        "jam: the simulator sold 4, the store fulfilled 3, the inventory issued 3",
    ]


def test_an_inconsistent_run_lists_its_problems_and_keeps_its_result(run):
    result = build_result(run.scenario, "run-test", run.outcome, run.records)
    assert result.totals.units_sold == 10 and len(result.daily) == 2
    problems = ["units sold: the simulator counted 10, the store 9", "revenue: ..."]
    error = InconsistentRun(problems, result)
    assert str(error) == (
        "the run's records do not reconcile:\n"
        "  - units sold: the simulator counted 10, the store 9\n"
        "  - revenue: ..."
    )
    assert error.problems == problems and error.result is result
