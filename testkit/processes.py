"""Start the real services as separate processes on free ports, for end-to-end tests,
benchmarks and the demo runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    """``python -m <package> serve`` on 127.0.0.1:<port> with the given environment.

    `start` returns once ``/readyz`` answers 200; `stop` terminates it; the port stays the
    same across restarts, so a client's base URL stays valid. ``inherit_env=False`` starts it
    with an empty environment (but PATH), as on a fresh machine.
    """

    def __init__(
        self,
        package: str,
        env: dict[str, str],
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: list[str] | None = None,
        cwd: Path | None = None,
        inherit_env: bool = True,
    ) -> None:
        self.package = package
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.extra_args = extra_args or []
        self.cwd = cwd or ROOT
        self.inherit_env = inherit_env
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60) -> ServiceProcess:
        """Launch the process and wait until it answers ``/readyz``."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> ServiceProcess:
        """Start the process without waiting for it (`wait_ready` does), so that several
        can start at once."""
        base = os.environ if self.inherit_env else {"PATH": os.environ.get("PATH", "")}
        env = {**base, "LOG_LEVEL": "WARNING", **self.env, "PYTHONPATH": str(ROOT)}
        if self.log_path is not None:
            self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.package, "serve", "--port", str(self.port)]
            + self.extra_args,
            cwd=self.cwd,
            env=env,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else None,
        )
        return self

    def wait_ready(self, timeout: float = 60) -> ServiceProcess:
        """Wait until the launched process answers ``/readyz`` with 200; stop it and raise
        `RuntimeError` if it exits or is not ready in ``timeout`` seconds."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.package} exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.package} did not become ready on {self.url} in {timeout}s")

    def stop(self) -> None:
        """SIGTERM (uvicorn drains open requests), then wait up to 10 s before a SIGKILL."""
        stop_all(self)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def stop_all(*services: ServiceProcess) -> None:
    """Stop the services together: each is sent SIGTERM first, then each is waited for (up
    to 10 s, then SIGKILL), so that their graceful shutdowns overlap."""
    running = [s for s in services if s.process is not None and s.process.poll() is None]
    for service in running:
        service.process.terminate()
    for service in services:
        if service.process is not None:
            try:
                service.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
        service.process = None
        if service._log is not None:
            service._log.close()
            service._log = None
