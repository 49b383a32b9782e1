from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from customer_sim.simulation.kpis import (
    DemandTally,
    fill_rate,
    fraction_out_of_stock,
    on_hand_steps,
    time_weighted_average,
)
from customer_sim.simulation.ports import LedgerEntry, OrderLine, PlacedOrder

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


def test_fraction_out_of_stock():
    steps = on_hand_steps(LEDGER)
    assert fraction_out_of_stock(steps["a"], at(0), at(24)) == pytest.approx(0.25)
    assert fraction_out_of_stock(steps["b"], at(0), at(24)) == 0
    assert fraction_out_of_stock([], at(0), at(24)) == 1


def test_an_empty_window_is_an_error():
    with pytest.raises(ValueError):
        time_weighted_average([], at(1), at(1))


def test_fill_rate():
    assert fill_rate(45, 50) == 0.9
    assert fill_rate(0, 0) is None


def test_tallies_of_orders_and_lines():
    order = PlacedOrder(
        "o1",
        [OrderLine("a", 3, 2, Decimal("1.50")), OrderLine("b", 1, 0, Decimal("4.00"))],
        Decimal("3.00"),
    )
    day = DemandTally(arrivals=2, units_not_found=1)
    day.add_order(order)
    day.add_order(PlacedOrder("o2", [OrderLine("b", 1, 0, Decimal("4.00"))], Decimal("0")))
    assert (day.orders, day.buyers) == (2, 1)
    assert (day.units_demanded, day.units_sold, day.units_lost) == (5, 2, 3)
    assert day.revenue == Decimal("3.00")
    assert day.fill_rate == pytest.approx(0.4)
    assert day.shelf_fill_rate == pytest.approx(2 / 6)
    total = DemandTally()
    total.add(day)
    total.add(day)
    assert (total.arrivals, total.units_sold, total.revenue) == (4, 4, Decimal("6.00"))
    sku = DemandTally()
    sku.add_line(3, 2, Decimal("1.50"))
    assert (sku.units_lost, sku.revenue) == (1, Decimal("3.00"))
