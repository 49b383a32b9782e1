"""The service as users start it: ``python -m inventory_service serve`` under uvicorn."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from inventory_service.tests.conftest import at, iso
from servicekit.migrations import alembic_config, upgrade
from testkit import database
from testkit.processes import ROOT, ServiceProcess


def exercise(base_url: str) -> None:
    """A write, an issue, and reads ``?at=`` before and after the delivery it triggered."""
    policy = {"type": "rQ", "reorder_point": 0, "order_quantity": 10}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        put = client.put(
            "/locations/e2e/items/milk",
            json={"on_hand": 4, "policy": policy, "lead_time_minutes": 60, "at": iso(at(0))},
        )
        assert put.status_code in (200, 201)
        body = {"reference": "e2e-1", "at": iso(at(1)), "lines": [{"sku": "milk", "quantity": 6}]}
        answer = client.post("/locations/e2e/issues", json=body)
        assert answer.status_code in (200, 201)
        assert answer.json()["lines"] == [{"sku": "milk", "requested": 6, "issued": 4}]
        before = client.get("/locations/e2e/items/milk", params={"at": iso(at(60))}).json()
        assert (before["on_hand"], before["on_order"]) == (0, 10)
        # The read that triggers the receipt sees it (its read snapshot is not stale).
        after = client.get("/locations/e2e/items", params={"at": iso(at(61))}).json()["data"]
        assert (after[0]["on_hand"], after[0]["on_order"]) == (10, 0)
        assert client.get("/docs").status_code == 200


@pytest.mark.slow
def test_serves_on_the_sqlite_default_with_an_empty_environment(tmp_path: Path):
    process = ServiceProcess("inventory_service", {}, cwd=tmp_path, inherit_env=False)
    with process:
        exercise(process.url)
    assert (tmp_path / "data" / "inventory.db").is_file()


@pytest.mark.slow
def test_a_dotenv_file_configures_the_service_and_the_environment_wins(tmp_path: Path):
    """The workflow `.env.example` promises: copy it to `.env`, edit, run."""
    (tmp_path / ".env").write_text(
        "# local overrides\nINVENTORY_DATABASE_URL=sqlite:///from-dotenv.db\nLOG_FORMAT=json\n"
    )
    with ServiceProcess("inventory_service", {}, cwd=tmp_path, inherit_env=False) as process:
        exercise(process.url)
    assert (tmp_path / "from-dotenv.db").is_file()
    assert not (tmp_path / "data").exists()

    real = {"INVENTORY_DATABASE_URL": "sqlite:///from-environment.db"}
    with ServiceProcess("inventory_service", real, cwd=tmp_path, inherit_env=False):
        pass
    assert (tmp_path / "from-environment.db").is_file()


@pytest.mark.slow
def test_serves_against_postgresql(inventory_server):
    exercise(inventory_server.url)


def test_migrations_go_up_and_down_on_sqlite(tmp_path: Path):
    from alembic import command

    config = alembic_config(ROOT / "inventory_service" / "migrations", f"sqlite:///{tmp_path}/m.db")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


@pytest.mark.slow
def test_several_workers_share_the_sqlite_default_and_report_metrics_together(tmp_path: Path):
    """WEB_CONCURRENCY=2: two processes serve (each writes its metrics to the shared
    directory), writes from both land in the one SQLite file, and /metrics, whichever worker
    answers, counts every request."""
    metrics = tmp_path / "metrics"
    env = {"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    with ServiceProcess("inventory_service", env, cwd=tmp_path, inherit_env=False) as process:
        exercise(process.url)
        for _ in range(20):  # a connection each: the two workers take turns accepting
            assert httpx.get(f"{process.url}/healthz").status_code == 200
        workers = {path.stem.rsplit("_", 1)[1] for path in metrics.glob("counter_*.db")}
        assert len(workers) == 2
        for _ in range(4):  # asked on new connections too: every answer adds up both
            text = httpx.get(f"{process.url}/metrics").text
            assert 'http_requests_total{method="GET",route="/healthz",status="200"} 20.0' in text
            assert 'route="/locations/{location}/issues",status="201"} 1.0' in text


@pytest.fixture
def fresh_inventory_database(postgres_admin_url: str):
    """A database of this test's own: its connections are the ones counted."""
    url = database.create_database(postgres_admin_url, "dss_test_pool")
    upgrade(ROOT / "inventory_service" / "migrations", url)
    yield url
    database.drop_database(postgres_admin_url, url)


@pytest.mark.slow
def test_workers_share_the_services_pool_of_connections(
    fresh_inventory_database: str, postgres_admin_url: str, tmp_path: Path
):
    """``serve --workers 2`` with a pool of 4: under a load that keeps every connection busy
    (16 clients issuing at one location, whose lock queues them), each worker holds 2
    connections at most (it names them by its pid), where a pool of 4 per worker would fill."""
    env = {"INVENTORY_DATABASE_URL": fresh_inventory_database, "INVENTORY_DB_POOL_SIZE": "4"}
    service = ServiceProcess(
        "inventory_service", env, log_path=tmp_path / "inventory.log", extra_args=["--workers", "2"]
    )
    name = fresh_inventory_database.rsplit("/", 1)[1]
    most: dict[str, int] = {}  # the most connections seen at once, per application_name
    stop = threading.Event()

    def count_connections() -> None:
        query = (
            "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = %s"
            " GROUP BY application_name"
        )
        with psycopg.connect(database.libpq_dsn(postgres_admin_url), autocommit=True) as admin:
            while not stop.is_set():
                for application, count in admin.execute(query, (name,)).fetchall():
                    most[application] = max(count, most.get(application, 0))
                time.sleep(0.01)

    def issue_for(seconds: float, client_number: int) -> set[int]:
        statuses, deadline, n = set(), time.monotonic() + seconds, 0
        with httpx.Client(base_url=service.url, timeout=30) as client:
            while time.monotonic() < deadline:
                n += 1
                body = {"reference": f"pool-{client_number}-{n}", "at": iso(at(1)),
                        "lines": [{"sku": "milk", "quantity": 1}]}  # fmt: skip
                statuses.add(client.post("/locations/pool/issues", json=body).status_code)
        return statuses

    with service:
        put = httpx.put(
            f"{service.url}/locations/pool/items/milk",
            json={"on_hand": 1_000_000, "at": iso(at(0))},
            timeout=10,
        )
        assert put.status_code == 201
        counter = threading.Thread(target=count_connections)
        counter.start()
        try:
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(issue_for, [3.0] * 16, range(16)))
        finally:
            stop.set()
            counter.join()
    assert set().union(*answers) == {201}
    workers = {app: count for app, count in most.items() if app.startswith("inventory_service")}
    assert 1 <= len(workers) <= 2, most
    assert max(workers.values()) == 2, most  # a worker under load fills its share, no more
