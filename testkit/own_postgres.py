"""A PostgreSQL server of a test's own, for the fault tests that stop and restart it.

The shared test server must never be restarted (every other test, and on a developer's
machine everything else, uses it), so a test that needs a database outage starts its own:
``initdb`` into a temporary directory and ``pg_ctl`` on a free port, with the binaries of
the local PostgreSQL installation (Debian/Ubuntu keep them in /usr/lib/postgresql/N/bin;
GitHub's Ubuntu runners have them too). initdb refuses to run as root, so as root it runs
as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from testkit.processes import free_port


def postgres_bin_dir() -> Path | None:
    """The newest local installation's bin directory, or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_config")
    if found:
        return Path(
            subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        )
    return None


class OwnPostgres:
    """``start``/``stop``/``restart`` a private server; `url` names a database on it."""

    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError(
                "the fault tests need PostgreSQL's server binaries (initdb, pg_ctl): install "
                "the postgresql package"
            )
        self.bin_dir = bin_dir
        # Its own directory straight under /tmp: a test's tmp_path is private to its user,
        # which the postgres user (as root) could not enter.
        self.directory = Path(tempfile.mkdtemp(prefix="dss-postgres-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_postgres, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-o", options,
                  "-l", str(self.directory / "server.log"))  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (a restart as an operator does it); ``immediate``
        is a crash."""
        self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> OwnPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)
