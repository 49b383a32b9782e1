"""How far a run is: a progress bar on a terminal, plain log lines in a Kubernetes Job.

Replications may run in threads side by side, each telling its own progress; the bar adds
them up (simulated days of all replications) and the log prefixes each line with its
replication.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from customer_sim.domain.calendar import MINUTES_PER_DAY, MINUTES_PER_HOUR
from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.environment import Progress

log = logging.getLogger("customer_sim")


class BarProgress:
    """One tqdm bar in simulated days, over every replication of a run."""

    def __init__(self, scenario: Scenario, replications: int) -> None:
        from tqdm import tqdm

        self.days = scenario.days
        self.bar = tqdm(
            total=scenario.days * replications,
            desc=scenario.name,
            unit="day",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| day {n:.1f}/{total} "
            "[{elapsed}<{remaining}{postfix}]",
            file=sys.stderr,
        )
        self.lock = threading.Lock()
        self.done: dict[int, float] = {}
        self.customers: dict[int, int] = {}
        self.shown = 0.0

    def replication(self, number: int) -> Progress:
        return _Replication(self, number)

    def update(self, number: int, now: float, customers: int) -> None:
        with self.lock:
            self.done[number] = min(now / MINUTES_PER_DAY, self.days)
            self.customers[number] = customers
            total = sum(self.done.values())
            if total - self.shown >= 0.01:
                self.bar.set_postfix_str(f"{sum(self.customers.values())} customers", False)
                self.bar.update(total - self.shown)
                self.shown = total

    def close(self) -> None:
        self.bar.close()


class LogProgress:
    """Plain log lines every N simulated hours of each replication, for a Job's log."""

    def __init__(self, scenario: Scenario, replications: int, every_hours: int) -> None:
        self.scenario = scenario
        self.replications = replications
        self.every = every_hours * MINUTES_PER_HOUR
        self.horizon = scenario.days * MINUTES_PER_DAY

    def replication(self, number: int) -> Progress:
        return _LoggedReplication(self, number)

    def close(self) -> None:
        pass


class _Replication:
    def __init__(self, bar: BarProgress, number: int) -> None:
        self.bar = bar
        self.number = number

    def update(self, now: float, customers: int) -> None:
        self.bar.update(self.number, now, customers)


class _LoggedReplication:
    def __init__(self, parent: LogProgress, number: int) -> None:
        self.parent = parent
        self.name = parent.scenario.name
        if parent.replications > 1:
            self.name += f" replication {number}/{parent.replications}"
        self.next_line = parent.every
        self.started = time.perf_counter()

    def update(self, now: float, customers: int) -> None:
        parent = self.parent
        while now >= self.next_line and self.next_line <= parent.horizon:
            elapsed = time.perf_counter() - self.started
            log.info(
                "%s: %d of %d simulated hours, %d customers, %.1fs elapsed (%.0f customers/s)",
                self.name,
                self.next_line // MINUTES_PER_HOUR,
                parent.horizon // MINUTES_PER_HOUR,
                customers,
                elapsed,
                customers / elapsed if elapsed else 0.0,
            )
            self.next_line += parent.every


def make_progress(
    kind: str, scenario: Scenario, replications: int, every_hours: int
) -> BarProgress | LogProgress:
    """``bar``, ``log``, or ``auto``: a bar on a terminal, log lines otherwise."""
    if kind == "bar" or (kind == "auto" and sys.stderr.isatty()):
        return BarProgress(scenario, replications)
    return LogProgress(scenario, replications, every_hours)
