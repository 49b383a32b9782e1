"""JSON over HTTP between our parts: keep-alive connections, timeouts, bounded retries.

One client per peer service and process, shared by threads: the store uses one for the
inventory, the simulator one for each service. It speaks HTTP/1.1 on its own sockets
(`_Connection`: a request out, its answer in, with Content-Length or chunked bodies), because
the simulator and the store make tens of thousands of small calls, and the CPU of each is
time on the simulation's critical path: a general-purpose client spent about 0.5 ms of CPU per
call, the standard library's `http.client` 0.17 to 0.20 ms (most of it parsing headers with
the email package), this one 0.07 to 0.09 ms (``GET /healthz``, on the README's 2-core
machine).

``on_the_event_loop`` (the store's client): a call made from work that runs on the event loop
in a greenlet (`servicekit.app.Database.run`) exchanges on the loop's own sockets
(`_LoopConnection`), and the work waits for the answer there while the loop serves other
requests, instead of handing the call to a thread and back (which cost 0.23 ms of CPU and
0.3 ms of latency per call on the README's machine). Calls from anywhere else (a thread, a
test) use blocking sockets, as without it.

What is retried, with exponential backoff (``backoff_seconds`` × 1, 2, 4, ...):

- a connection that could not be opened (nothing was sent): any request;
- a timeout, a dropped connection, or a 502/503/504 answer: only requests the caller marks
  idempotent (by default GET and PUT), because the first attempt may have been applied.

When the attempts are spent, `ServiceUnreachable` says why. Every other answer, error
statuses included, is returned to the caller, who knows what a 404 or a 409 means.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import quote, urlencode, urlsplit

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
#: Bounds on an answer's head, as `http.client` has them: a line, and the number of headers.
MAX_LINE, MAX_HEADERS = 65536, 100

Params = dict[str, Any] | Iterable[tuple[str, Any]] | None


class ServiceUnreachable(Exception):
    """A service did not answer (or kept answering "unavailable") within the retries."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} unreachable at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the decoded JSON, or None for an empty body

    @property
    def detail(self) -> str:
        """The service's ``detail`` (our error convention), else a short form of the body."""
        body = self.body
        if isinstance(body, dict) and "detail" in body:
            body = body["detail"]
        if body is None:
            return f"HTTP {self.status}"
        return body if isinstance(body, str) else json.dumps(body)[:500]


class _NotSent(Exception):
    """The connection could not be opened: the request certainly did not reach the service."""


def path_of(*segments: str) -> str:
    """``/a/b`` from path segments, each percent-encoded (ids may hold ``:`` or ``.``)."""
    return "".join("/" + quote(segment, safe="") for segment in segments)


