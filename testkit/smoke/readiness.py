"""What "ready" means for each kind of object the release creates, read from the object as the
API server returns it (the JSON form: ``status.readyReplicas``, ``status.conditions``...).

Each function answers with a `State`: done (ready, or complete for a Job), failed (waiting
longer cannot help, with the reason), or neither (keep waiting), and a short summary for the
progress lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Container waiting reasons that do not clear up by waiting: the pod spec or its references are
# wrong. (Image pulls and crash loops are retried by the kubelet and are reported at the end.)
HOPELESS_WAITING_REASONS = {
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "ErrImageNeverPull",
}


@dataclass(frozen=True)
class State:
    done: bool
    summary: str
    failed: str | None = None


def _name(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}/{obj['metadata']['name']}"


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition["type"] == kind:
            return condition
    return None


def _observed(obj: dict[str, Any]) -> bool:
    """The controller has seen the latest spec (else its status describes an older one)."""
    status = obj.get("status") or {}
    return status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 1)


def workload_state(obj: dict[str, Any]) -> State:
    """A Deployment or StatefulSet is ready when the controller has seen its spec and every
    wanted replica runs that spec and is ready (and available), with no old pods left."""
    status = obj.get("status") or {}
    wanted = obj["spec"].get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    summary = f"{ready}/{wanted} ready"
    if obj["kind"] == "Deployment":
        progressing = _condition(obj, "Progressing")
        if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
            return State(False, summary, f"{_name(obj)}: {progressing.get('message', '')}")
    counts = [
        status.get(key, 0)
        for key in ("replicas", "readyReplicas", "updatedReplicas", "availableReplicas")
    ]
    done = _observed(obj) and counts == [wanted] * 4
    if obj["kind"] == "StatefulSet":
        done = done and status.get("currentRevision") == status.get("updateRevision")
    if not done and ready == wanted:
        summary += " (rolling out)"
    return State(done, summary)


def _time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def job_state(job: dict[str, Any]) -> State:
    """A Job is done when its Complete condition is true; it failed when Failed (or, since
    Kubernetes 1.31, FailureTarget) is true."""
    status = job.get("status") or {}
    for failure in ("Failed", "FailureTarget"):
        condition = _condition(job, failure)
        if condition and condition["status"] == "True":
            reason = f"{condition.get('reason', failure)}: {condition.get('message', '')}"
            return State(False, "failed", f"{_name(job)} failed ({reason.rstrip(': ')})")
    complete = _condition(job, "Complete")
    if complete and complete["status"] == "True":
        started, ended = _time(status.get("startTime")), _time(status.get("completionTime"))
        took = f" in {int((ended - started).total_seconds())}s" if started and ended else ""
        return State(True, f"complete{took}")
    active, failed = status.get("active", 0), status.get("failed", 0)
    summary = f"running ({active} active" + (f", {failed} failed pods)" if failed else ")")
    return State(False, summary if active or failed else "waiting for its pod")


def pod_blockers(pod: dict[str, Any]) -> list[str]:
    """Why a pod's containers cannot start, when waiting will not help."""
    status = pod.get("status") or {}
    blockers = []
    for container in (status.get("initContainerStatuses") or []) + (
        status.get("containerStatuses") or []
    ):
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in HOPELESS_WAITING_REASONS:
            blockers.append(
                f"pod/{pod['metadata']['name']} container {container['name']}: "
                f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
            )
    return blockers
