"""The inventory client's retry policy and answer mapping, against a scripted local server
(loopback sockets, milliseconds): which failures are retried, how often, with what backoff,
and how answers become the port's results and errors. The client against the real inventory
is tested in integration and e2e."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from store_service.adapters.inventory_client import InventoryClient
from store_service.application.ports import InventoryRejected, InventoryUnavailable
from testkit.processes import free_port
from testkit.scripted_server import DROP, SLOW, ScriptedServer

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ISSUED = {
    "reference": "cart-1",
    "at": "2026-03-02T09:00:00Z",
    "lines": [{"sku": "milk", "requested": 2, "issued": 1}],
    "replayed": False,
}


@contextmanager
def inventory(*script, retries: int = 3):
    """A client of a server that plays ``script``; yields it, the server and the pauses."""
    pauses: list[float] = []
    with ScriptedServer(*script, slow_seconds=0.3) as server:
        client = InventoryClient(
            server.url, timeout_seconds=0.1, retries=retries, sleep=pauses.append
        )
        yield client, server, pauses
        client.close()


def test_an_issue_is_sent_once_when_it_succeeds():
    with inventory((201, ISSUED)) as (client, server, pauses):
        issued = client.issue("store-1", "cart-1", AT, [("milk", 2)])
        assert issued.issued == {"milk": 1} and issued.at == AT and not issued.replayed
        assert len(server.received) == 1 and pauses == []
        assert server.received[0].path == "/locations/store-1/issues"
        assert server.received[0].body == (
            b'{"reference":"cart-1","at":"2026-03-02T09:00:00+00:00",'
            b'"lines":[{"sku":"milk","quantity":2}]}'
        )


def test_without_a_time_the_inventory_dates_the_issue():
    with inventory((201, ISSUED)) as (client, server, _):
        client.issue("store-1", "cart-1", None, [("milk", 2)])
        assert "at" not in server.received[0].json()


def test_transient_failures_are_retried_with_exponential_backoff_and_the_same_body():
    with inventory(
        SLOW, DROP, (503, {"detail": "database unavailable"}), (200, {**ISSUED, "replayed": True})
    ) as (client, server, pauses):
        issued = client.issue("store-1", "cart-1", AT, [("milk", 2)])
        assert issued.replayed
        assert pauses == [0.1, 0.2, 0.4]
        assert len({request.body for request in server.received}) == 1  # same reference, lines


def test_an_unreachable_inventory_is_retried_then_unavailable():
    client = InventoryClient(f"http://127.0.0.1:{free_port()}", retries=2, sleep=lambda _: None)
    with pytest.raises(InventoryUnavailable, match="cannot connect.*after 3 attempts"):
        client.issue("store-1", "cart-1", AT, [("milk", 2)])


def test_retries_are_bounded_and_end_in_unavailable():
    with inventory((502, {}), retries=2) as (client, server, _):
        with pytest.raises(InventoryUnavailable, match="HTTP 502.*after 3 attempts"):
            client.issue("store-1", "cart-1", AT, [("milk", 2)])
        assert len(server.received) == 3


def test_timeouts_say_so():
    with inventory(SLOW, retries=1) as (client, _, _):
        with pytest.raises(InventoryUnavailable, match="timed out"):
            client.on_hand("store-1", ["milk"], None)


@pytest.mark.parametrize("status", [404, 409, 422])
def test_refusals_are_not_retried_and_carry_the_inventorys_detail(status):
    refusal = (status, {"detail": "unknown SKU 'kale' at location 'store-1'"})
    with inventory(refusal) as (client, server, _):
        with pytest.raises(InventoryRejected, match="unknown SKU 'kale'") as raised:
            client.issue("store-1", "cart-1", AT, [("kale", 1)])
        assert raised.value.status == status and len(server.received) == 1


def test_an_internal_error_is_unavailability_without_retry():
    with inventory((500, {"detail": "boom"})) as (client, server, _):
        with pytest.raises(InventoryUnavailable, match="HTTP 500"):
            client.issued_totals("store-1")
        assert len(server.received) == 1


@pytest.mark.parametrize("body", [{"unexpected": True}, b"<html>ok</html>"])
def test_an_answer_that_is_not_the_contract_is_unavailability(body):
    with inventory((201, body)) as (client, _, _):
        with pytest.raises(InventoryUnavailable, match="unexpected answer"):
            client.issue("store-1", "cart-1", AT, [("milk", 2)])
    with inventory((200, body)) as (client, _, _):
        with pytest.raises(InventoryUnavailable, match="other than the contract"):
            client.on_hand("store-1", ["milk"], AT)


def test_availability_of_an_unknown_location_is_zero_and_asked_in_chunks():
    with inventory((404, {"detail": "unknown location"})) as (client, _, _):
        assert client.on_hand("new-store", ["milk"], AT) == {}
    skus = [f"sku-{i}" for i in range(150)]
    data = [{"sku": sku, "on_hand": 1} for sku in skus]
    with inventory((200, {"data": data[:100]}), (200, {"data": data[100:]})) as (client, server, _):
        assert client.on_hand("store-1", skus, AT) == {sku: 1 for sku in skus}
        assert [len(request.query["sku"]) for request in server.received] == [100, 50]
        assert server.received[0].query["at"] == [AT.isoformat()]


def test_health_never_raises():
    down = InventoryClient(f"http://127.0.0.1:{free_port()}")
    assert down.health().startswith("unavailable: cannot connect")
    with inventory((503, {})) as (client, server, _):
        assert client.health().startswith("unavailable: HTTP 503")
        assert len(server.received) == 1  # no retries
    with inventory((200, {"status": "ok"})) as (client, _, _):
        assert client.health() == "ok"
