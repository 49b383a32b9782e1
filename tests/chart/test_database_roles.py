"""Least privilege, on a real PostgreSQL: the chart's own init script creates one role and one
database per part; each part migrates and serves as its own role, and no role can reach
another part's database (so the store cannot read or write the inventory's tables, nor the
other way round)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from servicekit.migrations import upgrade
from testkit import helm
from testkit.own_postgres import OwnPostgres
from testkit.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.slow

INIT_SCRIPT = helm.CHART_DIR / "files" / "init-databases.sh"
ROLES = {"inventory": "inventory_service", "store": "store_service", "sim": None}


def url(server: OwnPostgres, role: str, database: str) -> str:
    return f"postgresql+psycopg://{role}:test_password_1234@127.0.0.1:{server.port}/{database}"


def test_each_part_reaches_only_its_own_database(tmp_path: Path):
    with OwnPostgres() as server:
        env = {
            **os.environ,
            "PATH": f"{server.bin_dir}:{os.environ['PATH']}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(server.port),
            "POSTGRES_USER": "postgres",
            **{f"{role.upper()}_PASSWORD": "test_password_1234" for role in ROLES},
        }
        subprocess.run(["bash", str(INIT_SCRIPT)], env=env, check=True, capture_output=True)

        for role, package in ROLES.items():
            if package:  # migrations run as the part's own role, as the initContainer does
                upgrade(ROOT / package / "migrations", url(server, role, role))
            for other in ROLES:
                dsn = url(server, role, other).replace("+psycopg", "")
                if other == role:
                    psycopg.connect(dsn).close()
                    continue
                with pytest.raises(psycopg.OperationalError, match="permission denied"):
                    psycopg.connect(dsn)

        inventory = ServiceProcess(
            "inventory_service", {"INVENTORY_DATABASE_URL": url(server, "inventory", "inventory")}
        )
        with inventory:
            store_env = {
                "STORE_DATABASE_URL": url(server, "store", "store"),
                "INVENTORY_URL": inventory.url,
            }
            with ServiceProcess("store_service", store_env) as store:
                _a_sale(store.url, inventory.url)


def _a_sale(store_url: str, inventory_url: str) -> None:
    with httpx.Client(base_url=store_url, timeout=30) as store:
        assert store.post("/stores", json={"id": "s1", "name": "Roles"}).status_code == 201
        product = {"name": "Milk", "category": "dairy", "price": 1.0}
        assert store.put("/stores/s1/products/milk", json=product).status_code == 201
        stocked = httpx.put(f"{inventory_url}/locations/s1/items/milk", json={"on_hand": 3})
        assert stocked.status_code == 201
        cart = store.post("/stores/s1/carts", json={}).json()["id"]
        assert store.put(f"/carts/{cart}/items/milk", json={"quantity": 2}).status_code == 200
        order = store.post(f"/carts/{cart}/checkout", json={}).json()
        assert order["units_fulfilled"] == 2
        assert store.get("/stores/s1/reconciliation").json()["balanced"]
