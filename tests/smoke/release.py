"""The release's objects as the API server would return them: the chart rendered as
`helm install dss` would apply it, with the status fields the controllers and the kubelet
write (the shapes of the Kubernetes 1.30+ API)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from testkit import helm

CREATED = "2026-11-27T10:00:00Z"


def rfc3339(moment: datetime) -> str:
    """The API's timestamps: UTC, whole seconds."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rendered() -> helm.Rendered:
    return helm.render()


def get(release: helm.Rendered, kind: str, suffix: str) -> dict[str, Any]:
    obj = copy.deepcopy(release.get(kind, f"{helm.RELEASE}-{suffix}"))
    obj["metadata"].update(generation=1, creationTimestamp=CREATED, uid=f"uid-{kind}-{suffix}")
    return obj


def ready(workload: dict[str, Any]) -> dict[str, Any]:
    """A Deployment or StatefulSet whose every replica runs the current spec and is ready."""
    n = workload["spec"].get("replicas", 1)
    workload["status"] = {"observedGeneration": 1, "replicas": n, "readyReplicas": n,
                          "updatedReplicas": n, "availableReplicas": n}  # fmt: skip
    if workload["kind"] == "StatefulSet":
        name = workload["metadata"]["name"]
        revision = f"{name}-5d8f7c9b6"
        workload["status"].update(
            currentRevision=revision, updateRevision=revision, currentReplicas=n
        )
    else:
        workload["status"]["conditions"] = [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ]
    return workload


def starting(workload: dict[str, Any]) -> dict[str, Any]:
    """Just created: the pods exist but none is ready yet."""
    n = workload["spec"].get("replicas", 1)
    workload["status"] = {"observedGeneration": 1, "replicas": n, "updatedReplicas": n}
    if workload["kind"] == "StatefulSet":
        name = workload["metadata"]["name"]
        revision = f"{name}-5d8f7c9b6"
        workload["status"].update(currentRevision=revision, updateRevision=revision)
    return workload


def pod(
    workload: dict[str, Any], suffix: str, *, main: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A pod of ``workload``; ``main`` replaces the state of its containers (default: running
    and ready). Init containers have completed."""
    template = copy.deepcopy(workload["spec"]["template"])
    name = f"{workload['metadata']['name']}-{suffix}"
    labels = dict(template["metadata"].get("labels") or {})
    if workload["kind"] == "Job":
        labels["job-name"] = workload["metadata"]["name"]
    state = main or {"running": {"startedAt": CREATED}}
    is_ready = "running" in state
    spec = template["spec"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": labels,
            "creationTimestamp": CREATED,
            "uid": f"uid-{name}",
        },
        "spec": spec,
        "status": {
            "phase": "Running" if is_ready else "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True" if is_ready else "False"},
            ],
            "initContainerStatuses": [
                {"name": c["name"], "image": c["image"], "imageID": "", "ready": True,
                 "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}  # fmt: skip
                for c in spec.get("initContainers", [])
            ],
            "containerStatuses": [
                {"name": c["name"], "image": c["image"], "imageID": "", "ready": is_ready,
                 "restartCount": 0, "state": copy.deepcopy(state)}  # fmt: skip
                for c in spec["containers"]
            ],
        },
    }


def job_complete(job: dict[str, Any], started: datetime, finished: datetime) -> dict[str, Any]:
    job["status"] = {
        "startTime": rfc3339(started),
        "completionTime": rfc3339(finished + timedelta(seconds=1)),
        "succeeded": 1,
        "ready": 0,
        "terminating": 0,
        "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached"},
            {"type": "Complete", "status": "True", "reason": "CompletionsReached"},
        ],
    }
    return job


def job_failed(job: dict[str, Any], started: datetime) -> dict[str, Any]:
    message = "Job has reached the specified backoff limit"
    job["status"] = {
        "startTime": rfc3339(started),
        "failed": 2,
        "ready": 0,
        "terminating": 0,
        "conditions": [
            {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
             "message": message},  # fmt: skip
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": message},  # fmt: skip
        ],
    }
    return job


def job_running(job: dict[str, Any], started: datetime) -> dict[str, Any]:
    job["status"] = {"startTime": rfc3339(started), "active": 1, "ready": 1, "terminating": 0}
    return job


def event(kind: str, name: str, type_: str, reason: str, message: str, at: str, count: int = 1):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}", "creationTimestamp": at},
        "involvedObject": {"kind": kind, "name": name, "namespace": "dss"},
        "type": type_,
        "reason": reason,
        "message": message,
        "count": count,
        "firstTimestamp": at,
        "lastTimestamp": at,
        "source": {"component": "kubelet"},
    }
