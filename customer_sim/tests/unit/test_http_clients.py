"""The HTTP clients over `httpx.MockTransport`: retries, errors and parsing, without a network."""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable

import httpx
import pytest

from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
from customer_sim.infrastructure.inventory_client import InventoryClient
from customer_sim.infrastructure.store_client import StoreClient

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A transport that answers from a script and remembers the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def store(recorder: Recorder, retries: int = 2) -> tuple[StoreClient, list[float]]:
    sleeps: list[float] = []
    client = StoreClient(
        "http://store.test", retries=retries, transport=httpx.MockTransport(recorder),
        sleep=sleeps.append,
    )  # fmt: skip
    return client, sleeps


def unavailable() -> httpx.Response:
    return httpx.Response(503, json={"detail": "inventory unavailable"})


def test_a_read_is_retried_after_unavailability_with_backoff():
    page = {"data": [], "total": 0, "limit": 1000, "offset": 0}
    recorder = Recorder(unavailable(), unavailable(), httpx.Response(200, json=page))
    client, sleeps = store(recorder)
    assert client.offers("s1", AT) == {}
    assert len(recorder.requests) == 3
    assert sleeps == [0.25, 0.5]


def test_retries_are_bounded_then_the_service_is_unreachable():
    recorder = Recorder(httpx.ConnectError("connection refused"))
    client, sleeps = store(recorder, retries=3)
    with pytest.raises(ServiceUnreachable) as raised:
        client.health()
    assert len(recorder.requests) == 4
    assert "gave up after 4 tries" in str(raised.value)
    assert raised.value.service == "store"


def test_creating_a_cart_is_not_repeated_once_it_may_have_arrived():
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": "c2"}))
    client, _ = store(recorder)
    with pytest.raises(ServiceUnreachable):
        client.open_cart("s1", "customer-1")
    assert len(recorder.requests) == 1


def test_creating_a_cart_is_retried_when_nothing_was_sent():
    recorder = Recorder(httpx.ConnectError("refused"), httpx.Response(201, json={"id": "c1"}))
    client, _ = store(recorder)
    assert client.open_cart("s1", "customer-1") == "c1"
    assert len(recorder.requests) == 2


def test_checkout_is_retried_because_the_store_makes_it_idempotent():
    order = {
        "id": "o1",
        "lines": [{"sku": "a", "requested": 3, "fulfilled": 2, "unit_price": 1.1}],
        "total": 2.2,
    }
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=order))
    client, _ = store(recorder)
    placed = client.checkout("c1", AT)
    assert [r.url.path for r in recorder.requests] == ["/carts/c1/checkout"] * 2
    assert recorder.requests[0].content == recorder.requests[1].content
    assert placed.total == Decimal("2.20")
    assert (placed.lines[0].lost, placed.lines[0].unit_price) == (1, Decimal("1.10"))


def test_an_error_answer_is_not_retried_and_carries_the_detail():
    recorder = Recorder(httpx.Response(422, json={"detail": "sku 'x' is not sold here"}))
    client, _ = store(recorder)
    with pytest.raises(ServiceError) as raised:
        client.set_cart_item("c1", "x", 1)
    assert raised.value.status == 422
    assert "sku 'x' is not sold here" in str(raised.value)
    assert len(recorder.requests) == 1


def test_offers_read_every_page_with_availability_at_a_time():
    def page(offset: int, skus: list[str]) -> httpx.Response:
        data = [{"sku": s, "name": s, "category": "c", "price": 2.5, "available": 4} for s in skus]
        return httpx.Response(200, json={"data": data, "total": 3, "limit": 2, "offset": offset})

    recorder = Recorder(page(0, ["a", "b"]), page(2, ["c"]))
    client, _ = store(recorder)
    offers = client.offers("s1", AT)
    assert sorted(offers) == ["a", "b", "c"]
    assert offers["a"].price == Decimal("2.50") and offers["a"].available == 4
    first, second = recorder.requests
    assert first.url.params["availability"] == "true"
    assert datetime.fromisoformat(first.url.params["at"]) == AT
    assert (first.url.params["offset"], second.url.params["offset"]) == ("0", "2")


def test_inventory_ledger_and_seeding():
    movement = {
        "id": 1, "sku": "a", "kind": "issue", "quantity": -2, "on_hand_after": 8,
        "at": "2026-03-02T09:30:00Z", "reference": "c1", "purchase_order_id": None,
    }  # fmt: skip
    recorder = Recorder(
        httpx.Response(201, json={}),
        httpx.Response(200, json={"data": [movement], "total": 1, "limit": 1000, "offset": 0}),
    )
    client = InventoryClient("http://inventory.test", transport=httpx.MockTransport(recorder))
    policy = {"type": "rQ", "reorder_point": 2, "order_quantity": 5}
    client.put_item("s1", "a", on_hand=10, policy=policy, lead_time_minutes=60, at=AT)
    ledger = client.movements("s1")
    put = recorder.requests[0]
    assert (put.method, put.url.path) == ("PUT", "/locations/s1/items/a")
    assert b'"on_hand":10' in put.content and b'"reorder_point":2' in put.content
    assert ledger[0].quantity == -2 and ledger[0].at == AT
