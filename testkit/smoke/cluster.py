"""The smoke test's view of a cluster, through the Python ``kubernetes`` client: the release's
objects as JSON, pod logs, and HTTP to a Service through the client's own port-forward (a
socket to the pod, no local port, no kubectl)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from kubernetes import client, config
from kubernetes.stream import portforward

from testkit.smoke.data import Answer, Fetch

INSTANCE = "app.kubernetes.io/instance"
COMPONENT = "app.kubernetes.io/component"


class ClusterError(Exception):
    """The cluster cannot answer what the smoke test needs (no such Service, no ready pod)."""


class Cluster:
    def __init__(
        self, context: str | None, namespace: str | None, kubeconfig: str | None = None
    ) -> None:
        config.load_kube_config(config_file=kubeconfig, context=context)
        _contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
        chosen = active
        if context is not None:
            chosen = next(c for c in _contexts if c["name"] == context)
        self.context = chosen["name"]
        self.namespace = namespace or chosen["context"].get("namespace") or "default"
        self.api = client.ApiClient()
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.batch = client.BatchV1Api(self.api)

    def _json(self, items: list[Any], kind: str) -> list[dict[str, Any]]:
        """Objects in the API's JSON form (camelCase), the form the pure checks read."""
        objects = [self.api.sanitize_for_serialization(item) for item in items]
        for obj in objects:
            obj["kind"] = kind
        return objects

    def workloads(self, release: str) -> list[dict[str, Any]]:
        selector = f"{INSTANCE}={release}"
        statefulsets = self.apps.list_namespaced_stateful_set(
            self.namespace, label_selector=selector
        )
        deployments = self.apps.list_namespaced_deployment(self.namespace, label_selector=selector)
        return self._json(statefulsets.items, "StatefulSet") + self._json(
            deployments.items, "Deployment"
        )

    def simulator_jobs(self, release: str) -> list[dict[str, Any]]:
        selector = f"{INSTANCE}={release},{COMPONENT}=simulator"
        jobs = self.batch.list_namespaced_job(self.namespace, label_selector=selector)
        return self._json(jobs.items, "Job")

    def job(self, name: str) -> dict[str, Any] | None:
        try:
            return self._json([self.batch.read_namespaced_job(name, self.namespace)], "Job")[0]
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise

    def pods(self, selector: str) -> list[dict[str, Any]]:
        pods = self.core.list_namespaced_pod(self.namespace, label_selector=selector)
        return self._json(pods.items, "Pod")

    def events(self) -> list[dict[str, Any]]:
        return self._json(self.core.list_namespaced_event(self.namespace).items, "Event")

    def logs(self, pods: list[dict[str, Any]], tail: int) -> dict[tuple[str, str], str | None]:
        """The last ``tail`` lines of every container of ``pods``, init containers too."""
        logs: dict[tuple[str, str], str | None] = {}
        for pod in pods:
            spec = pod["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                key = (pod["metadata"]["name"], container["name"])
                try:
                    logs[key] = self.core.read_namespaced_pod_log(
                        key[0], self.namespace, container=key[1], tail_lines=tail
                    )
                except client.ApiException as error:
                    logs[key] = f"(log unavailable: {error.status} {error.reason})"
        return logs

    def service_fetch(self, release: str, component: str) -> Fetch:
        """HTTP GETs to the Service of ``component``, through a port-forward to one of its
        ready pods (what `kubectl port-forward svc/...` does)."""
        services = self.core.list_namespaced_service(
            self.namespace, label_selector=f"{INSTANCE}={release},{COMPONENT}={component}"
        ).items
        if len(services) != 1:
            raise ClusterError(f"{len(services)} Services for {component} of release {release}")
        service = services[0]
        selector = ",".join(f"{k}={v}" for k, v in service.spec.selector.items())
        target = service.spec.ports[0].target_port

        def fetch(path: str) -> Answer:
            pod = self._ready_pod(selector, component)
            port = self._container_port(pod, target)
            return self._get(pod["metadata"]["name"], port, path)

        return fetch

    def _ready_pod(self, selector: str, component: str) -> dict[str, Any]:
        for pod in self.pods(selector):
            conditions = (pod.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                return pod
        raise ClusterError(f"no ready pod of {component} ({selector})")

    @staticmethod
    def _container_port(pod: dict[str, Any], target: int | str) -> int:
        if isinstance(target, int) or str(target).isdigit():
            return int(target)
        for container in pod["spec"]["containers"]:
            for port in container.get("ports", []):
                if port.get("name") == target:
                    return port["containerPort"]
        raise ClusterError(f"pod/{pod['metadata']['name']} has no port named {target}")

    def _get(self, pod: str, port: int, path: str) -> Answer:
        forward = portforward(
            self.core.connect_get_namespaced_pod_portforward, pod, self.namespace, ports=str(port)
        )
        try:
            sock = forward.socket(port)
            sock.setblocking(True)
            sock.settimeout(30)
            connection = http.client.HTTPConnection("localhost", port)
            connection.sock = sock  # HTTP over the port-forward's socket
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read()
            error = forward.error(port)
            if error:
                raise ClusterError(f"port-forward to pod/{pod}:{port}: {error}")
            return Answer(response.status, json.loads(body) if body else None)
        finally:
            forward.close()
