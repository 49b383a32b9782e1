"""What the smoke test asks the two services, and what their answers must say.

Everything goes through the services' public APIs (docs/store-api.md, the inventory's OpenAPI
document), never through the simulator's log, whose format is the simulator's own business.
Each check takes a ``Fetch`` per service (a path in, a status and a JSON body out), so the same
code runs against a cluster through a port-forward, against local processes in the tests, and
against answers recorded from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

# Store ids and Job times come from two clocks (the store's and the API server's, which keeps
# whole seconds): a store counts as the run's if it was opened within this of the Job's span.
CLOCK_SLACK = timedelta(seconds=10)
PAGE = 1000  # the APIs' largest page


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


Fetch = Callable[[str], Answer]


@dataclass
class Outcome:
    """What a check found: lines for the user, and the problems that fail the smoke test."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.lines += other.lines
        self.problems += other.problems


def check_ready(service: str, fetch: Fetch, *, needs: tuple[str, ...] = ()) -> Outcome:
    """``/readyz`` answers 200 ("ready"), and each check in ``needs`` is "ok" too (the
    store's readiness does not depend on the inventory, but the smoke test does)."""
    outcome = Outcome()
    answer = fetch("/readyz")
    checks = answer.body.get("checks", {}) if isinstance(answer.body, dict) else {}
    if answer.status != 200 or answer.body.get("status") != "ready":
        outcome.problems.append(f"{service} /readyz answered {answer.status}: {answer.body}")
        return outcome
    for name in needs:
        if checks.get(name) != "ok":
            outcome.problems.append(f"{service} /readyz: {name} is {checks.get(name)!r}")
    if not outcome.problems:
        details = ", ".join(f"{name} {state}" for name, state in sorted(checks.items()))
        outcome.lines.append(f"{service} /readyz: ready ({details})")
    return outcome


def _get(fetch: Fetch, path: str) -> Any:
    answer = fetch(path)
    if answer.status != 200:
        raise DataCheckError(f"GET {path} answered {answer.status}: {answer.body}")
    return answer.body


class DataCheckError(Exception):
    """A service refused a question the checks had to ask."""


def stores_opened_between(
    store: Fetch, started: datetime, finished: datetime
) -> tuple[list[dict], int]:
    """The stores the store service created while the Job ran (a run opens its own store),
    and how many stores it has in all."""
    found, offset = [], 0
    while True:
        page = _get(store, f"/stores?limit={PAGE}&offset={offset}")
        for row in page["data"]:
            created = datetime.fromisoformat(row["created_at"])
            if started - CLOCK_SLACK <= created <= finished + CLOCK_SLACK:
                found.append(row)
        offset += len(page["data"])
        if not page["data"] or offset >= page["total"]:
            return found, page["total"]


def check_run_data(
    store: Fetch, inventory: Fetch, started: datetime, finished: datetime
) -> Outcome:
    """The run's data landed: its store has orders, the inventory's ledger has issues at that
    store's location, the store's reconciliation balances, and its daily sales add up to the
    units the reconciliation counts."""
    outcome = Outcome()
    try:
        runs, total = stores_opened_between(store, started, finished)
        if not runs:
            outcome.problems.append(
                f"no store was opened while the run went on ({started:%H:%M:%S} to "
                f"{finished:%H:%M:%S} UTC); the store service has {total} stores"
            )
        for run in runs:
            outcome.extend(_check_one_run(store, inventory, run["id"]))
    except DataCheckError as error:
        outcome.problems.append(str(error))
    return outcome


def _check_one_run(store: Fetch, inventory: Fetch, store_id: str) -> Outcome:
    outcome = Outcome()
    orders = _get(store, f"/stores/{store_id}/orders?limit=1")["total"]
    issues = _get(inventory, f"/locations/{store_id}/movements?kind=issue&limit=1")["total"]
    reconciliation = _get(store, f"/stores/{store_id}/reconciliation")
    daily = _get(store, f"/stores/{store_id}/sales/daily")

    fulfilled = sum(line["fulfilled"] for line in reconciliation["skus"])
    sold = sum(day["units_sold"] for day in daily)
    if orders == 0:
        outcome.problems.append(f"store {store_id} has no orders")
    if issues == 0:
        outcome.problems.append(f"the inventory ledger has no issues at location {store_id}")
    unbalanced = [line for line in reconciliation["skus"] if line["fulfilled"] != line["issued"]]
    if not reconciliation["balanced"] or unbalanced:
        detail = ", ".join(
            f"{line['sku']}: {line['fulfilled']} sold, {line['issued']} issued"
            for line in unbalanced
        )
        outcome.problems.append(f"store {store_id} does not reconcile with the ledger: {detail}")
    elif fulfilled == 0:
        outcome.problems.append(f"store {store_id} reconciles, but sold nothing")
    if sold != fulfilled:
        outcome.problems.append(
            f"store {store_id}: daily sales add up to {sold} units, its orders to {fulfilled}"
        )
    if not outcome.problems:
        outcome.lines += [
            f"run store {store_id}: {orders:,} orders, {sold:,} units sold on "
            f"{len(daily)} day{'' if len(daily) == 1 else 's'}",
            f"inventory ledger at {store_id}: {issues:,} issues",
            f"reconciliation: balanced on {len(reconciliation['skus'])} SKUs "
            f"({fulfilled:,} units sold = issued)",
        ]
    return outcome
