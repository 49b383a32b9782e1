"""One real simulator run against the session's services, shared by the smoke tests that need
the data a run leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from testkit.processes import ROOT, ServiceProcess
from tests.smoke.record import SCENARIO


@pytest.fixture(scope="session")
def finished_run(
    store_server: ServiceProcess, inventory_server: ServiceProcess, tmp_path_factory
) -> tuple[datetime, datetime]:
    """(started, finished) of a one-day run of the default scenario, in UTC."""
    folder = tmp_path_factory.mktemp("run")
    started = datetime.now(timezone.utc)
    env = {
        **os.environ,
        "STORE_URL": store_server.url,
        "INVENTORY_URL": inventory_server.url,
        "SIM_DATABASE_URL": f"sqlite:///{folder / 'sim.db'}",
    }
    command = [sys.executable, "-m", "customer_sim", "run", SCENARIO, "--days", "1",
               "--out", str(folder / "out")]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return started, datetime.now(timezone.utc)
