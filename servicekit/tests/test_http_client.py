"""The shared JSON client against real sockets: what it retries, what it never repeats, how
it gives up, and that it keeps connections alive (a scripted server plays the failures).

Every test runs twice: with blocking sockets (the simulator's clients, and any call from a
thread), and from work on an event loop with ``on_the_event_loop`` (the store's calls to the
inventory, made as `servicekit.app.Database.run` makes them: in a greenlet on the loop)."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy.util import greenlet_spawn

from servicekit.http_client import JsonClient, ServiceUnreachable, path_of
from testkit.processes import free_port
from testkit.scripted_server import CLOSE, DROP, SLOW, ScriptedServer

OK = (200, {"ok": True})
UNAVAILABLE = (503, {"detail": "database unavailable"})


class OnTheLoop:
    """A client whose calls are made from work on an event loop (one loop, on a thread of its
    own, for the whole test, as a service's is for its life)."""

    def __init__(self, client: JsonClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop

    def request(self, *args: Any, **kwargs: Any) -> Any:
        work = greenlet_spawn(self.client.request, *args, **kwargs)
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture(params=["blocking", "on-the-event-loop"])
def client(request) -> Iterator[Callable[..., tuple[Any, list[float]]]]:
    """``client(url, retries, timeout)``: the client, and the pauses it made between attempts."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def make(url: str, retries: int = 3, timeout: float = 0.3) -> tuple[Any, list[float]]:
        pauses: list[float] = []
        on_the_loop = request.param == "on-the-event-loop"
        peer = JsonClient(
            "peer", url, timeout, retries, sleep=pauses.append, on_the_event_loop=on_the_loop
        )
        return (OnTheLoop(peer, loop) if on_the_loop else peer), pauses

    yield make
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_an_answer_is_decoded_and_the_connection_kept_alive(client):
    with ScriptedServer((201, {"id": "c1"})) as server:
        peer, pauses = client(server.url)
        for _ in range(3):
            answer = peer.request("POST", "/carts", json_body={"items": []}, params={"a": 1})
            assert (answer.status, answer.body) == (201, {"id": "c1"})
        assert [r.json() for r in server.received] == [{"items": []}] * 3
        assert server.received[0].query == {"a": ["1"]} and pauses == []
        assert len({r.client_port for r in server.received}) == 1  # one connection for all
        peer.close()


def test_repeated_parameters_and_encoded_path_segments(client):
    with ScriptedServer(OK) as server:
        peer, _ = client(server.url)
        peer.request(
            "GET", path_of("locations", "run:1/x") + "/items", params=[("sku", "a"), ("sku", "b")]
        )
        assert server.received[0].path == "/locations/run%3A1%2Fx/items"
        assert server.received[0].query == {"sku": ["a", "b"]}


def test_error_answers_are_returned_not_retried(client):
    with ScriptedServer((409, {"detail": "cart is checked_out"})) as server:
        peer, pauses = client(server.url)
        answer = peer.request("PUT", "/carts/c1/items/a", json_body={"quantity": 1})
        assert answer.status == 409 and answer.detail == "cart is checked_out"
        assert len(server.received) == 1 and pauses == []


def test_unavailability_is_retried_with_exponential_backoff(client):
    with ScriptedServer(UNAVAILABLE, UNAVAILABLE, OK) as server:
        peer, pauses = client(server.url)
        assert peer.request("GET", "/x").status == 200
        assert pauses == [0.1, 0.2] and len(server.received) == 3


def test_retries_are_bounded_and_say_why(client):
    with ScriptedServer(UNAVAILABLE) as server:
        peer, _ = client(server.url, retries=2)
        with pytest.raises(ServiceUnreachable, match="HTTP 503: database unavailable, after 3"):
            peer.request("GET", "/x")
        assert len(server.received) == 3


def test_a_refused_connection_is_retried_whatever_the_method(client):
    peer, pauses = client(f"http://127.0.0.1:{free_port()}", retries=2)
    with pytest.raises(ServiceUnreachable, match="cannot connect.*after 3 attempts") as raised:
        peer.request("POST", "/carts", json_body={})
    assert raised.value.service == "peer" and pauses == [0.1, 0.2]


@pytest.mark.parametrize("failure, reason", [(SLOW, "timed out"), (DROP, "connection lost")])
def test_a_request_that_may_have_arrived_is_repeated_only_when_idempotent(client, failure, reason):
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


def test_a_connection_the_server_closed_while_idle_is_not_reused(client):
    with ScriptedServer((200, {}, CLOSE), OK) as server:
        peer, pauses = client(server.url)
        peer.request("GET", "/x")
        time.sleep(0.05)  # the server's end of file arrives
        assert peer.request("POST", "/carts", json_body={}).status == 200  # not sent twice
        assert len(server.received) == 2 and pauses == []
        assert server.received[0].client_port != server.received[1].client_port


def test_a_per_request_timeout_and_retry_count(client):
    with ScriptedServer(SLOW, slow_seconds=0.5) as server:
        peer, _ = client(server.url, timeout=5)
        with pytest.raises(ServiceUnreachable, match="timed out, after 1 attempt$"):
            peer.request("GET", "/healthz", retries=0, timeout_seconds=0.1)


def test_an_answer_that_is_not_json_is_kept_as_text(client):
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


def test_chunked_answers_on_a_kept_connection_and_an_answer_that_ends_with_it(client):
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
def test_a_garbled_or_missing_answer_is_a_lost_connection(client, answer):
    server = RawServer(answer)
    peer, _ = client(server.url, retries=0)
    with pytest.raises(ServiceUnreachable, match="connection lost"):
        peer.request("POST", "/carts", json_body={})


def test_one_client_exchanges_on_the_loop_from_work_there_and_on_blocking_sockets_elsewhere():
    with ScriptedServer(OK) as server:
        peer = JsonClient("peer", server.url, on_the_event_loop=True)

        async def from_work_on_the_loop() -> tuple[int, int]:
            def work() -> int:
                peer.request("GET", "/x")
                return threading.get_ident()

            return threading.get_ident(), await greenlet_spawn(work)

        loop_thread, work_thread = asyncio.run(from_work_on_the_loop())
        assert work_thread == loop_thread  # no hand-off to a thread
        assert [type(c).__name__ for c in peer._idle] == ["_LoopConnection"]
        peer.request("GET", "/x")  # from a plain thread: its own, blocking connection
        assert sorted(type(c).__name__ for c in peer._idle) == ["_Connection", "_LoopConnection"]
        assert asyncio.run(greenlet_spawn(peer.request, "GET", "/x")).status == 200
        # the first loop is closed: its idle connection is not reused on the new one
        assert len({r.client_port for r in server.received}) == 3
        peer.close()
