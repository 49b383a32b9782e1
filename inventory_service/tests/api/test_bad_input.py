"""Inputs a real client or a fuzzer sends: each is a clean 4xx naming the problem, never a
500, and nothing changes."""

from __future__ import annotations

import pytest

from inventory_service.tests.conftest import at, iso
from testkit.errors import assert_client_error

RQ = {"type": "rQ", "reorder_point": 20, "order_quantity": 40}


def send(client, method, url, text):
    return client.request(method, url, content=text, headers={"content-type": "application/json"})


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    "template, field",
    [
        ('{"on_hand": %s}', ("on_hand",)),
        ('{"lead_time_minutes": %s}', ("lead_time_minutes",)),
        (
            '{"policy": {"type": "rQ", "reorder_point": %s, "order_quantity": 4}}',
            ("reorder_point",),
        ),
    ],
)
def test_non_finite_numbers_in_an_item_are_422(client, location, token, template, field):
    answer = send(client, "PUT", f"/locations/{location}/items/milk", template % token)
    assert_client_error(answer, 422, *field)
    assert client.get(f"/locations/{location}/items/milk").status_code == 404


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
def test_a_non_finite_issue_quantity_is_422_and_issues_nothing(client, location, token):
    client.put(f"/locations/{location}/items/milk", json={"on_hand": 5, "at": iso(at(0))})
    body = '{"reference": "r1", "lines": [{"sku": "milk", "quantity": %s}]}' % token
    answer = send(client, "POST", f"/locations/{location}/issues", body)
    assert_client_error(answer, 422, "lines", 0, "quantity")
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5


@pytest.mark.parametrize(
    "method, path, payload, field",
    [
        ("GET", "items?at=0001-01-01T00:00:00%2B01:00", None, ("at",)),
        ("GET", "items/milk?at=9999-12-31T23:59:00-01:00", None, ("at",)),
        ("GET", "items?at=0.5", None, ("at",)),
        ("POST", "clock", {"at": "9999-12-31T23:59:00-01:00"}, ("at",)),
        ("POST", "clock", {"at": 0}, ("at",)),
        ("PUT", "items/milk", {"at": "9999-12-31T00:00:00Z", "lead_time_minutes": 60}, ("at",)),
        ("PUT", "items/milk", {"at": "1899-12-31T23:59:59Z"}, ("at",)),
        ("GET", "movements?to=9999-12-31T00:00:00Z", None, ("to",)),
        ("GET", "purchase-orders?from=0001-01-01T00:00:00Z", None, ("from",)),
    ],
)
def test_times_outside_the_supported_span_are_422(client, location, method, path, payload, field):
    client.put(f"/locations/{location}/items/milk", json={"on_hand": 5, "at": iso(at(0))})
    answer = client.request(method, f"/locations/{location}/{path}", json=payload)
    assert_client_error(answer, 422, *field)
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5


def test_the_edges_of_the_span_are_accepted_with_the_longest_lead_time(client, location):
    first = {"on_hand": 50, "at": "1900-01-01T00:00:00Z"}
    assert client.put(f"/locations/{location}/items/milk", json=first).status_code == 201
    last = {"on_hand": 0, "at": "2999-12-31T23:59:59Z", "policy": RQ,
            "lead_time_minutes": 10 * 525_600}  # fmt: skip
    answer = client.put(f"/locations/{location}/items/milk", json=last)
    assert answer.status_code == 200, answer.text
    orders = client.get(f"/locations/{location}/purchase-orders").json()["data"]
    assert orders[0]["due_at"].startswith("3009-12-")


@pytest.mark.parametrize("listing", ["movements", "movements/totals", "purchase-orders"])
def test_from_after_to_is_422(client, location, listing):
    period = {"from": iso(at(60)), "to": iso(at(0))}
    answer = client.get(f"/locations/{location}/{listing}", params=period)
    assert_client_error(answer, 422, "from")


def test_an_offset_beyond_any_database_is_422(client):
    assert_client_error(client.get("/locations", params={"offset": 10**25}), 422, "offset")


def test_a_body_over_the_limit_is_413_and_not_echoed(client, location):
    huge = '{"reference": "%s", "lines": []}' % ("x" * 10_000_000)
    answer = send(client, "POST", f"/locations/{location}/issues", huge)
    assert_client_error(answer, 413)


def test_a_large_invalid_value_is_echoed_as_a_short_excerpt(client, location):
    reference = "x" * 500_000
    body = {"reference": reference, "lines": [{"sku": "milk", "quantity": 1}]}
    answer = client.post(f"/locations/{location}/issues", json=body)
    problem = assert_client_error(answer, 422, "reference")["detail"][0]
    assert reference.startswith(problem["input"].rstrip("."))


def test_many_problems_are_reported_up_to_a_bound(client, location):
    lines = [{"sku": "milk", "quantity": "many"}] * 500
    answer = client.post(f"/locations/{location}/issues", json={"reference": "r", "lines": lines})
    detail = assert_client_error(answer, 422, "lines", 0, "quantity")["detail"]
    assert len(detail) <= 21 and detail[-1]["type"] == "too_many_errors"


def test_a_body_that_is_not_utf8_text_is_400(client, location):
    answer = send(client, "POST", f"/locations/{location}/clock", b"\xff\xfe{")
    assert_client_error(answer, 400)


@pytest.mark.parametrize("text", ["stock\\u0000count", "lone \\ud800 surrogate"])
def test_text_a_database_cannot_store_is_422(client, location, text):
    client.put(f"/locations/{location}/items/milk", json={"on_hand": 5, "at": iso(at(0))})
    body = '{"reference": "%s", "lines": [{"sku": "milk", "quantity": 1}]}' % text
    assert_client_error(
        send(client, "POST", f"/locations/{location}/issues", body), 422, "reference"
    )
    answer = client.get(f"/locations/{location}/movements", params={"reference": "a\x00b"})
    assert_client_error(answer, 422, "reference")
    assert client.get(f"/locations/{location}/items/milk").json()["on_hand"] == 5


@pytest.mark.parametrize("listing", ["movements", "purchase-orders"])
def test_a_sku_filter_that_no_sku_can_match_is_422(client, location, listing):
    """A NUL character reached PostgreSQL (a 500) before the filter was checked as an id."""
    client.put(f"/locations/{location}/items/milk", json={"on_hand": 5, "at": iso(at(0))})
    answer = client.get(f"/locations/{location}/{listing}", params={"sku": "mi\x00lk"})
    assert_client_error(answer, 422, "sku")
    answer = client.get(f"/locations/{location}/{listing}", params={"sku": "milk"})
    assert answer.status_code == 200
