"""What "ready" means per kind of object, and the failure report, on the release's own objects
with the statuses the API server gives them (tests/smoke/release.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from testkit.smoke.readiness import job_state, pod_blockers, workload_state
from testkit.smoke.report import failure_report, log_tail, pod_states, recent_events
from tests.smoke import release as r

CHART = r.rendered()
T0 = datetime(2026, 11, 27, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind, name", [("StatefulSet", "postgres"), ("Deployment", "store")])
def test_a_workload_with_every_replica_current_and_ready_is_ready(kind: str, name: str) -> None:
    state = workload_state(r.ready(r.get(CHART, kind, name)))
    assert (state.done, state.summary, state.failed) == (True, "1/1 ready", None)


def test_a_new_workload_is_not_ready_yet() -> None:
    state = workload_state(r.starting(r.get(CHART, "Deployment", "store")))
    assert (state.done, state.summary, state.failed) == (False, "0/1 ready", None)


def test_a_spec_the_controller_has_not_seen_is_not_ready() -> None:
    deployment = r.ready(r.get(CHART, "Deployment", "store"))
    deployment["metadata"]["generation"] = 2  # e.g. just upgraded: the status is the old one's
    assert not workload_state(deployment).done


def test_a_rollout_with_an_old_pod_left_is_not_ready() -> None:
    deployment = r.ready(r.get(CHART, "Deployment", "inventory"))
    deployment["status"]["replicas"] = 2  # the new pod is ready, the old one still terminating
    state = workload_state(deployment)
    assert (state.done, state.summary) == (False, "1/1 ready (rolling out)")


def test_a_statefulset_between_revisions_is_not_ready() -> None:
    statefulset = r.ready(r.get(CHART, "StatefulSet", "postgres"))
    statefulset["status"]["updateRevision"] = "dss-postgres-7c4d9f8b5"
    assert not workload_state(statefulset).done


def test_a_deployment_past_its_progress_deadline_has_failed() -> None:
    deployment = r.starting(r.get(CHART, "Deployment", "store"))
    deployment["status"]["conditions"] = [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": 'ReplicaSet "dss-store-7f4b5" has timed out progressing.'}  # fmt: skip
    ]
    state = workload_state(deployment)
    assert (
        state.failed
        == 'deployment/dss-store: ReplicaSet "dss-store-7f4b5" has timed out progressing.'
    )


def test_job_states() -> None:
    job = r.get(CHART, "Job", "simulator-1")
    assert job_state(job).summary == "waiting for its pod"
    assert job_state(r.job_running(job, T0)).summary == "running (1 active)"
    complete = job_state(r.job_complete(job, T0, T0.replace(minute=1)))
    assert (complete.done, complete.summary) == (True, "complete in 61s")
    failed = job_state(r.job_failed(job, T0))
    assert not failed.done
    assert failed.failed == (
        "job/dss-simulator-1 failed (BackoffLimitExceeded: "
        "Job has reached the specified backoff limit)"
    )


def test_a_job_is_failed_as_soon_as_kubernetes_marks_its_failure_target() -> None:
    job = r.job_failed(r.get(CHART, "Job", "simulator-1"), T0)
    job["status"]["conditions"] = job["status"]["conditions"][:1]  # FailureTarget only (1.31+)
    assert job_state(job).failed.startswith("job/dss-simulator-1 failed (BackoffLimitExceeded")


def test_only_waiting_reasons_that_cannot_clear_up_block_a_pod() -> None:
    deployment = r.get(CHART, "Deployment", "store")
    crash = r.pod(deployment, "a", main={"waiting": {"reason": "CrashLoopBackOff"}})
    pulling = r.pod(deployment, "b", main={"waiting": {"reason": "ImagePullBackOff"}})
    assert pod_blockers(crash) == pod_blockers(pulling) == []
    broken = r.pod(deployment, "c")
    message = "couldn't find key store-password in Secret dss/dss-database"
    broken["status"]["initContainerStatuses"][0]["state"] = {
        "waiting": {"reason": "CreateContainerConfigError", "message": message}
    }
    assert pod_blockers(broken) == [
        "pod/dss-store-c container migrate: CreateContainerConfigError: "
        "couldn't find key store-password in Secret dss/dss-database"
    ]


def test_pod_states_show_what_is_wrong_and_nothing_that_is_fine() -> None:
    job = r.get(CHART, "Job", "simulator-1")
    healthy = r.pod(r.get(CHART, "Deployment", "inventory"), "x")
    done = r.pod(job, "y", main={"terminated": {"exitCode": 0, "reason": "Completed"}})
    pending = r.pod(r.get(CHART, "StatefulSet", "postgres"), "0", main={"waiting": {}})
    del pending["status"]["containerStatuses"], pending["status"]["initContainerStatuses"]
    pending["status"]["conditions"][0] = {
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient memory.",
    }  # fmt: skip
    assert pod_states([healthy, done, pending]) == [
        "pod/dss-inventory-x: Running, 1/1 containers ready",
        "pod/dss-postgres-0: Pending, 0/1 containers ready",
        "  not scheduled: 0/1 nodes are available: 1 Insufficient memory.",
        "pod/dss-simulator-1-y: Pending, 0/1 containers ready",
    ]


def test_events_are_the_latest_ones_oldest_first() -> None:
    events = [
        r.event(
            "Pod", f"dss-store-{i}", "Normal", "Pulled", f"image {i}", f"2026-11-27T10:00:{i:02}Z"
        )
        for i in range(40)
    ]
    lines = recent_events(reversed(events), limit=3)
    assert lines == [
        "10:00:37 Normal Pulled pod/dss-store-37: image 37",
        "10:00:38 Normal Pulled pod/dss-store-38: image 38",
        "10:00:39 Normal Pulled pod/dss-store-39: image 39",
    ]


def test_log_tails_keep_the_last_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(100)) + "\n"
    assert log_tail("p", "c", text, lines=2) == [
        "--- pod/p container c: last 2 log lines ---",
        "line 98",
        "line 99",
    ]
    assert log_tail("p", "c", None) == ["--- pod/p container c: no log ---"]


def test_the_report_says_why_first_then_pods_events_and_logs() -> None:
    pod = r.pod(
        r.get(CHART, "Deployment", "store"), "z", main={"waiting": {"reason": "ErrImagePull"}}
    )
    report = failure_report(
        "timed out", [pod], [], {("dss-store-z", "store"): None, ("dss-store-z", "migrate"): "ok\n"}
    ).splitlines()
    assert report[0] == "smoke test FAILED: timed out"
    assert (
        report[report.index("== pods ==") + 1] == "pod/dss-store-z: Pending, 0/1 containers ready"
    )
    assert report[report.index("== events ==") + 1] == "(no events)"
    logs = report[report.index("== logs ==") + 1 :]
    assert logs == [
        "--- pod/dss-store-z container migrate: last 1 log lines ---",
        "ok",
        "--- pod/dss-store-z container store: no log ---",
    ]
