"""The whole smoke test (`python -m testkit.smoke`), through the real Kubernetes client, against a
stand-in API server (tests/smoke/fake_cluster.py) whose pod port-forwards reach the real
services, after a real simulator run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from testkit.processes import ServiceProcess
from testkit.smoke import Clock, run
from testkit.smoke.cluster import Cluster
from tests.smoke import release as r
from tests.smoke.fake_cluster import FakeKubernetes


class Output(list):
    def __call__(self, text: str) -> None:
        self.extend(text.splitlines())

    def text(self) -> str:
        return "\n".join(self)


class FastClock(Clock):
    """Time passes only when the smoke test sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        super().__init__(now=lambda: self.t, sleep=self.advance)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def api() -> Iterator[FakeKubernetes]:
    with FakeKubernetes() as fake:
        yield fake


@pytest.fixture
def cluster(api: FakeKubernetes, tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(None, None, kubeconfig=str(api.kubeconfig(tmp_path)))
    yield cluster
    cluster.api.close()


def install(api: FakeKubernetes, *, workloads_ready: bool = True) -> dict[str, dict]:
    """The release's workloads, Services and pods; the Job is the test's business."""
    chart = r.rendered()
    state = r.ready if workloads_ready else r.starting
    objects = {
        "postgres": state(r.get(chart, "StatefulSet", "postgres")),
        "inventory": state(r.get(chart, "Deployment", "inventory")),
        "store": state(r.get(chart, "Deployment", "store")),
        "job": r.get(chart, "Job", "simulator-1"),
    }
    api.add(objects["postgres"], objects["inventory"], objects["store"])
    api.add(*(r.get(chart, "Service", name) for name in ("postgres", "inventory", "store")))
    return objects


@pytest.mark.slow
def test_a_working_release_passes(
    api: FakeKubernetes,
    cluster: Cluster,
    store_server: ServiceProcess,
    inventory_server: ServiceProcess,
    finished_run: tuple[datetime, datetime],
) -> None:
    objects = install(api)
    pods = {
        "inventory": r.pod(objects["inventory"], "6d9c8-x2k4p"),
        "store": r.pod(objects["store"], "7f4b5-q8z2m"),
    }
    api.add(r.pod(objects["postgres"], "0"), *pods.values())
    api.forward(pods["inventory"]["metadata"]["name"], 8000, inventory_server.port)
    api.forward(pods["store"]["metadata"]["name"], 8000, store_server.port)
    api.add(r.job_complete(objects["job"], *finished_run))

    output = Output()
    assert run(cluster, "dss", say=output, clock=FastClock()), output.text()
    assert output[0] == "smoke test of release dss in kind-demand-supply-sim, namespace dss"
    assert "ready    statefulset/dss-postgres 1/1 ready" in output
    assert "ready    deployment/dss-store 1/1 ready" in output
    assert any(line.startswith("ready    job/dss-simulator-1 complete in ") for line in output)
    assert "ok       store /readyz: ready (database ok, inventory ok)" in output
    assert any(line.startswith("ok       reconciliation: balanced on 10 SKUs") for line in output)
    assert output[-1].startswith("smoke test passed in ")
    # Every service question went through a pod port-forward.
    assert any(path.endswith("/portforward?ports=8000") for path in api.requests)


def test_a_failed_job_fails_the_smoke_test_with_the_jobs_log(
    api: FakeKubernetes, cluster: Cluster
) -> None:
    objects = install(api)
    job = r.job_failed(objects["job"], datetime.now(timezone.utc) - timedelta(minutes=2))
    job_pod = r.pod(job, "k2v9d", main={"terminated": {"exitCode": 1, "reason": "Error"}})
    api.add(job, job_pod)
    api.logs[(job_pod["metadata"]["name"], "simulator")] = (
        "INFO run started\n"
        "ERROR the run's records do not reconcile:\n"
        "  - milk-1l: sold 12, issued 11"
    )
    output = Output()
    assert not run(cluster, "dss", say=output, clock=FastClock())
    text = output.text()
    assert (
        "smoke test FAILED: job/dss-simulator-1 failed (BackoffLimitExceeded: Job has reached"
        in text
    )
    assert "  - milk-1l: sold 12, issued 11" in text
    assert f"pod/{job_pod['metadata']['name']}: Pending, 0/1 containers ready" in text


def test_a_release_that_never_gets_ready_times_out_with_a_report(
    api: FakeKubernetes, cluster: Cluster
) -> None:
    objects = install(api, workloads_ready=False)
    waiting = {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
    crashing = r.pod(objects["store"], "7f4b5-q8z2m", main={"waiting": waiting})
    crashing["status"]["containerStatuses"][0].update(
        restartCount=3, lastState={"terminated": {"exitCode": 1, "reason": "Error"}}
    )
    name = crashing["metadata"]["name"]
    api.add(crashing)
    message = "Back-off restarting failed container store"
    api.add(r.event("Pod", name, "Warning", "BackOff", message, "2026-11-27T10:03:00Z", 4))
    api.logs[(name, "store")] = "Traceback (most recent call last):\nKeyError: 'x'"
    api.logs[(name, "migrate")] = "INFO store_service: schema is up to date"

    output = Output()
    clock = FastClock()
    assert not run(cluster, "dss", say=output, clock=clock, timeout=60)
    assert clock.t >= 60
    text = output.text()
    assert "waiting  deployment/dss-store 0/1 ready" in output
    assert "smoke test FAILED: timed out waiting for the release dss:" in text
    assert "deployment/dss-store" in text.split("timed out")[1].splitlines()[0]
    assert (
        "  container store: waiting (CrashLoopBackOff): back-off 40s restarting failed "
        "container; 3 restarts, last exit 1 (Error)"
    ) in output
    assert f"10:03:00 Warning BackOff pod/{name}: {message} (x4)" in output
    assert "KeyError: 'x'" in output
    assert "INFO store_service: schema is up to date" in output  # init containers' logs too


def test_a_pod_that_cannot_start_fails_at_once(api: FakeKubernetes, cluster: Cluster) -> None:
    objects = install(api, workloads_ready=False)
    api.add(
        r.pod(
            objects["inventory"],
            "6d9c8-x2k4p",
            main={"waiting": {"reason": "CreateContainerConfigError",
                              "message": 'secret "dss-database" not found'}},  # fmt: skip
        )
    )
    clock = FastClock()
    output = Output()
    assert not run(cluster, "dss", say=output, clock=clock)
    assert clock.t == 0
    assert (
        "smoke test FAILED: pod/dss-inventory-6d9c8-x2k4p container inventory: "
        'CreateContainerConfigError: secret "dss-database" not found'
    ) in output


def test_without_a_simulator_job_it_waits_then_says_so(
    api: FakeKubernetes, cluster: Cluster
) -> None:
    install(api)
    output = Output()
    assert not run(cluster, "dss", say=output, clock=FastClock(), timeout=30)
    assert "waiting  simulator no Job yet (under Tilt: trigger simulator)" in output
    assert (
        "smoke test FAILED: timed out waiting for a simulator Job of release dss to complete"
        in output
    )
