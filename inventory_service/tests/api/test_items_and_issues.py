"""The inventory HTTP API on PostgreSQL: items, issues, clock, listings, errors."""

from __future__ import annotations

import pytest

from inventory_service.tests.conftest import at, iso

RQ = {"type": "rQ", "reorder_point": 20, "order_quantity": 40}


def put(client, location, sku, **body):
    return client.put(f"/locations/{location}/items/{sku}", json=body)


def issue(client, location, reference, minute, *lines):
    body = {"reference": reference, "at": iso(at(minute)), "lines": [
        {"sku": sku, "quantity": quantity} for sku, quantity in lines]}  # fmt: skip
    return client.post(f"/locations/{location}/issues", json=body)


def test_put_creates_then_updates_an_item(client, location):
    created = put(client, location, "milk", on_hand=50, policy=RQ, lead_time_minutes=2880,
                  at=iso(at(0)))  # fmt: skip
    assert created.status_code == 201
    assert created.json() == {
        "location": location,
        "sku": "milk",
        "on_hand": 50,
        "on_order": 0,
        "inventory_position": 50,
        "policy": {**RQ, "order_up_to": None, "review_period_minutes": None},
        "lead_time_minutes": 2880,
        "next_review_at": None,
    }
    updated = put(client, location, "milk", on_hand=45, at=iso(at(5)))
    assert updated.status_code == 200
    assert updated.json()["on_hand"] == 45 and updated.json()["policy"]["type"] == "rQ"
    moves = client.get(f"/locations/{location}/movements", params={"sku": "milk"}).json()
    assert [(m["kind"], m["quantity"], m["on_hand_after"]) for m in moves["data"]] == [
        ("adjustment", 50, 50),
        ("adjustment", -5, 45),
    ]


def test_issue_is_partial_per_line_and_all_in_one_request(client, location):
    put(client, location, "milk", on_hand=5, at=iso(at(0)))
    put(client, location, "tea", on_hand=0, at=iso(at(0)))
    answer = issue(client, location, "order-1", 10, ("milk", 3), ("tea", 2), ("milk", 4))
    assert answer.status_code == 201
    assert answer.json()["lines"] == [
        {"sku": "milk", "requested": 3, "issued": 3},
        {"sku": "tea", "requested": 2, "issued": 0},
        {"sku": "milk", "requested": 4, "issued": 2},
    ]
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 0


def test_a_repeated_reference_returns_the_first_result_and_moves_nothing(client, location):
    put(client, location, "milk", on_hand=5, at=iso(at(0)))
    first = issue(client, location, "order-1", 10, ("milk", 2))
    put(client, location, "milk", on_hand=1, at=iso(at(20)))  # stock changes in between
    repeat = issue(client, location, "order-1", 10, ("milk", 2))
    assert (first.status_code, repeat.status_code) == (201, 200)
    assert repeat.json() == {**first.json(), "replayed": True}
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 1
    different = issue(client, location, "order-1", 30, ("milk", 1))
    assert different.status_code == 409
    assert "already used" in different.json()["detail"]


def test_rq_policy_through_the_api_orders_and_receives_on_time(client, location):
    put(client, location, "milk", on_hand=25, policy=RQ, lead_time_minutes=60, at=iso(at(0)))
    issue(client, location, "o1", 10, ("milk", 5))  # position 20 <= 20: one order of 40
    orders = client.get(f"/locations/{location}/purchase-orders").json()
    assert [(o["quantity"], o["status"], o["due_at"]) for o in orders["data"]] == [
        (40, "open", iso(at(70)))
    ]
    before = client.get(f"/locations/{location}/items/milk", params={"at": iso(at(69))}).json()
    assert (before["on_hand"], before["on_order"]) == (20, 40)
    after = client.get(f"/locations/{location}/items/milk", params={"at": iso(at(70))}).json()
    assert (after["on_hand"], after["on_order"]) == (60, 0)
    issue(client, location, "o2", 80, ("milk", 45))  # 60 → 15: two orders to get above 20? no:
    # position 15 <= 20 → one order of 40 brings it to 55 > 20
    orders = client.get(f"/locations/{location}/purchase-orders", params={"status": "open"})
    assert [o["quantity"] for o in orders.json()["data"]] == [40]


