"""A real HTTP server that plays a script, for the failures a real service cannot be made to
show on demand: a 503, a timeout, a dropped connection, an answer that is not JSON.

It listens on a free local port, keeps connections alive like uvicorn, and records every
request it got, so tests of the HTTP clients exercise real sockets, not a mocked transport.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: Script steps besides ``(status, body)``: hold the request longer than a client waits, or
#: close the connection without answering. ``(status, body, CLOSE)`` answers, then closes the
#: connection without saying so, as a server whose keep-alive timeout ran out.
SLOW = "slow"
DROP = "drop"
CLOSE = "close"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    client_port: int  # one per connection: tells whether a client kept its connection alive

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """Answers requests with ``script`` in turn; the last step repeats once the others are
    used. ``slow_seconds`` is how long a `SLOW` step holds the request. Its port is taken
    at once but it listens only from ``__enter__`` on: until then, connections are refused,
    as by a service that has not started yet."""

    def __init__(self, *script: tuple | str, slow_seconds: float = 1.0) -> None:
        self.script = list(script)
        self.slow_seconds = slow_seconds
        self.received: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # and answer without Nagle's delay, as uvicorn does
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _play(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with server._lock:
                    server.received.append(
                        Received(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            body,
                            self.client_address[1],
                        )
                    )
                    step = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                if step == SLOW:
                    time.sleep(server.slow_seconds)
                    self.close_connection = True
                    return
                if step == DROP:
                    self.close_connection = True
                    return
                status, payload, *then = step
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = CLOSE in then

            do_GET = do_POST = do_PUT = do_DELETE = _play

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self._server.server_bind()
        self._server.daemon_threads = True
        self._server.block_on_close = False  # keep-alive connections idle until the end
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self._server.server_activate()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
