"""The services as users start them: ``python -m ... serve`` under uvicorn, side by side, on
the SQLite default with an empty environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from servicekit.migrations import alembic_config
from store_service.tests.conftest import MIGRATIONS
from testkit.processes import ROOT, ServiceProcess


@pytest.mark.slow
def test_both_services_on_the_sqlite_default(tmp_path: Path):
    (tmp_path / "inventory").mkdir()
    (tmp_path / "store").mkdir()
    inventory = ServiceProcess(
        "inventory_service", {}, cwd=tmp_path / "inventory", inherit_env=False
    )
    with inventory:
        store = ServiceProcess(
            "store_service",
            {"INVENTORY_URL": inventory.url},
            cwd=tmp_path / "store",
            inherit_env=False,
        )
        with store, httpx.Client(base_url=store.url, timeout=30) as client:
            assert client.get("/readyz").json()["checks"] == {"database": "ok", "inventory": "ok"}
            client.post("/stores", json={"id": "s1", "name": "Local"})
            client.put(
                "/stores/s1/products/milk", json={"name": "Milk", "category": "d", "price": 0.1}
            )
            httpx.put(f"{inventory.url}/locations/s1/items/milk", json={"on_hand": 2})
            cart = client.post("/stores/s1/carts").json()["id"]
            client.put(f"/carts/{cart}/items/milk", json={"quantity": 3})
            order = client.post(f"/carts/{cart}/checkout").json()
            assert (order["units_fulfilled"], order["units_lost"], order["total"]) == (2, 1, 0.2)
            assert client.get("/stores/s1/sales/daily").json()[0]["revenue"] == 0.2
            assert client.get("/stores/s1/reconciliation").json()["balanced"]
            assert client.get("/docs").status_code == 200
    assert (tmp_path / "store" / "data" / "store.db").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("level, per_request_lines", [("INFO", False), ("DEBUG", True)])
def test_calls_to_the_inventory_are_logged_only_at_debug(tmp_path: Path, level, per_request_lines):
    """INFO is a quiet log: thousands of checkouts must not write thousands of lines."""
    inventory = ServiceProcess("inventory_service", {}, cwd=tmp_path, inherit_env=False)
    log = tmp_path / "store.log"
    with inventory:
        env = {"INVENTORY_URL": inventory.url, "LOG_LEVEL": level}
        store = ServiceProcess("store_service", env, cwd=tmp_path, inherit_env=False, log_path=log)
        with store, httpx.Client(base_url=store.url, timeout=30) as client:
            client.post("/stores", json={"id": "s1", "name": "Local"})
            client.put("/stores/s1/products/tea", json={"name": "T", "category": "d", "price": 1})
            httpx.put(f"{inventory.url}/locations/s1/items/tea", json={"on_hand": 5})
            for _ in range(3):
                assert client.get("/stores/s1/products/tea").json()["available"] == 5
    assert ("inventory GET /locations/s1/items?" in log.read_text()) is per_request_lines


def test_migrations_go_up_and_down_on_sqlite(tmp_path: Path):
    from alembic import command

    config = alembic_config(MIGRATIONS, f"sqlite:///{tmp_path}/m.db")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


@pytest.mark.parametrize(
    "variable, value", [("INVENTORY_URL", "localhost:18002"), ("STORE_DATABASE_URL", "foo://x")]
)
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, variable, value):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "store_service", "serve"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"store_service: error: {variable}=")
