"""The generated database passwords survive `helm upgrade`: the Secret template looks up the
live Secret and keeps its values. A small local HTTP server answers the Kubernetes API requests
that Helm's lookup makes (discovery, then GET of the Secret), standing in for the cluster."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from testkit import helm

SECRET = "dss-database"
SECRET_PATH = f"/api/v1/namespaces/{helm.NAMESPACE}/secrets/{SECRET}"
LIVE_PASSWORDS = {
    "postgres-password": "test_password_postgres",
    "inventory-password": "test_password_inventory",
    "store-password": "test_password_store",
    "sim-password": "test_password_sim",
}


class FakeApiServer(BaseHTTPRequestHandler):
    """GET-only: version, core discovery, and the one Secret (404 for anything else)."""

    secret: dict | None = None
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?")[0]
        self.requests.append(path)
        if path == "/version":
            self.reply(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0"})
        elif path == "/api":
            self.reply(200, {"kind": "APIVersions", "versions": ["v1"]})
        elif path == "/apis":
            self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        elif path == "/api/v1":
            resource = {"name": "secrets", "singularName": "secret", "namespaced": True,
                        "kind": "Secret", "verbs": ["get", "list"]}  # fmt: skip
            self.reply(200, {"kind": "APIResourceList", "groupVersion": "v1",
                             "resources": [resource]})  # fmt: skip
        elif path == SECRET_PATH and self.secret is not None:
            self.reply(200, self.secret)
        else:
            self.reply(404, {"kind": "Status", "apiVersion": "v1", "code": 404,
                             "reason": "NotFound", "message": f"{path} not found"})  # fmt: skip

    def reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[str]:
    FakeApiServer.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApiServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def passwords(rendered: helm.Rendered) -> dict[str, str]:
    (secret,) = rendered.of_kind("Secret")
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def test_an_upgrade_keeps_the_live_secrets_passwords(api_server: str) -> None:
    FakeApiServer.secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET, "namespace": helm.NAMESPACE},
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in LIVE_PASSWORDS.items()},
    }
    upgraded = helm.render(revision=2, kube_apiserver=api_server)
    assert SECRET_PATH in FakeApiServer.requests
    assert passwords(upgraded) == LIVE_PASSWORDS
    (secret,) = upgraded.of_kind("Secret")
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_a_first_install_generates_new_passwords(api_server: str) -> None:
    FakeApiServer.secret = None
    first = passwords(helm.render(kube_apiserver=api_server))
    second = passwords(helm.render(kube_apiserver=api_server))
    assert SECRET_PATH in FakeApiServer.requests
    assert first.keys() == LIVE_PASSWORDS.keys()
    assert first != second and all(len(p) == 32 for p in first.values())
