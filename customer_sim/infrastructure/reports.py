"""What a run leaves in its output folder, and a comparison in its own.

A run: ``summary.json`` (every KPI as mean ± confidence half-width, and each replication's
own figures, reconciliation and speed), ``daily.csv`` (one row per replication and day),
``on_hand.png``, ``daily_sales.png`` and ``report.html`` (all of it in one file). A
comparison: ``comparison.json`` (the runs' estimates and the paired differences),
``comparison.png`` and ``report.html``, beside one folder per scenario.

A folder that already holds another run's report is reported before it is replaced
(`previous_report`), and ``show`` tells whether a run's folder still holds its files.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Sequence

from customer_sim.domain.scenario import Scenario
from customer_sim.infrastructure import html_report
from customer_sim.infrastructure.plots import plot_comparison, plot_daily_sales, plot_stock
from customer_sim.simulation.kpis import Scope, kpis_of
from customer_sim.simulation.recording import RunPlan
from customer_sim.simulation.replications import Comparison, ReplicatedRun
from customer_sim.simulation.results import RunResult

SUMMARY_FILE = "summary.json"
DAILY_FILE = "daily.csv"
ON_HAND_PLOT = "on_hand.png"
DAILY_SALES_PLOT = "daily_sales.png"
REPORT_FILE = "report.html"
COMPARISON_FILE = "comparison.json"
COMPARISON_PLOT = "comparison.png"
DAILY_COLUMNS = ["replication", "day", *(kpi.key for kpi in kpis_of(Scope.DAY))]


def previous_report(out_dir: Path) -> str | None:
    """The run key of the report already in ``out_dir``, if there is one."""
    for name in (SUMMARY_FILE, COMPARISON_FILE):
        try:
            content = json.loads((out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return str(content.get("run_key") or content.get("comparison_key") or "an earlier run")
    return None


def where_the_report_is(out_dir: Path, key: str) -> str:
    """For ``show``: the run's report, or what became of its folder."""
    holder = previous_report(out_dir)
    if holder == key:
        return f"report: {out_dir / REPORT_FILE}"
    if holder is None:
        return f"report: {out_dir}/ is gone (the figures above are from the run database)"
    return (
        f"report: {out_dir}/ now holds {holder}'s report (a later run wrote there); "
        "the figures above are this run's, from the run database"
    )


def write_run_reports(plan: RunPlan, run: ReplicatedRun, results: list[RunResult]) -> None:
    """Write every file of one run into the plan's output folder (created if needed)."""
    out_dir = plan.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "run_key": plan.key,
        "scenario_file": plan.scenario_file,
        "costs": plan.scenario.costs.model_dump(mode="json"),
        **run.summary(),
    }
    write_json(summary, out_dir / SUMMARY_FILE)
    write_daily_csv(run, out_dir / DAILY_FILE)
    plot_stock(results[0], out_dir / ON_HAND_PLOT)  # one replication's trajectory
    plot_daily_sales(run, out_dir / DAILY_SALES_PLOT)
    first = results[0]
    caption = f"replication {first.replication}, seed {first.scenario.seed}"
    plots = [
        (out_dir / ON_HAND_PLOT, f"On hand and inventory position per SKU ({caption})"),
        (out_dir / DAILY_SALES_PLOT, "Units sold and lost per day"),
    ]
    page = html_report.run_report(run, plan.scenario, plots)
    _write_text(page, out_dir / REPORT_FILE)


def write_comparison_reports(
    comparison: Comparison, plans: Sequence[RunPlan], out_dir: Path, key: str
) -> None:
    """``comparison.json``, ``comparison.png`` and ``report.html`` in ``out_dir``; each
    run's own folder (linked from the report) is written by `write_run_reports`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = comparison.summary()
    summary = {"comparison_key": key, **summary}
    write_json(summary, out_dir / COMPARISON_FILE)
    plot_comparison(comparison, out_dir / COMPARISON_PLOT)
    links = [
        Path(os.path.relpath(plan.output_dir / REPORT_FILE, out_dir)).as_posix() for plan in plans
    ]
    scenarios: list[Scenario] = [plan.scenario for plan in plans]
    page = html_report.comparison_report(comparison, scenarios, links, out_dir / COMPARISON_PLOT)
    _write_text(page, out_dir / REPORT_FILE)


def write_json(content: dict[str, Any], path: Path) -> None:
    _write_text(json.dumps(content, indent=2) + "\n", path)


def write_daily_csv(run: ReplicatedRun, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=DAILY_COLUMNS)
        writer.writeheader()
        for replication in run.replications:
            for day, kpis in replication.days:
                row = {"replication": replication.number, "day": day, **kpis.as_dict(Scope.DAY)}
                writer.writerow({key: "" if row[key] is None else row[key] for key in row})


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")
