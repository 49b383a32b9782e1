"""What the benchmarks share: the two services started on SQLite or on fresh PostgreSQL
databases, their CPU time and SQL statement counts, and percentiles.

Figures, not tests: the machine is whatever runs them, so a report says what it was and how
loaded it was, and comparisons are only trusted between figures taken in one run.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servicekit.migrations import upgrade  # noqa: E402
from testkit import database  # noqa: E402
from testkit.processes import ServiceProcess  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children that were waited for (the
    workers uvicorn starts are its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])
    children = sum(cpu_seconds_of_children(pid))
    return own / CLOCK_TICKS + children


def cpu_seconds_of_children(pid: int) -> list[float]:
    """CPU time of each live child process (uvicorn's workers)."""
    times = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        times.append((int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return times


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, summed over its cores, from
    ``/proc/stat``: all is the time the machine had its cores (a virtual machine's stolen time
    left out), busy all of it but idle and I/O wait. Differences of two readings say how busy
    the machine was in between, whatever ran on it (PostgreSQL and the kernel included)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, _steal = fields
    busy = user + nice + system + irq + softirq
    return busy / CLOCK_TICKS, (busy + idle + iowait) / CLOCK_TICKS


def metric(base_url: str, name: str) -> float:
    """One unlabelled metric from a service's /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise RuntimeError(f"{base_url}/metrics has no {name}")


def run_clients(client_loop: Callable[[int], None], clients: int) -> float:
    """Run ``client_loop(n)`` for n = 0 .. clients - 1, each on its own thread, until all
    return; the seconds that took."""
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass
class Services:
    inventory: ServiceProcess
    store: ServiceProcess
    backend: str

    def cpu(self) -> dict[str, float]:
        return {
            "inventory": cpu_seconds(self.inventory.process.pid),
            "store": cpu_seconds(self.store.process.pid),
        }


@contextlib.contextmanager
def fresh_databases(backend: str) -> Iterator[dict[str, str]]:
    """A new, migrated database for each service, by name (``sqlite`` files in a temporary
    directory, or ``postgresql`` databases on the server the tests use), dropped afterwards."""
    with contextlib.ExitStack() as cleanup:
        if backend == "sqlite":
            folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
            urls = {name: f"sqlite:///{folder / name}.db" for name in ("inventory", "store")}
        else:
            admin = database.find_server()
            urls = {}
            for name in ("inventory", "store"):
                urls[name] = database.create_database(admin, f"dss_bench_{name}")
                cleanup.callback(database.drop_database, admin, urls[name])
        for name, url in urls.items():
            upgrade(ROOT / f"{name}_service" / "migrations", url)
        yield urls


@contextlib.contextmanager
def running_services(backend: str, workers: int = 1, pool_size: int = 10) -> Iterator[Services]:
    """Both services on fresh databases (`fresh_databases`)."""
    with contextlib.ExitStack() as cleanup:
        urls = cleanup.enter_context(fresh_databases(backend))
        common = {"LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(workers)}
        inventory = ServiceProcess(
            "inventory_service",
            {**common, "INVENTORY_DATABASE_URL": urls["inventory"],
             "INVENTORY_DB_POOL_SIZE": str(pool_size)},
        )  # fmt: skip
        cleanup.enter_context(inventory)
        store = ServiceProcess(
            "store_service",
            {**common, "STORE_DATABASE_URL": urls["store"], "STORE_DB_POOL_SIZE": str(pool_size),
             "INVENTORY_URL": inventory.url},
        )  # fmt: skip
        cleanup.enter_context(store)
        yield Services(inventory, store, backend)


def machine() -> dict[str, object]:
    """What the figures were measured on, and how busy it was when they were."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "revision": revision,
    }
