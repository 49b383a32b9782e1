"""The HTTP clients' reactions to network and availability failures that a real service cannot
be made to show on demand, over a scripted `httpx.MockTransport`: retries with backoff, giving
up, what is never repeated, and error answers. (Reading the services' normal answers is tested
against the real services in e2e/test_clients.py.)"""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable

import httpx
import pytest

from customer_sim.infrastructure.http_client import ServiceError, ServiceUnreachable
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
