"""`serve --reload`, as the dev loop runs it in a pod: the service restarts when a file of its
own package or of servicekit changes (Tilt syncs both into /app), not only its own package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from testkit.processes import ROOT, ServiceProcess, free_port

pytestmark = pytest.mark.slow


def wait_until(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("edited", ["servicekit/app.py", "inventory_service/api/app.py"])
def test_an_edit_to_servicekit_or_the_package_reloads_the_server(tmp_path: Path, edited: str):
    # A copy of what the image holds in /app, so that the edit touches no file of the checkout.
    app = tmp_path / "app"
    for folder in ("servicekit", "inventory_service"):
        shutil.copytree(ROOT / folder, app / folder, ignore=shutil.ignore_patterns("tests"))
    shutil.copy(ROOT / "VERSION", app / "VERSION")
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(app),
        "INVENTORY_DATABASE_URL": f"sqlite:///{tmp_path / 'inventory.db'}",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "text",
    }
    command = [sys.executable, "-m", "inventory_service", "serve", "--port", str(port), "--reload"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=app, env=env, stdout=output, stderr=output)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: ready(url)), log.read_text()
        with open(app / edited, "a", encoding="utf-8") as source:
            source.write("\n# edited while the server runs\n")
        assert wait_until(lambda: "Reloading" in log.read_text()), log.read_text()
        assert wait_until(lambda: ready(url)), log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize("extra_args", [[], ["--reload"]])
def test_one_worker_serves_with_the_charts_metrics_directory(tmp_path: Path, extra_args):
    """The chart sets PROMETHEUS_MULTIPROC_DIR to a folder of the pod's empty /tmp for any
    worker count (the dev values add --reload): the service creates it and serves."""
    metrics_dir = tmp_path / "tmp" / "metrics"  # does not exist yet, as in a new pod
    env = {
        "INVENTORY_DATABASE_URL": f"sqlite:///{tmp_path / 'inventory.db'}",
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with ServiceProcess("inventory_service", env, extra_args=extra_args) as service:
        assert httpx.get(f"{service.url}/locations", timeout=5).status_code == 200
        metrics = httpx.get(f"{service.url}/metrics", timeout=5)
    assert metrics.status_code == 200 and "http_requests_total" in metrics.text
    assert metrics_dir.is_dir()
