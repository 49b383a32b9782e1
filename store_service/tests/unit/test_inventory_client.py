"""The inventory client's retry policy, at the transport level (no network, no waiting).

Which failures are retried, how often, with what backoff, and how answers are mapped to the
port's errors. The client against the real inventory is tested in integration and e2e.
"""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from store_service.adapters.inventory_client import InventoryClient
from store_service.application.ports import InventoryRejected, InventoryUnavailable

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ISSUED = {
    "reference": "cart-1",
    "at": "2026-03-02T09:00:00Z",
    "lines": [{"sku": "milk", "requested": 2, "issued": 1}],
    "replayed": False,
}


def client(*answers, retries: int = 3):
    """A client whose transport plays ``answers`` in turn (a status with a body, or an error
    to raise); returns it, the requests it sent and the pauses it took."""
    sent: list[httpx.Request] = []
    pauses: list[float] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, json=body)

    transport = httpx.MockTransport(handle)
    inventory = InventoryClient(
        "http://inventory", retries=retries, transport=transport, sleep=pauses.append
    )
    return inventory, sent, pauses


def test_an_issue_is_sent_once_when_it_succeeds():
    inventory, sent, pauses = client((201, ISSUED))
    issued = inventory.issue("store-1", "cart-1", AT, [("milk", 2)])
    assert issued.issued == {"milk": 1} and issued.at == AT and not issued.replayed
    assert len(sent) == 1 and pauses == []
    assert sent[0].url.path == "/locations/store-1/issues"
    assert sent[0].read() == (
        b'{"reference":"cart-1","at":"2026-03-02T09:00:00+00:00",'
        b'"lines":[{"sku":"milk","quantity":2}]}'
    )


def test_without_a_time_the_inventory_dates_the_issue():
    inventory, sent, _ = client((201, ISSUED))
    inventory.issue("store-1", "cart-1", None, [("milk", 2)])
    assert b'"at"' not in sent[0].read()


def test_transient_failures_are_retried_with_exponential_backoff_and_the_same_body():
    inventory, sent, pauses = client(
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        (503, {"detail": "database unavailable"}),
        (200, {**ISSUED, "replayed": True}),
    )
    issued = inventory.issue("store-1", "cart-1", AT, [("milk", 2)])
    assert issued.replayed
    assert pauses == [0.1, 0.2, 0.4]
    assert len({request.read() for request in sent}) == 1  # same reference, same lines


def test_retries_are_bounded_and_end_in_unavailable():
    inventory, sent, _ = client(*[(502, {})] * 3, retries=2)
    with pytest.raises(InventoryUnavailable, match="HTTP 502.*after 3 attempts"):
        inventory.issue("store-1", "cart-1", AT, [("milk", 2)])
    assert len(sent) == 3


def test_timeouts_say_so():
    inventory, _, _ = client(*[httpx.ReadTimeout("slow")] * 2, retries=1)
    with pytest.raises(InventoryUnavailable, match="timed out"):
        inventory.on_hand("store-1", ["milk"], None)


@pytest.mark.parametrize("status", [404, 409, 422])
def test_refusals_are_not_retried_and_carry_the_inventorys_detail(status):
    inventory, sent, _ = client((status, {"detail": "unknown SKU 'kale' at location 'store-1'"}))
    with pytest.raises(InventoryRejected, match="unknown SKU 'kale'") as raised:
        inventory.issue("store-1", "cart-1", AT, [("kale", 1)])
    assert raised.value.status == status and len(sent) == 1


def test_an_internal_error_is_unavailability_without_retry():
    inventory, sent, _ = client((500, {"detail": "boom"}))
    with pytest.raises(InventoryUnavailable, match="HTTP 500"):
        inventory.issued_totals("store-1")
    assert len(sent) == 1


def test_an_answer_that_is_not_the_contract_is_unavailability():
    inventory, _, _ = client((201, {"unexpected": True}))
    with pytest.raises(InventoryUnavailable, match="unexpected answer"):
        inventory.issue("store-1", "cart-1", AT, [("milk", 2)])


def test_availability_of_an_unknown_location_is_zero_and_asked_in_chunks():
    inventory, sent, _ = client((404, {"detail": "unknown location"}))
    assert inventory.on_hand("new-store", ["milk"], AT) == {}
    skus = [f"sku-{i}" for i in range(150)]
    data = [{"sku": sku, "on_hand": 1} for sku in skus]
    inventory, sent, _ = client((200, {"data": data[:100]}), (200, {"data": data[100:]}))
    assert inventory.on_hand("store-1", skus, AT) == {sku: 1 for sku in skus}
    assert [len(request.url.params.get_list("sku")) for request in sent] == [100, 50]
    assert sent[0].url.params["at"] == AT.isoformat()


def test_health_never_raises():
    inventory, _, _ = client(httpx.ConnectError("refused"))
    assert inventory.health() == "unavailable: ConnectError"
    inventory, _, _ = client((503, {}))
    assert inventory.health() == "unavailable: HTTP 503"
    inventory, _, _ = client((200, {"status": "ok"}))
    assert inventory.health() == "ok"
