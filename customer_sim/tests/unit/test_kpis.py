"""Every KPI formula on small ledgers computed by hand: stock over time, out of stock in
opening hours, the cycle service level, the inventory position, the costs, and the KPI set
they end up in."""

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from customer_sim.domain.calendar import ROUND_THE_CLOCK, OpeningHours
from customer_sim.simulation.kpis import (
    KPIS,
    DemandTally,
    Kind,
    KpiSet,
    Scope,
    cycles_with_stockouts,
    holding_cost,
    inventory_position_steps,
    kpis_of,
    on_hand_steps,
    ratio,
    receipt_times,
    share_out_of_stock,
    time_weighted_average,
)
from customer_sim.simulation.ports import (
    DailySales,
    LedgerEntry,
    OrderLine,
    PlacedOrder,
    PurchaseOrderRecord,
    Reconciliation,
)
from customer_sim.simulation.results import RunResult, ServiceRecords
from customer_sim.tests.builders import make_scenario

START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


LEDGER = [
    LedgerEntry("a", "adjustment", 10, 10, at(0)),  # 10 from the start
    LedgerEntry("b", "adjustment", 4, 4, at(0)),
    LedgerEntry("a", "issue", -4, 6, at(6)),  # 6 from 06:00
    LedgerEntry("a", "issue", -6, 0, at(12)),  # empty from 12:00
    LedgerEntry("a", "receipt", 20, 20, at(18)),  # 20 from 18:00
    LedgerEntry("b", "issue", -1, 3, at(30)),  # after the window below
]


def test_on_hand_steps_per_sku():
    steps = on_hand_steps(LEDGER)
    assert steps["a"] == [(at(0), 10), (at(6), 6), (at(12), 0), (at(18), 20)]
    assert steps["b"] == [(at(0), 4), (at(30), 3)]


def test_time_weighted_average_from_a_hand_made_ledger():
    steps = on_hand_steps(LEDGER)
    # a over one day: 6h x 10 + 6h x 6 + 6h x 0 + 6h x 20 = 216 unit-hours / 24 h
    assert time_weighted_average(steps["a"], at(0), at(24)) == pytest.approx(9.0)
    assert time_weighted_average(steps["b"], at(0), at(24)) == pytest.approx(4.0)
    # a window starting mid-way uses the level in force at its start
    assert time_weighted_average(steps["a"], at(9), at(21)) == pytest.approx(
        (3 * 6 + 6 * 0 + 3 * 20) / 12
    )


def test_before_the_first_movement_nothing_is_on_hand():
    steps = [(at(12), 8)]
    assert time_weighted_average(steps, at(0), at(24)) == pytest.approx(4.0)
    assert time_weighted_average([], at(0), at(24)) == 0


def test_several_movements_at_one_instant_count_the_last_level():
    steps = [(at(0), 5), (at(0), 9), (at(12), 1), (at(12), 3)]
    assert time_weighted_average(steps, at(0), at(24)) == pytest.approx((12 * 9 + 12 * 3) / 24)


def test_out_of_stock_counts_opening_hours_only():
    steps = on_hand_steps(LEDGER)["a"]  # empty 12:00-18:00 on the first day
    assert share_out_of_stock(steps, at(0), at(24), ROUND_THE_CLOCK) == pytest.approx(6 / 24)
    nine_to_five = OpeningHours(9 * 60, 17 * 60)  # empty for 5 of the 8 open hours
    assert share_out_of_stock(steps, at(0), at(24), nine_to_five) == pytest.approx(5 / 8)
    evenings = OpeningHours(19 * 60, 23 * 60)  # open only after the receipt
    assert share_out_of_stock(steps, at(0), at(24), evenings) == 0
    # two days, the second one empty from 20:00 on: only the open hours count
    two_days = [*steps, (at(44), 0)]
    assert share_out_of_stock(two_days, at(0), at(48), nine_to_five) == pytest.approx(5 / 16)
    assert share_out_of_stock([], at(0), at(24), nine_to_five) == 1


def test_an_empty_window_is_an_error():
    with pytest.raises(ValueError):
        time_weighted_average([], at(1), at(1))
    with pytest.raises(ValueError):
        share_out_of_stock([], at(1), at(1), ROUND_THE_CLOCK)


def test_cycles_end_with_receipts_and_count_when_someone_went_without():
    receipts = [at(10), at(20), at(30)]  # cycles [0, 10), [10, 20), [20, 30); [30, end) is open
    assert cycles_with_stockouts(receipts, []) == (3, 0)
    assert cycles_with_stockouts(receipts, [at(5), at(6)]) == (3, 1)  # two losses, one cycle
    assert cycles_with_stockouts(receipts, [at(5), at(25)]) == (3, 2)
    # a receipt is applied before anything else at its instant: a loss then is the next cycle's
    assert cycles_with_stockouts(receipts, [at(10)]) == (3, 1)
    assert cycles_with_stockouts(receipts, [at(29.9)]) == (3, 1)
    # the cycle still running at the end is cut short and does not count, nor do its losses
    assert cycles_with_stockouts(receipts, [at(31)]) == (3, 0)
    assert cycles_with_stockouts([], [at(1)]) == (0, 0)  # no receipt: no completed cycle


