"""The shared JSON client against real sockets: what it retries, what it never repeats, how
it gives up, and that it keeps connections alive (a scripted server plays the failures)."""

from __future__ import annotations

import re
import socket
import threading
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


class RawServer:
    """Answers each request on one connection with the next of ``answers``, bytes as given
    (framings that the scripted server does not produce), and closes it after the last."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.heads: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        reader = connection.makefile("rb")
        for answer in self.answers:
            head = b"".join(iter(lambda: reader.readline(), b"\r\n"))
            self.heads.append(head)
            length = re.search(rb"Content-Length: (\d+)", head)
            reader.read(int(length.group(1)) if length else 0)
            connection.sendall(answer)
        reader.close()
        connection.close()


def test_chunked_answers_on_a_kept_connection_and_an_answer_that_ends_with_it():
    server = RawServer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\n2;x=y\r\n1}\r\n0\r\n\r\n',
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b'HTTP/1.0 201 Created\r\nContent-Type: application/json\r\n\r\n{"b": 2}',
    )
    peer, _ = client(server.url)
    assert peer.request("GET", "/a").body == {"a": 1}
    assert peer.request("DELETE", "/a").status == 204
    answer = peer.request("POST", "/b", json_body={"n": 1})
    assert (answer.status, answer.body) == (201, {"b": 2})
    assert server.heads[2].startswith(b"POST /b HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Content-Length: 7" in server.heads[2]
    assert peer._idle == []  # the last answer ended its connection: not kept


@pytest.mark.parametrize(
    "answer",
    [
        b"HELLO\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
        b"",
    ],
    ids=["no status", "a body cut short", "a header line too long", "nothing"],
)
def test_a_garbled_or_missing_answer_is_a_lost_connection(answer):
    server = RawServer(answer)
    peer, _ = client(server.url, retries=0)
    with pytest.raises(ServiceUnreachable, match="connection lost"):
        peer.request("POST", "/carts", json_body={})
