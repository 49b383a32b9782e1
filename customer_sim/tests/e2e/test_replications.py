"""Replications against the real store and inventory processes: identical whatever runs
beside them, and a comparison whose significance calls are checked by hand from its own
per-replication figures."""

from __future__ import annotations

import csv
import json
import math
from datetime import timedelta
from pathlib import Path
from statistics import fmean, stdev
from typing import Any

import pytest

from customer_sim.cli import main
from customer_sim.infrastructure.progress import LogProgress
from customer_sim.infrastructure.reports import write_run_reports
from customer_sim.infrastructure.run_database import RunDatabase
from customer_sim.infrastructure.services import HttpServices
from customer_sim.simulation.kpis import Scope
from customer_sim.simulation.recording import RunPlan, record_run
from customer_sim.simulation.runner import InconsistentRun, new_run_key
from customer_sim.tests.builders import BASE, make_scenario, scenario_data, scenario_yaml
from customer_sim.tests.e2e.records import assert_matches_the_services, every_page, post, put
from customer_sim.tests.e2e.test_runs import SCENARIOS, comparable, replications_of

pytestmark = pytest.mark.slow

T_975_4 = 2.776  # Student's t, 97.5% quantile, 4 degrees of freedom, from the printed table


def cli(services, command: str, *args: str) -> int:
    store, inventory = services
    return main([command, *args, "--store-url", store.url, "--inventory-url", inventory.url,
                 "--progress", "log"])  # fmt: skip


def daily_rows(out: Path) -> list[dict[str, str]]:
    with (out / "daily.csv").open() as file:
        return list(csv.DictReader(file))


def test_replications_give_the_same_results_whatever_runs_beside_them(
    services, sim_env, sim_database_url
):
    scenario = str(SCENARIOS / "default.yaml")
    one_at_a_time, all_at_once = sim_env / "serial", sim_env / "parallel"
    common = ["--days", "1", "--replications", "3"]
    for out, parallel in ((one_at_a_time, "1"), (all_at_once, "3")):
        assert (
            cli(services, "run", scenario, *common, "--parallel", parallel, "--out", str(out)) == 0
        )

    serial, parallel = replications_of(one_at_a_time), replications_of(all_at_once)
    assert [r["replication"] for r in parallel] == [1, 2, 3]
    assert [comparable(r) for r in serial] == [comparable(r) for r in parallel]
    assert daily_rows(one_at_a_time) == daily_rows(all_at_once)
    seeds = [r["seed"] for r in serial]
    assert seeds[0] == 42 and len(set(seeds)) == 3  # the scenario's seed, then derived ones
    assert len({r["kpis"]["arrivals"] for r in serial}) > 1  # independent: other customers
    stores = {r["store_id"] for r in serial} | {r["store_id"] for r in parallel}
    assert len(stores) == 6  # every replication had its own store
    for replication in parallel:
        assert_matches_the_services(services, replication)

    database = RunDatabase(sim_database_url)
    try:
        record = database.get_run(parallel[0]["store_id"])
        assert record.status == "succeeded" and record.replications == 3
        assert record.store_ids == [r["store_id"] for r in parallel]
    finally:
        database.close()


def by_hand(baseline: list[Any], other: list[Any]) -> tuple[float, float, bool] | None:
    """The paired comparison done longhand: differences, their mean and standard deviation,
    the t table's quantile; significant when the interval leaves out zero."""
    differences = [b - a for a, b in zip(baseline, other) if a is not None and b is not None]
    if len(differences) < 2:
        return None
    mean = sum(differences) / len(differences)
    spread = math.sqrt(sum((d - mean) ** 2 for d in differences) / (len(differences) - 1))
    half_width = T_975_4 * spread / math.sqrt(len(differences))
    return mean, half_width, abs(mean) > half_width


def policy_scenario(path: Path, reorder_point: int) -> Path:
    """One day of about 70 customers; milk under (r, Q = 10) with a 4-hour lead time, jam
    and bread the same in both scenarios."""
    policy = {"type": "rQ", "reorder_point": reorder_point, "order_quantity": 10}
    milk = {"sku": "milk", "price": 1.2, "weight": 3, "initial_stock": 30,
            "lead_time_minutes": 240, "policy": policy}  # fmt: skip
    products = [milk, *BASE["products"][1:]]
    arrivals = {"model": "poisson", "rate_per_hour": 6}
    data = scenario_data(name=path.stem, days=1, products=products, arrivals=arrivals)
    path.write_text(scenario_yaml(data))
    return path