def test_a_listing_at_a_time_catches_up_first_when_something_is_due_by_then(client, location):
    """The listing learns whether a delivery is due from the items' own statement, or, when
    no item matches, by asking; nothing due, it moves nothing."""
    put(client, location, "milk", on_hand=25, policy=RQ, lead_time_minutes=60, at=iso(at(0)))
    put(client, location, "tea", on_hand=3, at=iso(at(0)))
    issue(client, location, "o1", 10, ("milk", 5))  # an order of 40 milk, due at minute 70

    def listing(minute: int, *skus: str) -> list[tuple[str, int, int]]:
        params = [("sku", sku) for sku in skus] + [("at", iso(at(minute)))]
        answer = client.get(f"/locations/{location}/items", params=params)
        assert answer.status_code == 200
        return [(i["sku"], i["on_hand"], i["on_order"]) for i in answer.json()["data"]]

    assert listing(69, "milk") == [("milk", 20, 40)]
    assert listing(69) == [("milk", 20, 40), ("tea", 3, 0)]
    assert client.get(f"/locations/{location}/purchase-orders").json()["data"][0]["status"] == (
        "open"
    )
    assert listing(70, "ghost") == []  # no item matches; the delivery is received all the same
    assert listing(70, "milk", "tea") == [("milk", 60, 0), ("tea", 3, 0)]
    orders = client.get(f"/locations/{location}/purchase-orders").json()["data"]
    assert [o["status"] for o in orders] == ["received"]


def test_periodic_review_and_receipts_happen_on_a_clock_call(client, location):
    policy = {"type": "RS", "review_period_minutes": 1440, "order_up_to": 30}
    put(client, location, "tea", on_hand=10, policy=policy, lead_time_minutes=120, at=iso(at(0)))
    answer = client.post(f"/locations/{location}/clock", json={"at": iso(at(3 * 1440))})
    assert answer.status_code == 200
    # reviews at day 1 (order 20, due +2h), day 2 and day 3 (nothing: position 30)
    assert answer.json()["purchase_orders_placed"] == 1 and answer.json()["receipts"] == 1
    assert answer.json()["clock"] == iso(at(3 * 1440))
    item = client.get(f"/locations/{location}/items/tea").json()
    assert (item["on_hand"], item["next_review_at"]) == (30, iso(at(4 * 1440)))


def test_clock_to_the_past_is_a_no_op_but_a_write_to_the_past_is_a_conflict(client, location):
    put(client, location, "milk", on_hand=5, at=iso(at(100)))
    assert client.post(f"/locations/{location}/clock", json={"at": iso(at(50))}).status_code == 200
    answer = issue(client, location, "late", 99, ("milk", 1))
    assert answer.status_code == 409
    assert "earlier than the last event" in answer.json()["detail"]
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"on_hand": -1}, ["body", "on_hand"]),
        ({"policy": {"type": "Rq"}}, ["body", "policy", "type"]),
        ({"policy": {"type": "rQ", "reorder_point": 5}}, ["body", "policy", "order_quantity"]),
        ({"policy": {"type": "sS", "reorder_point": 5, "order_up_to": 5}},
         ["body", "policy", "order_up_to"]),  # fmt: skip
        ({"policy": {"type": "rQ", "reorder_point": 5, "order_quantity": 0}},
         ["body", "policy", "order_quantity"]),  # fmt: skip
        ({"lead_time_minutes": -5}, ["body", "lead_time_minutes"]),
        ({"at": "yesterday"}, ["body", "at"]),
        ({"at": "2026-03-02T08:00:00"}, ["body", "at"]),  # no zone
        ({"on_hnd": 3}, ["body", "on_hnd"]),  # typo
    ],
)
def test_bad_item_input_is_a_422_naming_the_field_and_changes_nothing(client, location, body, loc):
    answer = put(client, location, "milk", **body)
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [loc]
    assert client.get(f"/locations/{location}/items/milk").status_code == 404


