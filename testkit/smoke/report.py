"""The failure report: what someone needs to see to know why the release is not working, from
the objects as the API server returns them (the JSON form) and the pods' logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

LOG_LINES = 30
EVENTS = 30


def _container_state(status: dict[str, Any]) -> str:
    state = status.get("state") or {}
    if "running" in state and state["running"] is not None:
        text = "running" + ("" if status.get("ready") else ", not ready")
    elif state.get("waiting"):
        waiting = state["waiting"]
        text = f"waiting ({waiting.get('reason', '?')})"
        if waiting.get("message"):
            text += f": {waiting['message']}"
    elif state.get("terminated"):
        ended = state["terminated"]
        text = f"terminated ({ended.get('reason', '?')}, exit {ended.get('exitCode')})"
    else:
        text = "not started"
    restarts = status.get("restartCount", 0)
    if restarts:
        last = (status.get("lastState") or {}).get("terminated") or {}
        text += f"; {restarts} restarts"
        if last:
            text += f", last exit {last.get('exitCode')} ({last.get('reason', '?')})"
    return text


def pod_states(pods: Iterable[dict[str, Any]]) -> list[str]:
    """One line per pod (phase, ready containers), then one per container that is not simply
    running and ready, init containers first."""
    lines = []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        status = pod.get("status") or {}
        containers = status.get("containerStatuses") or []
        ready = sum(1 for c in containers if c.get("ready"))
        lines.append(
            f"pod/{pod['metadata']['name']}: {status.get('phase', 'Unknown')}, "
            f"{ready}/{len(pod['spec']['containers'])} containers ready"
        )
        for condition in status.get("conditions") or []:
            if condition["type"] == "PodScheduled" and condition["status"] != "True":
                lines.append(f"  not scheduled: {condition.get('message', '')}")
        for kind, key in (("init ", "initContainerStatuses"), ("", "containerStatuses")):
            for container in status.get(key) or []:
                state = _container_state(container)
                if state != "running" and not state.startswith("terminated (Completed, exit 0)"):
                    lines.append(f"  {kind}container {container['name']}: {state}")
    return lines


def _when(event: dict[str, Any]) -> datetime:
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        value = event.get(key) or (event.get("metadata") or {}).get("creationTimestamp")
        if value:
            return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return datetime.min


def recent_events(events: Iterable[dict[str, Any]], limit: int = EVENTS) -> list[str]:
    """The last ``limit`` events, oldest first: time, type, reason, object, message."""
    ordered = sorted(events, key=_when)[-limit:]
    lines = []
    for event in ordered:
        involved = event.get("involvedObject") or {}
        count = event.get("count") or 1
        lines.append(
            f"{_when(event):%H:%M:%S} {event.get('type', '')} {event.get('reason', '')} "
            f"{involved.get('kind', '').lower()}/{involved.get('name', '')}: "
            f"{(event.get('message') or '').strip()}" + (f" (x{count})" if count > 1 else "")
        )
    return lines


def log_tail(pod: str, container: str, text: str | None, lines: int = LOG_LINES) -> list[str]:
    tail = (text or "").rstrip("\n").splitlines()[-lines:]
    heading = f"--- pod/{pod} container {container}: last {len(tail)} log lines ---"
    return [heading, *tail] if tail else [f"--- pod/{pod} container {container}: no log ---"]


def failure_report(
    reason: str,
    pods: list[dict[str, Any]],
    events: list[dict[str, Any]],
    logs: dict[tuple[str, str], str | None],
) -> str:
    """Why the smoke test failed, then the pods' states, the recent events and the last log
    lines of every container (``logs`` maps (pod, container) to its log, None if unreadable)."""
    sections = [
        f"smoke test FAILED: {reason}",
        "",
        "== pods ==",
        *(pod_states(pods) or ["(no pods)"]),
        "",
        "== events ==",
        *(recent_events(events) or ["(no events)"]),
        "",
        "== logs ==",
    ]
    for (pod, container), text in sorted(logs.items()):
        sections += log_tail(pod, container, text)
    return "\n".join(sections)
