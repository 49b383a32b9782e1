"""Recording a run: a scenario's replications, each in a store of its own, recorded in the run
database whatever their outcome, then reported. The use case behind ``run`` and ``compare``.

Replications share nothing but the services, so up to ``parallel`` of them run at once, each
in a thread with its own clients and its own event engine. Every request of a replication
carries that replication's store and simulated time, so what it sees — and therefore its
results — does not depend on how many others run beside it. The first replication that fails
stops the others (at their next event) and the run is recorded as failed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.environment import Progress
from customer_sim.simulation.ports import InventoryPort, StorePort
from customer_sim.simulation.replications import ReplicatedRun, RunInfo, SkuInfo, replication_seed
from customer_sim.simulation.results import ReplicationKpis, RunResult
from customer_sim.simulation.runner import InconsistentRun, run_scenario


@dataclass(frozen=True)
class RunPlan:
    """What ``run`` was asked to do for one scenario."""

    scenario: Scenario
    scenario_file: str
    # Names the run: ``run-<scenario>-<8 hex>``. Replication 1 (the scenario's own seed) runs in
    # the store of that very id, so a single run's store is its key; replication k >= 2 in
    # ``<key>-r<k>``.
    key: str
    replications: int
    output_dir: Path
    comparison: str | None = None  # the key of the ``compare`` this run is part of

    def replication(self, number: int) -> tuple[Scenario, str]:
        """The scenario (with the replication's seed) and the store id of replication k."""
        seed = replication_seed(self.scenario.seed, number)
        store = self.key if number == 1 else f"{self.key}-r{number}"
        return self.scenario.with_overrides(seed=seed), store


class Services(Protocol):
    def connect(self) -> AbstractContextManager[tuple[StorePort, InventoryPort]]:
        """Clients to both services for one replication (checked to answer)."""
        ...


class RunLog(Protocol):
    """The run database, as this use case writes to it."""

    def start_run(self, plan: RunPlan) -> int: ...

    def record_replication(
        self,
        run_id: int,
        replication: ReplicationKpis,
        skus: Sequence[SkuInfo],
        error: str | None,
    ) -> None: ...

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None: ...


class RunProgress(Protocol):
    def replication(self, number: int) -> Progress:
        """Where replication ``number`` reports how far it is (called from its thread)."""
        ...


class ReportWriter(Protocol):
    def __call__(self, plan: RunPlan, run: ReplicatedRun, results: list[RunResult]) -> None: ...


class Cancelled(Exception):
    """A replication stopped because another one failed (or the run was interrupted)."""


class _Cancellable:
    """Passes progress on, and stops the replication at its next event once cancelled."""

    def __init__(self, progress: Progress, cancel: threading.Event) -> None:
        self.progress = progress
        self.cancel = cancel

    def update(self, now: float, customers: int) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        self.progress.update(now, customers)


Outcome = tuple[int, RunResult | None, BaseException | None]


def run_replications(
    plan: RunPlan, services: Services, progress: RunProgress, parallel: int = 1
) -> Iterator[Outcome]:
    """Run the plan's replications, ``parallel`` at a time; yield (number, result, error) as
    each ends. After the first error, the rest are cancelled (and yielded as `Cancelled`)."""
    cancel = threading.Event()

    def one(number: int) -> RunResult:
        if cancel.is_set():  # another one failed: do not even open a store
            raise Cancelled()
        scenario, store_id = plan.replication(number)
        watch = _Cancellable(progress.replication(number), cancel)
        try:
            with services.connect() as (store, inventory):
                return run_scenario(scenario, store, inventory, store_id, watch, number)
        except BaseException:
            cancel.set()  # before this thread picks up the next replication
            raise

    numbers = range(1, plan.replications + 1)
    if parallel <= 1:
        for number in numbers:
            try:
                yield number, one(number), None
            except Exception as error:
                yield number, None, error
                return
        return
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="replication") as pool:
        futures = {pool.submit(one, number): number for number in numbers}
        try:
            for future in as_completed(futures):
                error = future.exception()
                if error is not None:
                    for waiting in futures:
                        waiting.cancel()
                    yield futures[future], None, error
                else:
                    yield futures[future], future.result(), None
        finally:  # also when interrupted: let the running replications stop at their next event
            cancel.set()
            for waiting in futures:
                waiting.cancel()


def record_run(
    plan: RunPlan,
    services: Services,
    run_log: RunLog,
    write_reports: ReportWriter,
    progress: RunProgress,
    parallel: int = 1,
) -> ReplicatedRun:
    """Run, record and report ``plan``; raise the first failure after recording it.

    A replication whose books do not reconcile (`InconsistentRun`) is recorded with its
    KPIs and reported like the others (the evidence, for whoever investigates); the run is
    then failed. Any other failure leaves only what had finished.
    """
    info = RunInfo.of(plan.scenario)
    run_id = run_log.start_run(plan)
    results: list[RunResult] = []
    replications: list[ReplicationKpis] = []
    failure: BaseException | None = None
    try:
        for _number, result, error in run_replications(plan, services, progress, parallel):
            if isinstance(error, InconsistentRun):
                result = error.result
            if result is not None:
                kpis = result.replication_kpis()  # once: the run database and the reports
                run_log.record_replication(
                    run_id, kpis, info.skus, None if error is None else str(error)
                )
                results.append(result)
                replications.append(kpis)
            if error is not None and not isinstance(error, Cancelled) and failure is None:
                failure = error
    except BaseException as error:  # interrupted, or the run database failed
        failure = failure or error
    results.sort(key=lambda result: result.replication)
    replications.sort(key=lambda replication: replication.number)
    run = ReplicatedRun(info, replications)
    try:
        if results and (failure is None or isinstance(failure, InconsistentRun)):
            write_reports(plan, run, results)
    finally:
        if failure is None:
            run_log.finish_run(run_id, "succeeded")
        else:
            run_log.finish_run(run_id, "failed", describe_failure(failure))
    if failure is not None:
        raise failure
    return run


def describe_failure(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return str(error) if isinstance(error, InconsistentRun) else f"{type(error).__name__}: {error}"