@pytest.mark.parametrize(
    "body, loc",
    [
        (
            {"reference": "r", "lines": [{"sku": "milk", "quantity": 0}]},
            ["body", "lines", 0, "quantity"],
        ),
        (
            {"reference": "r", "lines": [{"sku": "milk", "quantity": -2}]},
            ["body", "lines", 0, "quantity"],
        ),
        ({"reference": "r", "lines": []}, ["body", "lines"]),
        ({"lines": [{"sku": "milk", "quantity": 1}]}, ["body", "reference"]),
        (
            {
                "reference": "r",
                "at": "2026-13-40T00:00Z",
                "lines": [{"sku": "milk", "quantity": 1}],
            },
            ["body", "at"],
        ),
        (
            {"reference": "r", "lines": [{"sku": "bad sku!", "quantity": 1}]},
            ["body", "lines", 0, "sku"],
        ),
    ],
)
def test_bad_issue_input_is_a_422_and_moves_nothing(client, location, body, loc):
    put(client, location, "milk", on_hand=5, at=iso(at(0)))
    answer = client.post(f"/locations/{location}/issues", json=body)
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [loc]
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5


def test_unknown_location_or_sku_is_a_404_naming_it_and_moves_nothing(client, location):
    answer = issue(client, "nowhere-" + location, "r", 0, ("milk", 1))
    assert answer.status_code == 404 and "nowhere-" in answer.json()["detail"]
    put(client, location, "milk", on_hand=5, at=iso(at(0)))
    answer = issue(client, location, "r", 1, ("milk", 1), ("ghost", 1))
    assert answer.status_code == 404 and "'ghost'" in answer.json()["detail"]
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5
    assert client.get(f"/locations/{location}/items/ghost").status_code == 404
    assert client.get(f"/locations/nowhere-{location}/items").status_code == 404
    assert client.post(f"/locations/nowhere-{location}/clock", json={}).status_code == 404
    assert client.get(f"/locations/nowhere-{location}/movements").status_code == 404
    assert client.get(f"/locations/nowhere-{location}/purchase-orders").status_code == 404


def test_listings_filter_and_paginate(client, location):
    for index in range(5):
        put(client, location, f"sku-{index}", on_hand=10 + index, at=iso(at(index)))
    page = client.get(f"/locations/{location}/items", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["sku"] for item in page["data"]] == ["sku-2", "sku-3"]
    chosen = client.get(f"/locations/{location}/items", params=[("sku", "sku-4"), ("sku", "sku-0")])
    assert [item["sku"] for item in chosen.json()["data"]] == ["sku-0", "sku-4"]
    window = client.get(
        f"/locations/{location}/movements",
        params={"from": iso(at(1)), "to": iso(at(3)), "kind": "adjustment"},
    ).json()
    assert [m["sku"] for m in window["data"]] == ["sku-1", "sku-2"]
    assert client.get(f"/locations/{location}/items", params={"limit": 0}).status_code == 422
    assert (
        client.get(f"/locations/{location}/movements", params={"kind": "theft"}).status_code == 422
    )
    locations = client.get("/locations", params={"limit": 1000}).json()
    assert {"id": location, "clock": iso(at(4)), "items": 5} in locations["data"]


def test_ledger_totals_sum_the_ledger_per_sku(client, location):
    put(client, location, "milk", on_hand=10, at=iso(at(0)))
    issue(client, location, "a", 1, ("milk", 4))
    issue(client, location, "b", 2, ("milk", 9))
    totals = client.get(f"/locations/{location}/movements/totals").json()
    assert totals == [{"sku": "milk", "received": 0, "issued": 10, "adjusted": 10, "movements": 3}]
