"""Orders: totals charge fulfilled units only; lost demand is what was not fulfilled."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from store_service.domain.model import InvalidInput, Order, OrderLine, Product, check_price

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def order(*lines: OrderLine) -> Order:
    return Order("order-1", "store-1", "cart-1", NOW, tuple(lines))


def test_a_fully_fulfilled_order():
    placed = order(
        OrderLine("milk", 2, 2, Decimal("1.49")), OrderLine("egg", 6, 6, Decimal("0.25"))
    )
    assert placed.total == Decimal("4.48")
    assert (placed.units_requested, placed.units_fulfilled, placed.units_lost) == (8, 8, 0)
    assert placed.status == "placed"


def test_partial_fulfilment_charges_what_was_supplied_and_records_the_rest_as_lost():
    milk = OrderLine("milk", 5, 3, Decimal("1.49"))
    bread = OrderLine("bread", 1, 0, Decimal("2.20"))
    placed = order(milk, bread)
    assert (milk.lost, bread.lost) == (2, 1)
    assert (milk.amount, bread.amount) == (Decimal("4.47"), Decimal("0"))
    assert placed.total == Decimal("4.47")
    assert (placed.units_requested, placed.units_fulfilled, placed.units_lost) == (6, 3, 3)


def test_nothing_fulfilled_is_a_zero_total_not_an_error():
    placed = order(OrderLine("milk", 2, 0, Decimal("1.49")))
    assert placed.total == Decimal("0.00") and placed.units_lost == 2


def test_money_is_exact_to_the_cent():
    placed = order(*[OrderLine(f"s{i}", 1, 1, Decimal("0.10")) for i in range(3)])
    assert placed.total == Decimal("0.30")  # 0.1 * 3 in floats is 0.30000000000000004
    assert str(placed.total) == "0.30"


@pytest.mark.parametrize(
    "requested, fulfilled", [(0, 0), (-1, 0), (2, 3), (2, -1)], ids=["zero", "neg", "over", "neg-f"]
)
def test_impossible_lines_are_refused(requested, fulfilled):
    with pytest.raises(InvalidInput):
        OrderLine("milk", requested, fulfilled, Decimal("1.00"))


def test_prices_are_non_negative_with_at_most_two_decimals():
    assert check_price(Decimal("1.5")) == Decimal("1.50")
    assert Product("milk", "Milk", "dairy", Decimal("0")).price == Decimal("0.00")
    for bad in ("-0.01", "1.005", "NaN", "Infinity", "10000000000"):
        with pytest.raises(InvalidInput):
            check_price(Decimal(bad))