class JsonClient:
    """Requests to one service; ``base_url`` is ``http://host:port`` (https works too)."""

    def __init__(
        self,
        service: str,
        base_url: str,
        timeout_seconds: float = 10.0,
        retries: int = 3,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] | None = None,
        max_idle_connections: int = 64,
        on_the_event_loop: bool = False,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{service}: not an http(s) URL: {base_url!r}")
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep  # the pause between attempts (None: time.sleep, or on the loop)
        self.requests = 0  # requests sent, retries included
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._max_idle = max_idle_connections
        self._called_on_the_loop: Callable[[], bool] = lambda: False
        if on_the_event_loop:
            # (imported here: greenlets are the services' bridge to the loop; the simulator,
            # whose clients never run on one, does not install them)
            from sqlalchemy.util.concurrency import in_greenlet

            self._called_on_the_loop = in_greenlet

    # -- the API ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Params = None,
        idempotent: bool | None = None,
        retries: int | None = None,
        timeout_seconds: float | None = None,
    ) -> Answer:
        """Send a request (retrying as the module says) and return the answer.

        ``idempotent`` defaults to True for GET and PUT. ``params`` may repeat a name
        (a list of pairs). Raises `ServiceUnreachable` when the attempts are spent.
        """
        if idempotent is None:
            idempotent = method in ("GET", "PUT")
        retries = self.retries if retries is None else retries
        target = self._prefix + path + (("?" + urlencode(params, doseq=True)) if params else "")
        body = None if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
        attempt = 0
        while True:
            try:
                answer = self._send(method, target, body, timeout_seconds)
            except _NotSent as error:
                reason = f"cannot connect ({error})"
            except socket.timeout:
                reason = "timed out"
                if not idempotent:
                    raise self._unreachable(reason) from None
            except (OSError, http.client.HTTPException) as error:
                reason = f"connection lost ({type(error).__name__})"
                if not idempotent:
                    raise self._unreachable(reason) from error
            else:
                log.debug("%s %s %s: %d", self.service, method, target, answer.status)
                if answer.status not in RETRY_STATUSES:
                    return answer
                reason = f"HTTP {answer.status}: {answer.detail}"
                if not idempotent:
                    raise self._unreachable(reason)
            attempt += 1
            if attempt > retries:
                attempts = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                raise self._unreachable(f"{reason}, after {attempts}")
            delay = self.backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "%s %s %s: %s (attempt %d of %d); retrying in %.2fs",
                self.service, method, path, reason, attempt, retries + 1, delay,
            )  # fmt: skip
            self._pause(delay)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------------------------

    def _send(self, method: str, target: str, body: bytes | None, timeout: float | None) -> Answer:
        connection = self._checkout(_LoopConnection if self._called_on_the_loop() else _Connection)
        self.requests += 1
        try:
            if not connection.connected:
                try:
                    connection.connect()
                except OSError as error:  # refused, unresolvable, or a connect timeout
                    raise _NotSent(type(error).__name__) from error
            status, raw, will_close = connection.exchange(
                method, target, body, timeout or self.timeout_seconds
            )
        except BaseException:
            connection.close()
            raise
        if will_close:
            connection.close()
        else:
            self._checkin(connection)
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw[:200].decode("utf-8", "replace")
        return Answer(status, decoded)

    def _checkout(self, kind: type[_Connection]) -> _Connection:
        """An idle keep-alive connection of this ``kind`` that the server has not closed
        meanwhile, or a new (unconnected) one. A server closes idle connections after a while
        (uvicorn: 5 s); such a socket has reached its end of file, and is dropped here, before
        any use."""
        while True:
            with self._lock:
                found = next((c for c in reversed(self._idle) if type(c) is kind), None)
                if found is not None:
                    self._idle.remove(found)
            if found is None:
                return kind(self._host, self._port, self._https, self.timeout_seconds)
            if found.reusable():
                return found
            found.close()

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def _pause(self, seconds: float) -> None:
        """Wait before the next attempt: on the loop, the loop serves others meanwhile."""
        if self.sleep is not None:
            self.sleep(seconds)
        elif self._called_on_the_loop():
            _awaited(asyncio.sleep(seconds))
        else:
            time.sleep(seconds)

    def _unreachable(self, reason: str) -> ServiceUnreachable:
        return ServiceUnreachable(self.service, self.base_url, reason)


