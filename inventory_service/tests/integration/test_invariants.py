"""The inventory's invariants, on a real PostgreSQL database, through the use cases."""

from __future__ import annotations

import random

from sqlalchemy import func
from sqlmodel import Session, select

from inventory_service.adapters.tables import MovementRow, PurchaseOrderRow, StockItemRow
from inventory_service.application import services
from inventory_service.domain.model import UnknownSkus
from inventory_service.domain.policies import make_policy
from inventory_service.tests.conftest import at
from testkit.fixtures import run_concurrently


def ledger_sum(engine, location: str, sku: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.coalesce(func.sum(MovementRow.quantity), 0)).where(
                MovementRow.location_id == location, MovementRow.sku == sku
            )
        ).one()


def stock(engine, location: str, sku: str) -> StockItemRow:
    with Session(engine) as session:
        return session.get(StockItemRow, (location, sku))


def test_on_hand_equals_the_ledger_and_never_goes_negative_under_a_random_mix(
    engine, uow, location
):
    rng = random.Random(20260302)
    skus = ["a", "b", "c"]
    policies = {
        "a": make_policy("rQ", reorder_point=5, order_quantity=8),
        "b": make_policy("sS", reorder_point=3, order_up_to=15),
        "c": make_policy("RS", review_period_minutes=240, order_up_to=12),
    }
    for sku in skus:
        services.put_item(uow(), location, sku, at(0), on_hand=10, policy=policies[sku],
                          lead_time_minutes=rng.choice([0, 30, 180]))  # fmt: skip
    minute = 0
    for step in range(300):
        minute += rng.randint(0, 45)
        roll = rng.random()
        if roll < 0.75:
            lines = [(rng.choice(skus), rng.randint(1, 6)) for _ in range(rng.randint(1, 3))]
            services.issue(uow(), location, f"r-{step}", at(minute), lines)
        elif roll < 0.85:
            services.put_item(
                uow(), location, rng.choice(skus), at(minute), on_hand=rng.randint(0, 20)
            )
        else:
            services.advance_clock(uow(), location, at(minute))
        for sku in skus:
            row = stock(engine, location, sku)
            assert row.on_hand >= 0
            assert row.on_hand == ledger_sum(engine, location, sku), (step, sku)
    with Session(engine) as session:
        received = session.exec(
            select(func.count()).where(
                PurchaseOrderRow.location_id == location, PurchaseOrderRow.status == "received"
            )
        ).one()
    assert received > 0  # the mix did exercise receipts


def test_no_oversell_when_fifty_threads_want_the_last_units(engine, threaded_uow, location):
    services.put_item(threaded_uow(), location, "last", at(0), on_hand=7)

    results = run_concurrently(
        50, lambda i: services.issue(threaded_uow(), location, f"buyer-{i}", at(1), [("last", 1)])
    )

    issued = sum(result.record.lines[0].issued for result in results)
    assert issued == 7
    assert stock(engine, location, "last").on_hand == 0
    assert ledger_sum(engine, location, "last") == 0


def test_the_same_reference_sent_concurrently_issues_once(engine, threaded_uow, location):
    services.put_item(threaded_uow(), location, "milk", at(0), on_hand=100)

    results = run_concurrently(
        20, lambda i: services.issue(threaded_uow(), location, "one-checkout", at(1), [("milk", 3)])
    )

    assert sum(not result.replayed for result in results) == 1
    assert {result.record.lines[0].issued for result in results} == {3}
    assert stock(engine, location, "milk").on_hand == 97
    with Session(engine) as session:
        issues = session.exec(
            select(func.count()).where(
                MovementRow.location_id == location, MovementRow.kind == "issue"
            )
        ).one()
    assert issues == 1


def test_a_purchase_order_is_received_exactly_once_whichever_request_triggers_it(
    engine, threaded_uow, location
):
    policy = make_policy("rQ", reorder_point=5, order_quantity=20)
    services.put_item(
        threaded_uow(), location, "milk", at(0), on_hand=5, policy=policy, lead_time_minutes=60
    )  # fmt: skip  (places one order due at 60)
    services.put_item(threaded_uow(), location, "tea", at(0), on_hand=50)

    def trigger(i: int):
        kind = i % 3
        if kind == 0:
            return services.advance_clock(threaded_uow(), location, at(61))
        if kind == 1:
            with engine.connect() as connection:
                return services.advance_clock_if_due(threaded_uow(), connection, location, at(61))
        return services.issue(threaded_uow(), location, f"tea-{i}", at(61), [("tea", 1)])

    run_concurrently(24, trigger)

    with Session(engine) as session:
        receipts = session.exec(
            select(MovementRow).where(
                MovementRow.location_id == location, MovementRow.kind == "receipt"
            )
        ).all()
        (order,) = session.exec(
            select(PurchaseOrderRow).where(PurchaseOrderRow.location_id == location)
        ).all()
    assert len(receipts) == 1
    assert receipts[0].at == at(60)  # booked at its due time, not at the request's
    assert receipts[0].purchase_order_id == order.id and receipts[0].reference == f"po-{order.id}"
    assert (order.status, order.received_at) == ("received", at(60))
    assert stock(engine, location, "milk").on_hand == 25


def test_an_issue_naming_an_unknown_sku_moves_nothing(engine, uow, location):
    services.put_item(uow(), location, "milk", at(0), on_hand=5)
    try:
        services.issue(uow(), location, "mixed", at(1), [("milk", 2), ("ghost", 1)])
    except UnknownSkus as error:
        assert error.skus == ["ghost"]
    else:
        raise AssertionError("expected UnknownSkus")
    assert stock(engine, location, "milk").on_hand == 5
    # the reference was not consumed: a corrected request goes through
    result = services.issue(uow(), location, "mixed", at(1), [("milk", 2)])
    assert not result.replayed and result.record.lines[0].issued == 2


def test_requests_without_at_are_dated_in_the_order_they_are_applied(
    engine, threaded_uow, location
):
    """Server-dated requests never conflict with each other, however long each waited."""
    services.put_item(threaded_uow(), location, "milk", None, on_hand=30)

    results = run_concurrently(
        40, lambda i: services.issue(threaded_uow(), location, f"now-{i}", None, [("milk", 1)])
    )

    assert sum(result.record.lines[0].issued for result in results) == 30
    with Session(engine) as session:
        times = session.exec(
            select(MovementRow.at)
            .where(MovementRow.location_id == location)
            .order_by(MovementRow.id)
        ).all()
    assert times == sorted(times)
