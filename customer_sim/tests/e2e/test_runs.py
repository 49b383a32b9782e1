"""Short scenarios against real store and inventory processes on PostgreSQL: the KPIs must
agree with the services' own records."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from customer_sim.cli import main
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.simulation.kpis import Scope
from customer_sim.tests.builders import scenario_data, scenario_yaml
from customer_sim.tests.e2e.records import assert_matches_the_services, get
from testkit.processes import ROOT, free_port

pytestmark = pytest.mark.slow

SCENARIOS = ROOT / "customer_sim" / "scenarios"


def run(services, scenario: Path, out: Path, *extra: str) -> int:
    store, inventory = services
    return run_with(store.url, inventory.url, scenario, out, *extra)


def run_with(store_url: str, inventory_url: str, scenario: Path, out: Path, *extra: str) -> int:
    return main(
        ["run", str(scenario), "--out", str(out), "--store-url", store_url,
         "--inventory-url", inventory_url, "--progress", "log", *extra]
    )  # fmt: skip


def summary_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def replications_of(out: Path) -> list[dict[str, Any]]:
    return summary_of(out)["per_replication"]


def comparable(replication: dict[str, Any]) -> tuple:
    """What must not depend on anything but the scenario and seed (not the store id)."""
    return replication["seed"], replication["kpis"], replication["skus"]


def test_single_sku_through_the_module_entry_point(services, sim_database_url, tmp_path):
    store, inventory = services
    out = tmp_path / "single"
    env = {**os.environ, "SIM_DATABASE_URL": sim_database_url, "STORE_URL": store.url,
           "INVENTORY_URL": inventory.url, "PYTHONPATH": str(ROOT)}  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "customer_sim", "run", str(SCENARIOS / "single-sku.yaml"),
         "--days", "1", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    [replication] = replications_of(out)
    kpis = replication["kpis"]
    assert kpis["arrivals"] > 0 and kpis["units_sold"] > 0
    assert kpis["units_sold"] == kpis["buyers"]  # one unit each
    assert_matches_the_services(services, replication)
    assert "units sold" in completed.stdout and "fill rate (sold / wanted)" in completed.stdout

    database = RunDatabase(sim_database_url)
    try:
        record = database.get_run(replication["store_id"])
        assert record is not None and record.status == "succeeded"
        assert record.key == summary_of(out)["run_key"]
        [stored] = database.replicated_run(record).replications
        assert stored.run.as_dict(Scope.RUN) == kpis
        assert len(stored.days) == 1
    finally:
        database.close()


def test_default_for_two_days_matches_the_services(services, sim_env):
    out = sim_env / "default"
    assert run(services, SCENARIOS / "default.yaml", out, "--days", "2") == 0
    summary = summary_of(out)
    assert summary["days"] == 2 and len(summary["skus"]) == 10
    [replication] = summary["per_replication"]
    assert_matches_the_services(services, replication)
    with (out / "daily.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["day"] for row in rows] == ["2026-03-02", "2026-03-03"]
    assert sum(int(row["units_sold"]) for row in rows) == replication["kpis"]["units_sold"]
    for name in ("on_hand.png", "daily_sales.png", "report.html"):
        assert (out / name).stat().st_size > 0


def test_same_seed_against_the_services_gives_identical_results(services, sim_env):
    first, second = sim_env / "first", sim_env / "second"
    scenario = SCENARIOS / "default.yaml"
    assert run(services, scenario, first, "--days", "1", "--seed", "5") == 0
    assert run(services, scenario, second, "--days", "1", "--seed", "5") == 0
    [one], [two] = replications_of(first), replications_of(second)
    assert one["store_id"] != two["store_id"]  # each run opens its own store
    assert comparable(one) == comparable(two)
    assert (first / "daily.csv").read_text() == (second / "daily.csv").read_text()


def test_compare_runs_each_scenario_in_its_own_store(services, sim_env, capsys):
    store, inventory = services
    out = sim_env / "compare"
    code = main(
        ["compare", str(SCENARIOS / "compare-rq.yaml"), str(SCENARIOS / "compare-ss.yaml"),
         "--days", "1", "--out", str(out), "--store-url", store.url,
         "--inventory-url", inventory.url, "--progress", "log"]
    )  # fmt: skip
    assert code == 0
    [rq], [ss] = replications_of(out / "compare-rq"), replications_of(out / "compare-ss")
    assert rq["store_id"] != ss["store_id"] and rq["seed"] == ss["seed"]
    assert rq["kpis"]["arrivals"] == ss["kpis"]["arrivals"]  # the same customers
    for name in ("comparison.png", "comparison.json", "report.html"):
        assert (out / name).stat().st_size > 0
    assert "compare-rq" in capsys.readouterr().out
    for replication in (rq, ss):
        assert_matches_the_services(services, replication)


def counts(services) -> tuple[int, int]:
    store, inventory = services
    stores = get(store.url, "/stores", limit=1)["total"]
    locations = get(inventory.url, "/locations", limit=1)["total"]
    return stores, locations


def test_a_bad_scenario_exits_2_without_touching_the_services(services, sim_env):
    bad = sim_env / "bad.yaml"
    data = scenario_data()
    data["products"][0]["policy"] = {"type": "Rq", "reorder_point": 1, "order_quantity": 1}
    bad.write_text(scenario_yaml(data))
    before = counts(services)
    assert run(services, bad, sim_env / "bad") == 2
    assert counts(services) == before
    assert not (sim_env / "bad").exists()


def test_an_unreachable_store_exits_3(services, sim_env, monkeypatch):
    _, inventory = services
    monkeypatch.setenv("SIM_HTTP_RETRIES", "1")
    nowhere = f"http://127.0.0.1:{free_port()}"
    scenario = SCENARIOS / "single-sku.yaml"
    assert run_with(nowhere, inventory.url, scenario, sim_env / "x", "--days", "1") == 3


@pytest.mark.parametrize("started", ["as in a terminal", "with SIGINT ignored"])
def test_an_interrupted_run_says_so_in_one_line_and_exits_130(
    services, sim_database_url, tmp_path, started
):
    """Also when a shell started it with SIGINT ignored, as it starts a background job."""
    store, inventory = services
    disposition = signal.SIG_IGN if started == "with SIGINT ignored" else signal.SIG_DFL
    env = {**os.environ, "SIM_DATABASE_URL": sim_database_url, "STORE_URL": store.url,
           "INVENTORY_URL": inventory.url, "PYTHONPATH": str(ROOT)}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "customer_sim", "run", str(SCENARIOS / "default.yaml"),
         "--out", str(tmp_path / "out"), "--progress", "log", "--log-every-hours", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, disposition),
    )  # fmt: skip
    try:
        while "simulated" not in (line := process.stderr.readline()):  # progress has begun
            assert line, "the run ended before it was interrupted"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err and "KeyboardInterrupt" not in err and "Traceback" not in err