def test_receipt_times_merge_receipts_at_one_instant():
    ledger = [
        *LEDGER,
        LedgerEntry("a", "receipt", 5, 25, at(18)),  # a second order due at the same time
        LedgerEntry("a", "receipt", 5, 30, at(40)),
        LedgerEntry("b", "receipt", 5, 8, at(41)),
    ]
    assert receipt_times(ledger, "a") == [at(18), at(40)]
    assert receipt_times(ledger, "b") == [at(41)]


def test_inventory_position_is_on_hand_plus_on_order():
    on_hand = on_hand_steps(LEDGER)["a"]
    orders = [
        PurchaseOrderRecord("a", 20, "received", placed_at=at(12), due_at=at(18)),
        PurchaseOrderRecord("a", 7, "open", placed_at=at(20), due_at=at(30)),  # due after end
    ]
    assert inventory_position_steps(on_hand, orders, end=at(24)) == [
        (at(0), 10),
        (at(6), 6),
        (at(12), 20),  # the issue and the order placed at one instant: one point, after both
        (at(18), 20),  # the receipt moves the order onto the shelf: the position stays
        (at(20), 27),
    ]


def test_holding_cost_is_the_rate_a_year_prorated():
    assert holding_cost(100.0, 0.25, at(0), at(24 * 365)) == pytest.approx(25.0)
    assert holding_cost(100.0, 0.25, at(0), at(24 * 73)) == pytest.approx(5.0)


def test_ratio():
    assert ratio(45, 50) == 0.9
    assert ratio(0, 0) is None


def test_tallies_of_orders_and_lines():
    order = PlacedOrder(
        "o1",
        [OrderLine("a", 3, 2, Decimal("1.50")), OrderLine("b", 1, 0, Decimal("4.00"))],
        Decimal("3.00"),
    )
    day = DemandTally(arrivals=2, units_not_on_shelf=1)
    day.add_order(order)
    day.add_order(PlacedOrder("o2", [OrderLine("b", 1, 0, Decimal("4.00"))], Decimal("0")))
    assert (day.orders, day.buyers) == (2, 1)
    assert (day.units_in_carts, day.units_sold, day.units_lost_at_checkout) == (5, 2, 3)
    assert (day.units_wanted, day.units_lost) == (6, 4)
    assert day.revenue == Decimal("3.00")
    assert day.fill_rate == pytest.approx(2 / 6)  # sold / wanted: the headline
    assert day.checkout_fill_rate == pytest.approx(0.4)  # sold / put in carts
    kpis = day.kpis()
    assert (kpis.units_lost_not_on_shelf, kpis.units_lost_at_checkout, kpis.units_lost) == (
        1,
        3,
        4,
    )
    assert (kpis.fill_rate, kpis.checkout_fill_rate, kpis.revenue) == (0.3333, 0.4, 3.0)
    total = DemandTally()
    total.add(day)
    total.add(day)
    assert (total.arrivals, total.units_sold, total.revenue) == (4, 4, Decimal("6.00"))
    sku = DemandTally()
    sku.add_line(3, 2, Decimal("1.50"))
    assert (sku.units_lost_at_checkout, sku.revenue) == (1, Decimal("3.00"))
    assert DemandTally(units_not_on_shelf=3).kpis().fill_rate == 0  # wanted, none sold
    assert DemandTally().kpis().fill_rate is None  # nothing wanted: no rate


# -- a whole replication's KPIs from a ledger computed by hand ----------------------------------


def two_day_run() -> RunResult:
    """Two days open 08:00-20:00. SKU "a" (unit cost 1.50, penalty 3.00, rQ) and "b" (no
    policy, cost = its price 1.00, never sold):

    a: 10 at the start; 10 sold at d0 12:00 (an order of 20 placed, due 18:00); a unit not
    on the shelf at d0 14:00; received 18:00; 20 sold at d1 10:00 (order due 16:00);
    received 16:00; 20 sold at d1 18:00 (no order: the policy is only for the test); a unit
    not on the shelf at d1 19:00.
    """
    scenario = make_scenario(
        opening_hours={"open": "08:00", "close": "20:00"},
        costs={"holding_cost_rate": 36.5, "order_cost": 5},
        products=[
            {"sku": "a", "price": 2, "unit_cost": 1.5, "lost_sale_penalty": 3,
             "initial_stock": 10, "policy": {"type": "rQ", "reorder_point": 0,
                                             "order_quantity": 20}},
            {"sku": "b", "price": 1, "initial_stock": 4},
        ],
    )  # fmt: skip
    ledger = [
        LedgerEntry("a", "adjustment", 10, 10, at(0)),
        LedgerEntry("b", "adjustment", 4, 4, at(0)),
        LedgerEntry("a", "issue", -10, 0, at(12)),
        LedgerEntry("a", "receipt", 20, 20, at(18)),
        LedgerEntry("a", "issue", -20, 0, at(34)),
        LedgerEntry("a", "receipt", 20, 20, at(40)),
        LedgerEntry("a", "issue", -20, 0, at(42)),
    ]
    orders = [
        PurchaseOrderRecord("a", 20, "received", at(12), at(18)),
        PurchaseOrderRecord("a", 20, "received", at(34), at(40)),
    ]
    a = DemandTally(units_in_carts=50, units_sold=50, units_not_on_shelf=2, revenue=Decimal(100))
    totals = DemandTally(arrivals=5, buyers=3, orders=3)
    totals.add(a)
    sales = [DailySales(START.date(), 1, 10, 0, Decimal(20))]  # (not what is checked here)
    return RunResult(
        scenario=scenario,
        store_id="run-test-r1",
        start=START,
        end=at(48),
        totals=totals,
        skus={"a": a, "b": DemandTally()},
        daily=[],
        records=ServiceRecords(ledger, orders, sales, Reconciliation(True, [])),
        shortages={"a": [at(14), at(43)], "b": []},
    )


