"""Replenishment policies: validation and the orders each prescribes. Pure domain, no I/O."""

import pytest

from inventory_service.domain.policies import (
    InvalidPolicy,
    MinMaxPolicy,
    NoPolicy,
    PeriodicReviewPolicy,
    ReorderPointPolicy,
    make_policy,
)


def test_make_policy_builds_each_type_from_flat_parameters():
    assert make_policy("none") == NoPolicy()
    assert make_policy("rQ", reorder_point=5, order_quantity=10) == ReorderPointPolicy(5, 10)
    assert make_policy("sS", reorder_point=5, order_up_to=20) == MinMaxPolicy(5, 20)
    assert make_policy("RS", review_period_minutes=60, order_up_to=20) == PeriodicReviewPolicy(
        60, 20
    )


@pytest.mark.parametrize(
    "kind, parameters, field, message",
    [
        ("Rq", {}, "type", "unknown policy type 'Rq'"),
        ("rQ", {"reorder_point": 5}, "order_quantity", "required for rQ"),
        ("rQ", {"order_quantity": 5}, "reorder_point", "required for rQ"),
        ("rQ", {"reorder_point": -1, "order_quantity": 5}, "reorder_point", ">= 0"),
        ("rQ", {"reorder_point": 1, "order_quantity": 0}, "order_quantity", ">= 1"),
        (
            "rQ",
            {"reorder_point": 1, "order_quantity": 2, "order_up_to": 9},
            "order_up_to",
            "not used",
        ),
        ("sS", {"reorder_point": 5, "order_up_to": 5}, "order_up_to", "S > s"),
        ("sS", {"reorder_point": 5}, "order_up_to", "required for sS"),
        ("RS", {"review_period_minutes": 0, "order_up_to": 5}, "review_period_minutes", ">= 1"),
        ("RS", {"review_period_minutes": 60, "order_up_to": 0}, "order_up_to", ">= 1"),
        ("none", {"reorder_point": 3}, "reorder_point", "not used by none"),
        ("rQ", {"reorder_pt": 3}, "reorder_pt", "not a policy parameter"),
    ],
)
def test_invalid_policies_name_the_offending_field(kind, parameters, field, message):
    with pytest.raises(InvalidPolicy) as raised:
        make_policy(kind, **parameters)
    assert raised.value.field == field
    assert message in raised.value.message


def test_unused_parameters_given_as_none_are_accepted():
    policy = make_policy("rQ", reorder_point=1, order_quantity=2, order_up_to=None)
    assert policy == ReorderPointPolicy(1, 2)


@pytest.mark.parametrize(
    "position, orders",
    [(11, []), (10, [5]), (6, [5]), (5, [5, 5]), (0, [5, 5, 5])],
)
def test_rq_orders_q_repeatedly_until_the_position_is_above_r(position, orders):
    policy = ReorderPointPolicy(reorder_point=10, order_quantity=5)
    assert policy.on_position_change(position) == orders
    assert (position + sum(orders) > 10) if orders else position > 10


@pytest.mark.parametrize("position, orders", [(11, []), (10, [30]), (3, [37]), (0, [40])])
def test_ss_orders_up_to_s_in_one_order(position, orders):
    assert MinMaxPolicy(reorder_point=10, order_up_to=40).on_position_change(position) == orders


def test_rs_orders_up_to_s_only_at_reviews():
    policy = PeriodicReviewPolicy(review_period_minutes=1440, order_up_to=50)
    assert policy.on_position_change(0) == []
    assert policy.on_review(12) == [38]
    assert policy.on_review(50) == []
    assert policy.review_period_minutes_or_none == 1440


def test_parameters_round_trip_through_make_policy():
    for policy in (
        NoPolicy(),
        ReorderPointPolicy(3, 7),
        MinMaxPolicy(2, 9),
        PeriodicReviewPolicy(30, 12),
    ):
        parameters = policy.parameters()
        assert make_policy(parameters.pop("type"), **parameters) == policy
