"""A stand-in for the Kubernetes API server, enough for the smoke test's client: the list, get
and log requests it makes, and pod port-forwards (the websocket protocol ``v4.channel.k8s.io``)
to real local processes. The objects it serves are the chart's, rendered, with the statuses a
test gives them.

    with FakeKubernetes() as api:
        api.add(deployment, pod, ...)
        api.forward("dss-store-0", 8000, store_server.port)   # pod port -> a local port
        Cluster(None, None, kubeconfig=api.kubeconfig(tmp_path))
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

NAMESPACE = "dss"
CONTEXT = "kind-demand-supply-sim"
# Kind -> (API path prefix, plural)
KINDS = {
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "Deployment": ("/apis/apps/v1", "deployments"),
    "Job": ("/apis/batch/v1", "jobs"),
    "Pod": ("/api/v1", "pods"),
    "Service": ("/api/v1", "services"),
    "Event": ("/api/v1", "events"),
}


def matches(labels: dict[str, str], selector: str | None) -> bool:
    """Equality-based label selectors, the only kind the smoke test uses."""
    if not selector:
        return True
    return all(labels.get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",")))


class FakeKubernetes:
    def __init__(self) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        self.logs: dict[tuple[str, str], str] = {}
        self.forwards: dict[tuple[str, int], int] = {}
        self.requests: list[str] = []

    # -- what the test sets up ------------------------------------------------------------------

    def add(self, *objects: dict[str, Any]) -> None:
        for obj in objects:
            obj["metadata"].setdefault("namespace", NAMESPACE)
            self.objects[obj["kind"]].append(obj)

    def forward(self, pod: str, pod_port: int, local_port: int) -> None:
        self.forwards[(pod, pod_port)] = local_port

    def kubeconfig(self, folder: Path) -> Path:
        path = folder / "kubeconfig"
        cluster = {"name": "fake", "cluster": {"server": self.url}}
        context = {
            "name": CONTEXT,
            "context": {"cluster": "fake", "user": "fake", "namespace": NAMESPACE},
        }
        config = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster],
                  "users": [{"name": "fake", "user": {"token": "test-token"}}],
                  "contexts": [context], "current-context": CONTEXT}  # fmt: skip
        path.write_text(yaml.safe_dump(config))
        return path

    # -- the server -----------------------------------------------------------------------------

    def __enter__(self) -> FakeKubernetes:
        self.server = serve(
            self._port_forward,
            "127.0.0.1",
            0,
            subprotocols=["v4.channel.k8s.io"],
            process_request=self._rest,
            compression=None,
            close_timeout=1,
        )
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()

    def _rest(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlparse(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append(request.path)
        parts = url.path.strip("/").split("/")
        if parts[-1] == "portforward":
            return None  # the websocket handshake goes on
        for kind, (prefix, plural) in KINDS.items():
            base = f"{prefix}/namespaces/{NAMESPACE}/{plural}"
            if url.path == base:
                items = [
                    o
                    for o in self.objects[kind]
                    if matches(o["metadata"].get("labels") or {}, query.get("labelSelector"))
                ]
                return _json(200, {"kind": f"{kind}List", "apiVersion": "v1",
                                   "metadata": {}, "items": items})  # fmt: skip
            if url.path.startswith(base + "/"):
                name, *rest = url.path[len(base) + 1 :].split("/")
                if rest == ["log"]:
                    text = self.logs.get((name, query.get("container", "")))
                    if text is None:
                        return _json(404, _status(404, f"no log for {name}"))
                    lines = text.splitlines()[-int(query.get("tailLines", 10**9)) :]
                    return _text(200, "\n".join(lines) + "\n")
                found = [o for o in self.objects[kind] if o["metadata"]["name"] == name]
                return _json(200, found[0]) if found else _json(404, _status(404, name))
        return _json(404, _status(404, url.path))

    def _port_forward(self, connection: ServerConnection) -> None:
        """Kubernetes' port-forward channels: for each port a data channel (0) and an error
        channel (1), each opened with a frame holding the port (little-endian)."""
        url = urlparse(connection.request.path)
        pod = url.path.strip("/").split("/")[-2]
        port = int(parse_qs(url.query)["ports"][0])
        for channel in (0, 1):
            connection.send(bytes([channel, port & 0xFF, port >> 8]))
        local = self.forwards.get((pod, port))
        if local is None:
            connection.send(b"\x01" + f"pod {pod} has no port {port}".encode())
            connection.close()
            return
        upstream = socket.create_connection(("127.0.0.1", local))

        def pump_back() -> None:
            while data := upstream.recv(65536):
                connection.send(b"\x00" + data)
            connection.close()

        threading.Thread(target=pump_back, daemon=True).start()
        try:
            for message in connection:
                if isinstance(message, bytes) and message[:1] == b"\x00":
                    upstream.sendall(message[1:])
        except ConnectionClosed:
            pass
        finally:
            upstream.close()


def _status(code: int, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": "NotFound", "code": code}  # fmt: skip


def _json(code: int, body: dict[str, Any]) -> Response:
    data = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                       ("Connection", "close")])  # fmt: skip
    return Response(code, "OK" if code == 200 else "Not Found", headers, data)


def _text(code: int, text: str) -> Response:
    data = text.encode()
    headers = Headers([("Content-Type", "text/plain"), ("Content-Length", str(len(data))),
                       ("Connection", "close")])  # fmt: skip
    return Response(code, "OK", headers, data)
