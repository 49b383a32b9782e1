"""Stock items, the ledger they write, and time catch-up. Pure domain, no I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from inventory_service.domain.model import (
    IssueLine,
    IssueRecord,
    Location,
    MovementKind,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderPlaced,
    PurchaseOrderReceived,
    StockIssued,
    StockItem,
    TimeWentBackwards,
    catch_up,
)
from inventory_service.domain.policies import (
    MinMaxPolicy,
    PeriodicReviewPolicy,
    ReorderPointPolicy,
)

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def test_issue_takes_what_is_on_hand_and_reports_the_rest_short():
    item = StockItem("milk", on_hand=3)
    issued, movement = item.issue(5, T0, "order-1")
    assert issued == 3
    assert item.on_hand == 0
    assert movement.kind is MovementKind.ISSUE
    assert (movement.quantity, movement.on_hand_after, movement.reference) == (-3, 0, "order-1")
    assert item.events == [StockIssued("milk", requested=5, issued=3)]


def test_issue_with_nothing_on_hand_writes_no_movement():
    item = StockItem("milk", on_hand=0)
    assert item.issue(2, T0, "r") == (0, None)
    assert item.events == [StockIssued("milk", 2, 0)]


def test_issue_rejects_non_positive_quantities():
    with pytest.raises(ValueError):
        StockItem("milk", on_hand=3).issue(0, T0, "r")


def test_adjust_books_the_difference():
    item = StockItem("milk", on_hand=10)
    movement = item.adjust_to(4, T0, "count")
    assert (movement.kind, movement.quantity, movement.on_hand_after) == (
        MovementKind.ADJUSTMENT,
        -6,
        4,
    )
    assert item.adjust_to(4, T0, "count") is None
    with pytest.raises(ValueError):
        item.adjust_to(-1, T0, "count")


def test_replenish_places_orders_due_after_the_lead_time():
    item = StockItem("milk", on_hand=4, policy=ReorderPointPolicy(5, 10), lead_time_minutes=90)
    (order,) = item.replenish(T0)
    assert (order.quantity, order.placed_at, order.due_at) == (10, T0, minutes(90))
    assert item.on_order == 10 and item.inventory_position == 14
    assert item.replenish(T0) == []  # the position is above r now
    assert item.events == [PurchaseOrderPlaced("milk", 10)]


def test_receive_moves_on_order_to_on_hand_at_the_due_time():
    item = StockItem("milk", on_hand=0, policy=MinMaxPolicy(2, 12), lead_time_minutes=60)
    (order,) = item.replenish(T0)
    movement = item.receive(order)
    assert (item.on_hand, item.on_order) == (12, 0)
    assert order.status is OrderStatus.RECEIVED and order.received_at == minutes(60)
    assert (movement.kind, movement.quantity, movement.at, movement.order) == (
        MovementKind.RECEIPT,
        12,
        minutes(60),
        order,
    )
    assert PurchaseOrderReceived("milk", 12) in item.events
    with pytest.raises(ValueError):
        item.receive(order)  # exactly once


def test_periodic_policy_reviews_every_period_from_when_it_was_set():
    item = StockItem("milk", on_hand=10, lead_time_minutes=30)
    item.set_policy(PeriodicReviewPolicy(review_period_minutes=60, order_up_to=25), T0)
    assert item.next_review_at == minutes(60)
    (order,) = item.review()
    assert (order.quantity, order.placed_at, order.reason) == (15, minutes(60), "periodic review")
    assert item.next_review_at == minutes(120)
    assert item.review() == []  # position is 25 already
    assert item.next_review_at == minutes(180)


def test_catch_up_applies_receipts_and_reviews_in_time_order():
    periodic = StockItem("tea", on_hand=0, lead_time_minutes=20)
    periodic.set_policy(PeriodicReviewPolicy(60, 10), T0)
    continuous = StockItem("milk", on_hand=0, policy=ReorderPointPolicy(0, 5), lead_time_minutes=90)
    (milk_order,) = continuous.replenish(T0)
    items = {"tea": periodic, "milk": continuous}

    result = catch_up(items, [milk_order], until=minutes(150))

    # tea reviewed at 60 (order due 80) and at 120 (nothing to order: position is 10);
    # milk received at 90; tea's order received at 80.
    assert [(m.sku, m.at) for m in result.movements] == [
        ("tea", minutes(80)),
        ("milk", minutes(90)),
    ]
    assert [(o.sku, o.placed_at) for o in result.placed] == [("tea", minutes(60))]
    assert {o.sku for o in result.received} == {"tea", "milk"}
    assert periodic.on_hand == 10 and continuous.on_hand == 5
    assert periodic.next_review_at == minutes(180)
    assert result.last_event_at == minutes(120)


def test_catch_up_receives_before_reviewing_at_the_same_instant():
    item = StockItem("tea", on_hand=0, lead_time_minutes=60)
    item.set_policy(PeriodicReviewPolicy(60, 10), T0)
    arriving = PurchaseOrder("tea", 10, placed_at=T0, due_at=minutes(60), reason="manual")
    item.on_order = 10
    result = catch_up({"tea": item}, [arriving], until=minutes(60))
    assert result.placed == []  # the review at 60 saw the 10 that arrived at 60
    assert item.on_hand == 10


def test_catch_up_with_nothing_due_changes_nothing():
    item = StockItem("milk", on_hand=3)
    result = catch_up({"milk": item}, [], until=minutes(10_000))
    assert result.movements == [] and result.last_event_at is None and item.on_hand == 3


def test_location_clock_only_moves_forward():
    location = Location("store-1", clock=minutes(10))
    location.check_write_time(minutes(10))
    with pytest.raises(TimeWentBackwards):
        location.check_write_time(minutes(9))
    location.record(minutes(5))
    assert location.clock == minutes(10)
    location.record(minutes(20))
    assert location.clock == minutes(20)


def test_issue_record_knows_a_repeat_from_a_different_request():
    record = IssueRecord("r", T0, [IssueLine("milk", 2, 1), IssueLine("tea", 1, 1)])
    assert record.same_request([("milk", 2), ("tea", 1)])
    assert not record.same_request([("milk", 3), ("tea", 1)])


def test_rq_under_a_known_demand_sequence_places_the_prescribed_orders():
    """r=4, Q=6, lead time 2 days, on hand 10; demand 3/day for 8 days, issued at noon.

    Day by day (position = on hand + on order after the day's issue):
      d0 10→7 (pos 7)            d1 7→4 (pos 4 <= 4: order #1 due d3)
      d2 4→1 (pos 7)             d3 receipt +6 at 12:00 then issue 7→4 (pos 4: order #2, due d5)
      d4 4→1 (pos 7)             d5 receipt then 7→4 (order #3 due d7)
      d6 4→1                     d7 receipt then 7→4 (order #4 due d9)
    """
    item = StockItem(
        "milk", on_hand=10, policy=ReorderPointPolicy(4, 6), lead_time_minutes=2 * 1440
    )
    open_orders: list[PurchaseOrder] = []
    placed_days = []
    for day in range(8):
        noon = T0 + timedelta(days=day, hours=12)
        due = [order for order in open_orders if order.due_at <= noon]
        catch_up({"milk": item}, due, noon)
        open_orders = [order for order in open_orders if order.status is OrderStatus.OPEN]
        item.issue(3, noon, f"day-{day}")
        new = item.replenish(noon)
        placed_days += [day] * len(new)
        open_orders += new
    assert placed_days == [1, 3, 5, 7]
    assert item.on_hand == 4 and item.on_order == 6