class _Connection:
    """One keep-alive HTTP/1.1 connection to a service: `exchange` sends a request and reads
    its answer. Protocol errors raise `http.client`'s exceptions, socket errors `OSError`,
    a timeout `TimeoutError`."""

    def __init__(self, host: str, port: int, https: bool, timeout: float) -> None:
        self.address = (host, port)
        self.https = https
        self.timeout = timeout
        name = f"[{host}]" if ":" in host else host
        self.host = name if port == (443 if https else 80) else f"{name}:{port}"
        self.sock: socket.socket | None = None
        self._reader: Any = None

    @property
    def connected(self) -> bool:
        return self.sock is not None

    def connect(self) -> None:
        sock = socket.create_connection(self.address, self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.address[0])
        self.sock, self._reader = sock, sock.makefile("rb")

    def close(self) -> None:
        if self.sock is not None:
            self._reader.close()
            self.sock.close()
            self.sock = self._reader = None

    def reusable(self) -> bool:
        """Is this idle connection still usable? (`_still_open`)"""
        return self.sock is not None and _still_open(self.sock)

    def exchange(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> tuple[int, bytes, bool]:
        """(the answer's status, its body, whether the server closes the connection now)."""
        assert self.sock is not None
        self.sock.settimeout(timeout)
        return self._exchange(method, target, body)

    def _exchange(self, method: str, target: str, body: bytes | None) -> tuple[int, bytes, bool]:
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\nAccept: application/json\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        elif method in ("POST", "PUT", "PATCH"):
            head += "Content-Length: 0\r\n"
        self._send_all(head.encode("latin-1") + b"\r\n" + (body or b""))
        status_line, header_lines = self._head()
        version, _, rest = status_line.partition(b" ")
        length, chunked, close = None, False, version == b"HTTP/1.0"
        try:
            status = int(rest[:3])
            for line in header_lines:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            if method == "HEAD" or status < 200 or status in (204, 304):
                return status, b"", close
            if chunked:
                return status, self._chunks(), close
            if length is not None:
                return status, self._exactly(length), close
        except ValueError as error:  # a status, a length or a chunk size that is no number
            raise http.client.HTTPException(f"malformed answer: {error}") from error
        return status, self._rest(), True  # the body ends with the connection

    # -- the reads and writes, which `_LoopConnection` does on the event loop ----------------

    def _send_all(self, data: bytes) -> None:
        self.sock.sendall(data)  # type: ignore[union-attr]

    def _head(self) -> tuple[bytes, list[bytes]]:
        """The answer's status line and its header lines."""
        status_line = self._line()
        if not status_line:
            raise http.client.RemoteDisconnected("the server closed the connection, no answer")
        lines = []
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                return status_line, lines
            lines.append(line)
        raise http.client.HTTPException(f"more than {MAX_HEADERS} headers")

    def _line(self) -> bytes:
        line = self._reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("a line of the answer's head")
        return line

    def _exactly(self, size: int) -> bytes:
        data = self._reader.read(size)
        if len(data) < size:
            raise http.client.IncompleteRead(data, size - len(data))
        return data

    def _rest(self) -> bytes:
        return self._reader.read()

    def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int(self._line().split(b";", 1)[0], 16)
            if size == 0:
                while self._line() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._exactly(2)  # the chunk's CRLF


class _LoopConnection(_Connection):
    """The same exchange on the running event loop's own connection (asyncio streams), from
    work that runs on the loop in a greenlet: each read is awaited there (`_awaited`), and
    the loop serves other requests meanwhile. The answer's head comes in one read. A timer
    aborts an exchange that takes longer than its timeout."""

    def __init__(self, host: str, port: int, https: bool, timeout: float) -> None:
        super().__init__(host, port, https, timeout)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._timed_out = False

    @property
    def connected(self) -> bool:
        return self._writer is not None

    def connect(self) -> None:
        host, port = self.address
        context = ssl.create_default_context() if self.https else None
        opening = asyncio.open_connection(host, port, ssl=context, limit=MAX_LINE * 2)
        try:
            self._reader, self._writer = _awaited(asyncio.wait_for(opening, self.timeout))
        except asyncio.TimeoutError as error:  # (not an OSError before Python 3.11)
            raise TimeoutError("connect timed out") from error
        self.loop = asyncio.get_running_loop()

    def close(self) -> None:
        if self._writer is not None:
            if self.loop is not None and not self.loop.is_closed():
                self._writer.close()
            self._writer = self._reader = None

    def reusable(self) -> bool:
        """Open, on this loop, and with nothing to read (the server's end of file included)."""
        return (
            self._writer is not None
            and self.loop is asyncio.get_running_loop()
            and not self._writer.is_closing()
            and not self._reader.at_eof()
        )

    def exchange(
        self, method: str, target: str, body: bytes | None, timeout: float
    ) -> tuple[int, bytes, bool]:
        self._timed_out = False
        timer = asyncio.get_running_loop().call_later(timeout, self._time_out)
        try:
            return self._exchange(method, target, body)
        except (OSError, http.client.HTTPException):
            if self._timed_out:
                raise TimeoutError("timed out") from None
            raise
        finally:
            timer.cancel()

    def _time_out(self) -> None:
        self._timed_out = True
        if self._writer is not None:
            self._writer.transport.abort()  # the awaited read ends at once

    def _send_all(self, data: bytes) -> None:
        self._writer.write(data)  # type: ignore[union-attr]  (a request fits the buffer)

    def _head(self) -> tuple[bytes, list[bytes]]:
        try:
            head = _awaited(self._reader.readuntil(b"\r\n\r\n"))
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise http.client.RemoteDisconnected("the server closed the connection") from None
            raise http.client.IncompleteRead(error.partial) from None
        except asyncio.LimitOverrunError:
            raise http.client.LineTooLong("the answer's head") from None
        status_line, *lines = head[:-4].split(b"\r\n")
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"more than {MAX_HEADERS} headers")
        if any(len(line) > MAX_LINE for line in lines):
            raise http.client.LineTooLong("a line of the answer's head")
        return status_line, lines

    def _line(self) -> bytes:
        try:
            return _awaited(self._reader.readuntil(b"\n"))
        except asyncio.IncompleteReadError as error:
            return error.partial  # the end of the answer: the caller sees what it lacks
        except asyncio.LimitOverrunError:
            raise http.client.LineTooLong("a line of the answer") from None

    def _exactly(self, size: int) -> bytes:
        try:
            return _awaited(self._reader.readexactly(size))
        except asyncio.IncompleteReadError as error:
            raise http.client.IncompleteRead(error.partial, size - len(error.partial)) from None

    def _rest(self) -> bytes:
        return _awaited(self._reader.read())


def _awaited(awaitable: Any) -> Any:
    """Await ``awaitable`` from synchronous code that runs on the event loop in a greenlet."""
    from sqlalchemy.util import await_only

    return await_only(awaitable)


def _still_open(sock: socket.socket) -> bool:
    """Is an idle connection still usable? Only if there is nothing to read on it: a peek
    that does not wait sees the end of file of a connection the peer closed."""
    sock.settimeout(0.0)  # do not wait (`_send` sets the request's timeout next)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True  # nothing to read: open and idle, as it should be
    except OSError:
        return False
    return False  # closed by the peer, or stray bytes: either way not reusable
