"""The shared JSON client against real sockets: what it retries, what it never repeats, how
it gives up, and that it keeps connections alive (a scripted server plays the failures)."""

from __future__ import annotations

import time

import pytest

from servicekit.http_client import JsonClient, ServiceUnreachable, path_of
from testkit.processes import free_port
from testkit.scripted_server import CLOSE, DROP, SLOW, ScriptedServer

OK = (200, {"ok": True})
UNAVAILABLE = (503, {"detail": "database unavailable"})


def client(url: str, retries: int = 3, timeout: float = 0.3) -> tuple[JsonClient, list[float]]:
    pauses: list[float] = []
    return JsonClient("peer", url, timeout, retries, sleep=pauses.append), pauses


def test_an_answer_is_decoded_and_the_connection_kept_alive():
    with ScriptedServer((201, {"id": "c1"})) as server:
        peer, pauses = client(server.url)
        for _ in range(3):
            answer = peer.request("POST", "/carts", json_body={"items": []}, params={"a": 1})
            assert (answer.status, answer.body) == (201, {"id": "c1"})
        assert [r.json() for r in server.received] == [{"items": []}] * 3
        assert server.received[0].query == {"a": ["1"]} and pauses == []
        assert len({r.client_port for r in server.received}) == 1  # one connection for all
        peer.close()


def test_repeated_parameters_and_encoded_path_segments():
    with ScriptedServer(OK) as server:
        peer, _ = client(server.url)
        peer.request(
            "GET", path_of("locations", "run:1/x") + "/items", params=[("sku", "a"), ("sku", "b")]
        )
        assert server.received[0].path == "/locations/run%3A1%2Fx/items"
        assert server.received[0].query == {"sku": ["a", "b"]}


def test_error_answers_are_returned_not_retried():
    with ScriptedServer((409, {"detail": "cart is checked_out"})) as server:
        peer, pauses = client(server.url)
        answer = peer.request("PUT", "/carts/c1/items/a", json_body={"quantity": 1})
        assert answer.status == 409 and answer.detail == "cart is checked_out"
        assert len(server.received) == 1 and pauses == []


def test_unavailability_is_retried_with_exponential_backoff():
    with ScriptedServer(UNAVAILABLE, UNAVAILABLE, OK) as server:
        peer, pauses = client(server.url)
        assert peer.request("GET", "/x").status == 200
        assert pauses == [0.1, 0.2] and len(server.received) == 3


def test_retries_are_bounded_and_say_why():
    with ScriptedServer(UNAVAILABLE) as server:
        peer, _ = client(server.url, retries=2)
        with pytest.raises(ServiceUnreachable, match="HTTP 503: database unavailable, after 3"):
            peer.request("GET", "/x")
        assert len(server.received) == 3


def test_a_refused_connection_is_retried_whatever_the_method():
    peer, pauses = client(f"http://127.0.0.1:{free_port()}", retries=2)
    with pytest.raises(ServiceUnreachable, match="cannot connect.*after 3 attempts") as raised:
        peer.request("POST", "/carts", json_body={})
    assert raised.value.service == "peer" and pauses == [0.1, 0.2]


@pytest.mark.parametrize("failure, reason", [(SLOW, "timed out"), (DROP, "connection lost")])
def test_a_request_that_may_have_arrived_is_repeated_only_when_idempotent(failure, reason):
    with ScriptedServer(failure, (201, {"id": "c1"})) as server:
        peer, _ = client(server.url)
        with pytest.raises(ServiceUnreachable, match=reason):
            peer.request("POST", "/carts", json_body={})
        assert len(server.received) == 1
    with ScriptedServer(failure, OK) as server:
        peer, pauses = client(server.url)
        assert peer.request("POST", "/carts/c1/checkout", idempotent=True).status == 200
        assert [r.path for r in server.received] == ["/carts/c1/checkout"] * 2
        assert pauses == [0.1]


def test_a_connection_the_server_closed_while_idle_is_not_reused():
    with ScriptedServer((200, {}, CLOSE), OK) as server:
        peer, pauses = client(server.url)
        peer.request("GET", "/x")
        time.sleep(0.05)  # the server's end of file arrives
        assert peer.request("POST", "/carts", json_body={}).status == 200  # not sent twice
        assert len(server.received) == 2 and pauses == []
        assert server.received[0].client_port != server.received[1].client_port


def test_a_per_request_timeout_and_retry_count():
    with ScriptedServer(SLOW, slow_seconds=0.5) as server:
        peer, _ = client(server.url, timeout=5)
        with pytest.raises(ServiceUnreachable, match="timed out, after 1 attempt$"):
            peer.request("GET", "/healthz", retries=0, timeout_seconds=0.1)


def test_an_answer_that_is_not_json_is_kept_as_text():
    with ScriptedServer((502, b"<html>bad gateway</html>"), (404, b"not found")) as server:
        peer, _ = client(server.url, retries=0)
        with pytest.raises(ServiceUnreachable, match="HTTP 502: <html>bad gateway"):
            peer.request("GET", "/x")
        answer = peer.request("GET", "/x")
        assert answer.status == 404 and answer.detail == "not found"


def test_only_http_urls():
    with pytest.raises(ValueError, match="not an http"):
        JsonClient("peer", "127.0.0.1:8002")
