"""A headless Chromium (or Google Chrome) driven over the DevTools protocol, for tests that
must see a page as a browser renders it: what is laid out, which images decoded.

The browser is found through ``CHROME_BIN``, else the usual binary names on the PATH
(Debian's ``chromium``, Google Chrome on GitHub's runners). It runs with a fresh profile
and everything that would reach for the network switched off, so it neither stalls on a
closed network nor leaves state behind.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

BROWSER_ENV = "CHROME_BIN"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",  # root in containers and CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",  # the port it picks is written to DevToolsActivePort
]


def find_browser() -> str | None:
    """``$CHROME_BIN``, else the first Chromium or Chrome on the PATH; None if there is none."""
    configured = os.environ.get(BROWSER_ENV)
    if configured:
        return shutil.which(configured) or configured
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessBrowser:
    """One browser process with one page, controlled over a DevTools WebSocket."""

    def __init__(self, binary: str, width: int = 1280, height: int = 1600) -> None:
        self.binary = binary
        self.size = (width, height)
        self._ids = itertools.count(1)
        self._profile = Path(tempfile.mkdtemp(prefix="headless-browser-"))
        self._process: subprocess.Popen | None = None
        self._socket: Any = None
        self._closing = ExitStack()
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> HeadlessBrowser:
        width, height = self.size
        self._process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            port = self._debugging_port(timeout=60)
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(target for target in targets if target["type"] == "page")
            socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
            self._socket = self._closing.enter_context(socket)
            self.send("Page.enable")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _debugging_port(self, timeout: float) -> int:
        marker = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.binary} exited with {self._process.returncode}")
            if marker.exists():
                lines = marker.read_text().splitlines()
                if lines and lines[0].isdigit():
                    return int(lines[0])
            time.sleep(0.05)
        raise RuntimeError(f"{self.binary} did not open its DevTools port in {timeout}s")

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result (events on the way are kept)."""
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def _wait_for_event(self, method: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self._events:
                if event.get("method") == method:
                    self._events.remove(event)
                    return event
            message = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._events.append(message)

    def open(self, url: str, timeout: float = 30) -> None:
        """Load ``url`` and wait for its load event (images decoded and laid out)."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        self._wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        """A PNG of the page (the whole page, not just the window, by default)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
