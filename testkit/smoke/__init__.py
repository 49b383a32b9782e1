"""The smoke test of a running release (`make smoke`, and CI's kind job).

    python -m testkit.smoke [--release dss] [--namespace NS] [--context CTX] [--job NAME]
                            [--timeout 900]

Against the current kubectl context (or ``--context``): waits for the release's StatefulSets
and Deployments to be ready and its newest simulator Job to complete (failing with the Job's
log if it fails), reaches both services through a port-forward of the Python ``kubernetes``
client, checks their ``/readyz`` (the store's must report the inventory ok), and checks that the
run's data landed: the store it opened has orders, the inventory's ledger has issues at its
location, its reconciliation balances and its daily sales add up. On failure it prints the
pods' states, the namespace's recent events and the last log lines of every container.

The parts: `readiness` (what ready means per kind), `data` (the questions to the services and
what the answers must say), `report` (the failure report), `cluster` (the live client), and
`run` here, which waits and decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Protocol

from testkit.smoke.data import Fetch, Outcome, check_ready, check_run_data
from testkit.smoke.readiness import State, job_state, pod_blockers, workload_state
from testkit.smoke.report import LOG_LINES, failure_report, log_tail

INSTANCE = "app.kubernetes.io/instance"
REQUIRED_DEPLOYMENTS = ("inventory", "store")
POLL_SECONDS = 3


class ClusterView(Protocol):
    """What `run` needs from a cluster (testkit.smoke.cluster.Cluster provides it)."""

    context: str
    namespace: str

    def workloads(self, release: str) -> list[dict[str, Any]]: ...
    def simulator_jobs(self, release: str) -> list[dict[str, Any]]: ...
    def job(self, name: str) -> dict[str, Any] | None: ...
    def pods(self, selector: str) -> list[dict[str, Any]]: ...
    def events(self) -> list[dict[str, Any]]: ...
    def logs(self, pods: list[dict[str, Any]], tail: int) -> dict[tuple[str, str], str | None]: ...
    def service_fetch(self, release: str, component: str) -> Fetch: ...


class SmokeFailed(Exception):
    """The release is not working; the message says why."""


@dataclass
class Clock:
    """Time and waiting, replaceable in tests."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def _component(obj: dict[str, Any]) -> str:
    return (obj["metadata"].get("labels") or {}).get("app.kubernetes.io/component", "")


class _Progress:
    """Prints a line for an object only when what it says changes."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.last: dict[str, str] = {}

    def show(self, name: str, state: State) -> None:
        word = "ready" if state.done else "waiting"
        line = f"{word:8} {name} {state.summary}"
        if self.last.get(name) != line:
            self.last[name] = line
            self.say(line)


def wait_for_workloads(
    cluster: ClusterView, release: str, deadline: float, clock: Clock, progress: _Progress
) -> None:
    while True:
        workloads = cluster.workloads(release)
        states = {}
        for obj in workloads:
            name = f"{obj['kind'].lower()}/{obj['metadata']['name']}"
            states[name] = workload_state(obj)
            progress.show(name, states[name])
            if states[name].failed:
                raise SmokeFailed(states[name].failed)
        blockers = [b for pod in cluster.pods(f"{INSTANCE}={release}") for b in pod_blockers(pod)]
        if blockers:
            raise SmokeFailed("; ".join(blockers))
        components = {_component(o) for o in workloads if o["kind"] == "Deployment"}
        missing = [c for c in REQUIRED_DEPLOYMENTS if c not in components]
        if not missing and all(state.done for state in states.values()):
            return
        if clock.now() >= deadline:
            waiting = [name for name, state in states.items() if not state.done]
            what = f"no Deployment for {', '.join(missing)}" if missing else ", ".join(waiting)
            raise SmokeFailed(f"timed out waiting for the release {release}: {what}")
        clock.sleep(POLL_SECONDS)


def newest(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    def created(job: dict[str, Any]) -> datetime:
        value = job["metadata"]["creationTimestamp"]
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    return max(jobs, key=created)


def wait_for_job(
    cluster: ClusterView,
    release: str,
    job_name: str | None,
    deadline: float,
    clock: Clock,
    progress: _Progress,
) -> dict[str, Any]:
    """The simulator Job, once complete (the newest of the release's, unless named)."""
    while True:
        if job_name:
            job = cluster.job(job_name)
        else:
            jobs = cluster.simulator_jobs(release)
            job = newest(jobs) if jobs else None
        if job is not None:
            name = f"job/{job['metadata']['name']}"
            state = job_state(job)
            progress.show(name, state)
            if state.failed:
                pods = cluster.pods(f"job-name={job['metadata']['name']}")
                logs = cluster.logs(pods, LOG_LINES)
                log_lines = [line for (pod, c), t in logs.items() for line in log_tail(pod, c, t)]
                raise SmokeFailed("\n".join([state.failed, *log_lines]))
            if state.done:
                return job
        elif clock.now() < deadline:
            progress.show("simulator", State(False, "no Job yet (under Tilt: trigger simulator)"))
        if clock.now() >= deadline:
            what = job_name or f"a simulator Job of release {release}"
            raise SmokeFailed(f"timed out waiting for {what} to complete")
        clock.sleep(POLL_SECONDS)


def run(
    cluster: ClusterView,
    release: str,
    *,
    job_name: str | None = None,
    timeout: float = 900,
    say: Callable[[str], None] = print,
    clock: Clock | None = None,
) -> bool:
    """The whole smoke test; True when it passed. Prints progress, then a verdict (and the
    failure report when it failed)."""
    clock = clock or Clock()
    started = clock.now()
    deadline = started + timeout
    say(f"smoke test of release {release} in {cluster.context}, namespace {cluster.namespace}")
    progress = _Progress(say)
    try:
        wait_for_workloads(cluster, release, deadline, clock, progress)
        job = wait_for_job(cluster, release, job_name, deadline, clock, progress)
        store = cluster.service_fetch(release, "store")
        inventory = cluster.service_fetch(release, "inventory")
        outcome = Outcome()
        outcome.extend(check_ready("store", store, needs=("inventory",)))
        outcome.extend(check_ready("inventory", inventory))
        if not outcome.problems:
            status = job["status"]
            outcome.extend(
                check_run_data(
                    store,
                    inventory,
                    _datetime(status["startTime"]),
                    _datetime(status["completionTime"]),
                )
            )
        for line in outcome.lines:
            say(f"ok       {line}")
        if outcome.problems:
            raise SmokeFailed("; ".join(outcome.problems))
    except Exception as error:  # every failure, expected or not, gets the report
        reason = (
            str(error) if isinstance(error, SmokeFailed) else f"{type(error).__name__}: {error}"
        )
        try:
            pods = cluster.pods(f"{INSTANCE}={release}")
            say(failure_report(reason, pods, cluster.events(), cluster.logs(pods, LOG_LINES)))
        except Exception as report_error:  # the cluster itself is out of reach
            say(f"smoke test FAILED: {reason}\n(no report: {report_error})")
        return False
    say(f"smoke test passed in {clock.now() - started:.0f}s")
    return True


def _datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