def test_the_kpis_of_each_sku_from_its_ledger():
    skus = two_day_run().sku_kpis()
    a, b = skus["a"], skus["b"]
    assert (a.units_wanted, a.units_sold, a.units_lost_not_on_shelf, a.units_lost) == (52, 50, 2, 2)
    assert a.fill_rate == round(50 / 52, 4) and a.checkout_fill_rate == 1.0
    # cycles: [start, d0 18:00) lost a unit; [d0 18:00, d1 16:00) did not; the last is open
    assert (a.replenishment_cycles, a.cycle_service_level) == (2, 0.5)
    # 10 x 12 h + 20 x 16 h + 20 x 2 h = 480 unit-hours over 48 h
    assert a.average_on_hand == 10.0 and a.average_inventory_value == 15.0
    # empty while open: d0 12-18 (6 h), d1 10-16 (6 h) and 18-20 (2 h), of 24 open hours
    assert a.out_of_stock_open == round(14 / 24, 4)
    assert (a.final_on_hand, a.purchase_orders, a.units_ordered) == (0, 2, 40)
    # holding: 15.00 x 36.5 a year x 2 days / 365; ordering 2 x 5; lost sales 2 x 3.00
    assert (a.holding_cost, a.ordering_cost, a.lost_sales_cost) == (3.0, 10.0, 6.0)
    assert a.total_cost == 19.0
    assert (a.arrivals, a.buyers, a.orders) == (None, None, None)  # not a SKU's

    assert b.cycle_service_level is None and b.replenishment_cycles == 0  # no receipt
    assert (b.average_on_hand, b.average_inventory_value, b.out_of_stock_open) == (4.0, 4.0, 0)
    assert (b.holding_cost, b.ordering_cost, b.lost_sales_cost, b.total_cost) == (
        0.8,
        0,
        0,
        0.8,
    )
    assert b.fill_rate is None  # nobody wanted it


def test_the_kpis_of_the_store_add_up_its_skus():
    kpis = two_day_run().kpis()
    assert (kpis.arrivals, kpis.buyers, kpis.orders, kpis.units_sold) == (5, 3, 3, 50)
    assert kpis.fill_rate == round(50 / 52, 4)
    assert (kpis.replenishment_cycles, kpis.cycle_service_level) == (2, 0.5)  # pooled
    assert kpis.out_of_stock_open == round((14 / 24 + 0) / 2, 4)  # the SKUs' mean
    assert kpis.average_inventory_value == 19.0  # at cost; units of unlike SKUs never added
    assert kpis.average_on_hand is None and kpis.final_on_hand is None
    assert (kpis.holding_cost, kpis.ordering_cost, kpis.lost_sales_cost) == (3.8, 10.0, 6.0)
    assert kpis.total_cost == 19.8 and kpis.purchase_orders == 2


def test_the_kpi_set_is_defined_once_with_a_label_kind_and_meaning_each():
    assert [kpi.key for kpi in KPIS] == [f.name for f in fields(KpiSet)]
    assert len({kpi.label for kpi in KPIS}) == len(KPIS)
    for kpi in KPIS:
        assert kpi.label and kpi.meaning and kpi.scope
    assert KPIS[0].key == "fill_rate"  # the headline comes first
    assert "average_on_hand" not in {kpi.key for kpi in kpis_of(Scope.RUN)}
    assert {kpi.key for kpi in kpis_of(Scope.DAY)} >= {"fill_rate", "units_lost_at_checkout"}


def test_a_kpi_set_goes_to_a_dict_and_back_with_its_types():
    kpis = two_day_run().sku_kpis()["a"]
    stored = kpis.as_dict(Scope.SKU)
    assert "arrivals" not in stored and stored["fill_rate"] == kpis.fill_rate
    as_floats = {key: None if value is None else float(value) for key, value in stored.items()}
    back = KpiSet.from_dict(as_floats)  # as a database might return them
    assert back == kpis
    assert isinstance(back.units_sold, int) and isinstance(back.fill_rate, float)
    assert {kpi.kind for kpi in KPIS} == set(Kind)
