"""Report files written into a temporary folder (disk I/O; no services), for replications
built from hand-made run data (`builders.hand_built_run`) by the runner's own `build_result`."""

import csv
import json
from dataclasses import replace

from customer_sim.infrastructure.reports import (
    DAILY_COLUMNS,
    previous_report,
    where_the_report_is,
    write_comparison_reports,
    write_run_reports,
)
from customer_sim.infrastructure.tables import describe_run
from customer_sim.simulation.recording import RunPlan
from customer_sim.simulation.replications import Comparison, ReplicatedRun, RunInfo
from customer_sim.simulation.runner import build_result
from customer_sim.tests.builders import hand_built_run, make_scenario

PNG = b"\x89PNG\r\n\x1a\n"

BUSY = [
    [{"milk": (2, 2), "jam": (1, 1)}, {"bread": (3, 3)}, {"milk": (1, 1), "bread": (2, 2)}],
    [{"jam": (4, 3)}, {"milk": (2, 2)}],
    [{"milk": (3, 3), "bread": (1, 1)}, {"jam": (1, 0), "bread": (2, 2)}],
]
QUIET = [[{"milk": (1, 1)}], [], [{"bread": (2, 2)}]]


def replications(plan: RunPlan, days_of_each: list) -> tuple[ReplicatedRun, list]:
    """One hand-built result per replication, with the plan's seeds and store ids."""
    results = []
    for number, days in enumerate(days_of_each, start=1):
        scenario, store_id = plan.replication(number)
        run = hand_built_run(scenario, days)
        result = build_result(run.scenario, store_id, run.outcome, run.records)
        result.replication = number
        result.performance = {"customers": 10, "http_calls": 40, "customers_per_second": 20.0}
        results.append(result)
    kpis = [result.replication_kpis() for result in results]
    return ReplicatedRun(RunInfo.of(plan.scenario), kpis), results


def a_plan(tmp_path, name="test", replications=2, **changes) -> RunPlan:
    scenario = make_scenario(days=3, name=name, **changes)
    return RunPlan(scenario, f"{name}.yaml", f"run-{name}-0a1b2c3d", replications, tmp_path / name)


def test_a_run_writes_its_summary_daily_rows_plots_and_report(tmp_path):
    plan = a_plan(tmp_path)
    run, results = replications(plan, [BUSY, QUIET])
    write_run_reports(plan, run, results)
    assert sorted(path.name for path in plan.output_dir.iterdir()) == [
        "daily.csv",
        "daily_sales.png",
        "on_hand.png",
        "report.html",
        "summary.json",
    ]
    for plot in ("on_hand.png", "daily_sales.png"):
        assert (plan.output_dir / plot).read_bytes().startswith(PNG)

    summary = json.loads((plan.output_dir / "summary.json").read_text())
    assert summary["run_key"] == plan.key and summary["seed"] == 11
    assert summary["replications"] == 2 and summary["costs"]["order_cost"] == "10.00"
    sold = [result.totals.units_sold for result in results]
    assert sold == [20, 3]
    assert summary["kpis"]["units_sold"]["mean"] == 11.5
    assert summary["kpis"]["units_sold"]["half_width"] > 0
    first = summary["per_replication"][0]
    assert (first["seed"], first["store_id"]) == (11, plan.key)
    assert first["kpis"]["units_sold"] == 20 and first["kpis"]["purchase_orders"] == 1
    assert first["checks"]["reconciliation_balanced"] is True
    assert first["skus"]["milk"]["final_on_hand"] == 30 - 8  # from the ledger
    assert summary["skus"]["milk"]["policy"] == "rQ"
    assert list(summary["skus"]) == ["milk", "bread", "jam"]

    with (plan.output_dir / "daily.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == DAILY_COLUMNS
    assert [(row["replication"], row["day"]) for row in rows[:4]] == [
        ("1", "2026-03-02"),
        ("1", "2026-03-03"),
        ("1", "2026-03-04"),
        ("2", "2026-03-02"),
    ]
    assert [int(row["units_sold"]) for row in rows[:3]] == [9, 5, 6]
    # the lookers found no milk: lost not on the shelf, and so in the fill rate
    assert rows[0]["units_lost_not_on_shelf"] == "2" and rows[0]["fill_rate"] == str(
        round(9 / 11, 4)
    )
    assert rows[4]["fill_rate"] == "0.0"  # nobody bought, two wanted: 0, not blank
    assert previous_report(plan.output_dir) == plan.key
    assert where_the_report_is(plan.output_dir, plan.key).endswith("report.html")


def test_show_says_when_a_later_run_took_the_folder(tmp_path):
    plan = a_plan(tmp_path, replications=1)
    write_run_reports(plan, *replications(plan, [BUSY]))
    later = replace(plan, key="run-test-99999999")
    write_run_reports(later, *replications(later, [QUIET]))
    assert "now holds run-test-99999999's report" in where_the_report_is(plan.output_dir, plan.key)
    assert "is gone" in where_the_report_is(tmp_path / "nowhere", plan.key)


def test_a_comparison_writes_its_files_and_links_each_run(tmp_path):
    plans = [a_plan(tmp_path / "cmp", name) for name in ("one", "two")]
    runs = []
    for plan, days in zip(plans, ([BUSY, QUIET], [QUIET, BUSY])):
        run, results = replications(plan, days)
        write_run_reports(plan, run, results)
        runs.append(run)
    out = tmp_path / "cmp"
    write_comparison_reports(Comparison(runs, ["one", "two"]), plans, out, "compare-0a1b2c3d")
    assert {"comparison.json", "comparison.png", "report.html"} <= {p.name for p in out.iterdir()}
    assert (out / "comparison.png").read_bytes().startswith(PNG)
    summary = json.loads((out / "comparison.json").read_text())
    assert summary["baseline"] == "one" and summary["replications"] == 2
    difference = summary["differences"]["two"]["kpis"]["units_sold"]
    assert difference["mean"] == 0 and difference["significant"] is False  # 3 - 20, 20 - 3
    page = (out / "report.html").read_text()
    assert 'href="one/report.html"' in page and 'href="two/report.html"' in page
    assert previous_report(out) == "compare-0a1b2c3d"


def test_the_text_of_a_run():
    scenario = make_scenario(days=3)
    plan = RunPlan(scenario, "x.yaml", "run-test-1", 1, None)  # type: ignore[arg-type]
    run, _ = replications(plan, [BUSY])
    text = describe_run(run)
    assert "1 replication (store run-test-1)" in text
    assert "fill rate (sold / wanted)" in text and "milk" in text and "±" not in text


def test_scenarios_with_other_products_compare_on_the_skus_they_share(tmp_path):
    full = a_plan(tmp_path / "cmp", "full")
    two_products = [product for product in make_scenario().products if product.sku != "jam"]
    fewer = a_plan(tmp_path / "cmp", "fewer", products=[p.model_dump() for p in two_products])
    runs = []
    for plan in (full, fewer):
        days = [[{sku: counts for sku, counts in basket.items() if sku != "jam"} for basket in day]
                for day in BUSY]  # fmt: skip
        run, results = replications(plan, [days, QUIET])
        write_run_reports(plan, run, results)
        runs.append(run)
    write_comparison_reports(
        Comparison(runs, ["full", "fewer"]), [full, fewer], tmp_path / "cmp", "c"
    )
    summary = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert list(summary["differences"]["fewer"]["skus"]) == ["milk", "bread"]
    assert (tmp_path / "cmp" / "comparison.png").read_bytes().startswith(PNG)
