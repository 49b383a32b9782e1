"""Record what the real services answer to the smoke test's questions, for its offline tests.

    python -m tests.smoke.record     # writes tests/smoke/answers/*.json

Starts both services on fresh PostgreSQL databases (as in the cluster), runs the simulator's
default scenario for one day against them, then asks exactly what the smoke test asks (every
request goes through a recording ``Fetch``) and saves the answers. Also records the store's
``/readyz`` while the inventory is down. Re-record when the services' APIs change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from servicekit.migrations import upgrade
from testkit import database
from testkit.processes import ROOT, ServiceProcess
from testkit.smoke.data import Answer, Fetch, check_ready, check_run_data

ANSWERS = Path(__file__).parent / "answers"
SCENARIO = "customer_sim/scenarios/default.yaml"


def http_fetch(base_url: str) -> Fetch:
    """A ``Fetch`` over plain HTTP (the smoke test's is over a Kubernetes port-forward)."""

    def fetch(path: str) -> Answer:
        response = httpx.get(base_url + path, timeout=10)
        return Answer(response.status_code, response.json())

    return fetch


class Recording:
    """Wraps a ``Fetch`` and keeps every answer by path."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.answers: dict[str, dict[str, Any]] = {}

    def __call__(self, path: str) -> Answer:
        answer = self.fetch(path)
        self.answers[path] = {"status": answer.status, "body": answer.body}
        return answer


def migrated(admin_url: str, package: str) -> str:
    url = database.create_database(admin_url, f"dss_record_{package}")
    upgrade(ROOT / package / "migrations", url)
    return url


def main() -> int:
    admin_url = database.find_server()
    urls = {p: migrated(admin_url, p) for p in ("inventory_service", "store_service")}
    work = Path(tempfile.mkdtemp(prefix="smoke-record-"))
    try:
        inventory = ServiceProcess(
            "inventory_service", {"INVENTORY_DATABASE_URL": urls["inventory_service"]}
        ).start()
        store = ServiceProcess(
            "store_service",
            {"STORE_DATABASE_URL": urls["store_service"], "INVENTORY_URL": inventory.url},
        ).start()
        started = datetime.now(timezone.utc)
        env = {
            **os.environ,
            "STORE_URL": store.url,
            "INVENTORY_URL": inventory.url,
            "SIM_DATABASE_URL": f"sqlite:///{work / 'sim.db'}",
            "LOG_FORMAT": "json",
        }
        command = [sys.executable, "-m", "customer_sim", "run", SCENARIO, "--days", "1",
                   "--out", str(work / "out")]  # fmt: skip
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        finished = datetime.now(timezone.utc)

        store_answers, inventory_answers = Recording(http_fetch(store.url)), Recording(
            http_fetch(inventory.url)
        )
        outcome = check_ready("store", store_answers, needs=("inventory",))
        outcome.extend(check_ready("inventory", inventory_answers))
        outcome.extend(check_run_data(store_answers, inventory_answers, started, finished))
        if outcome.problems:
            raise SystemExit("the real services fail the checks:\n" + "\n".join(outcome.problems))
        write(
            "default-1-day.json",
            {
                "window": {"started": started.isoformat(), "finished": finished.isoformat()},
                "store": store_answers.answers,
                "inventory": inventory_answers.answers,
            },
        )

        inventory.stop()
        store_alone = Recording(http_fetch(store.url))
        check_ready("store", store_alone, needs=("inventory",))
        write("store-without-inventory.json", {"store": store_alone.answers})
        store.stop()
    finally:
        for url in urls.values():
            database.drop_database(admin_url, url)
    print("\n".join(outcome.lines))
    return 0


def write(name: str, recorded: dict[str, Any]) -> None:
    recorded = {"recorded_with": "python -m tests.smoke.record", **recorded}
    ANSWERS.mkdir(exist_ok=True)
    (ANSWERS / name).write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {ANSWERS / name}")


if __name__ == "__main__":
    raise SystemExit(main())