def test_compare_with_five_replications_calls_significance_as_a_hand_calculation_does(
    services, sim_env, capsys
):
    lean_file = policy_scenario(sim_env / "lean.yaml", reorder_point=2)
    ample_file = policy_scenario(sim_env / "ample.yaml", reorder_point=25)
    out = sim_env / "compare"
    code = cli(services, "compare", str(lean_file), str(ample_file), "--replications", "5",
               "--parallel", "5", "--out", str(out))  # fmt: skip
    assert code == 0
    comparison = json.loads((out / "comparison.json").read_text())
    lean = comparison["runs"]["lean"]["per_replication"]
    ample = comparison["runs"]["ample"]["per_replication"]
    assert len(lean) == len(ample) == 5 == comparison["replications"]
    assert [r["seed"] for r in lean] == [r["seed"] for r in ample] == comparison["seeds"]
    # paired: the same customers in both, replication by replication
    assert [r["kpis"]["arrivals"] for r in lean] == [r["kpis"]["arrivals"] for r in ample]

    calls = []
    reported = comparison["differences"]["ample"]
    for key, difference in reported["kpis"].items():
        pair = [r["kpis"][key] for r in lean], [r["kpis"][key] for r in ample]
        calls.append((key, difference, *pair))
    for sku, differences in reported["skus"].items():
        for key, difference in differences.items():
            pair = [r["skus"][sku][key] for r in lean], [r["skus"][sku][key] for r in ample]
            calls.append((f"{sku} {key}", difference, *pair))
    for what, difference, baseline, other in calls:
        hand = by_hand(baseline, other)
        if hand is None:
            assert difference["significant"] is False, what
            continue
        mean, half_width, significant = hand
        assert difference["mean"] == pytest.approx(mean, abs=1e-9), what
        assert difference["half_width"] == pytest.approx(half_width, rel=1e-3, abs=1e-9), what
        if abs(abs(mean) - half_width) > 1e-3 * half_width:  # clear of the table's rounding
            assert difference["significant"] is significant, what
    significant = {what for what, difference, _, _ in calls if difference["significant"]}
    # more stock serves better and costs more to hold; the same customers arrive in both
    assert {"fill_rate", "milk fill_rate", "milk average_on_hand"} <= significant
    assert "arrivals" not in significant and "jam units_wanted" not in significant

    # the printed table marks exactly the significant differences of the store's KPIs
    table = capsys.readouterr().out.split("\n\n")[1]
    marks = sum(line.endswith(" *") for line in table.splitlines())
    assert marks == sum(difference["significant"] for difference in reported["kpis"].values())

    # and each scenario's own interval is the t interval of its replications
    sold = [r["kpis"]["units_sold"] for r in lean]
    estimate = comparison["runs"]["lean"]["kpis"]["units_sold"]
    assert estimate["mean"] == pytest.approx(fmean(sold))
    assert estimate["half_width"] == pytest.approx(T_975_4 * stdev(sold) / math.sqrt(5), rel=1e-3)


def tampered_plan(inventory_url: str, out: Path, replications: int) -> RunPlan:
    """A plan whose replication 1 will not reconcile: before the run, someone else takes 2
    units of milk at its inventory location."""
    scenario = make_scenario(days=1, arrivals={"model": "poisson", "rate_per_hour": 3})
    plan = RunPlan(scenario, "test.yaml", new_run_key("test"), replications, out)
    _, first_store = plan.replication(1)
    before = (scenario.start - timedelta(days=1)).isoformat()
    put(inventory_url, f"/locations/{first_store}/items/milk", {"on_hand": 5, "at": before})
    issue = {"reference": "not-the-store", "at": before, "lines": [{"sku": "milk", "quantity": 2}]}
    post(inventory_url, f"/locations/{first_store}/issues", issue)
    return plan


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_replication_that_does_not_reconcile_fails_the_run(
    services, sim_database_url, tmp_path, parallel
):
    store, inventory = services
    plan = tampered_plan(inventory.url, tmp_path / "run", replications=3)
    http = HttpServices(store.url, inventory.url, timeout_seconds=10, retries=1)
    progress = LogProgress(plan.scenario, plan.replications, 24)
    runs = RunDatabase(sim_database_url)
    try:
        with pytest.raises(InconsistentRun):
            record_run(plan, http, runs, write_run_reports, progress, parallel)
        record = runs.get_run(plan.key)
        assert record.status == "failed" and "do not reconcile" in record.error
        recorded = runs.replicated_run(record).replications
    finally:
        runs.close()
    # replication 1 is recorded and reported, its figures kept as evidence
    assert recorded[0].number == 1 and not recorded[0].reconciled
    summary = json.loads((plan.output_dir / "summary.json").read_text())
    assert summary["per_replication"][0]["checks"]["reconciliation_balanced"] is False
    # the run database and the report hold the same figures of every replication recorded
    reported = {r["replication"]: r for r in summary["per_replication"]}
    assert sorted(reported) == [r.number for r in recorded]
    for replication in recorded:
        assert replication.run.as_dict(Scope.RUN) == reported[replication.number]["kpis"]
        skus = {sku: kpis.as_dict(Scope.SKU) for sku, kpis in replication.skus.items()}
        assert skus == reported[replication.number]["skus"]
    assert all(r.reconciled for r in recorded[1:])  # those beside it that finished in time
    stores = {s["id"] for s in every_page(store.url, "/stores")}
    if parallel == 1:  # one at a time: the failure stops the run before the next store opens
        assert [r.number for r in recorded] == [1]
        assert not {f"{plan.key}-r2", f"{plan.key}-r3"} & stores
