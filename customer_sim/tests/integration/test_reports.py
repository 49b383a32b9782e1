"""Report files written into a temporary folder (disk I/O; no services), for results built
from hand-made run data (`builders.hand_built_run`) by the runner's own `build_result`."""

import csv
import json

from customer_sim.infrastructure.reports import (
    DAILY_COLUMNS,
    describe_run,
    kpi_table,
    plot_comparison,
    write_run_reports,
)
from customer_sim.simulation.runner import build_result
from customer_sim.tests.builders import hand_built_run, make_scenario

PNG = b"\x89PNG\r\n\x1a\n"


BUSY = [
    [{"milk": (2, 2), "jam": (1, 1)}, {"bread": (3, 3)}, {"milk": (1, 1), "bread": (2, 2)}],
    [{"jam": (4, 3)}, {"milk": (2, 2)}],
    [{"milk": (3, 3), "bread": (1, 1)}, {"jam": (1, 0), "bread": (2, 2)}],
]
QUIET = [[{"milk": (1, 1)}], [], [{"bread": (2, 2)}]]


def a_result(days=BUSY, seed: int = 11):
    run = hand_built_run(make_scenario(days=len(days), seed=seed), days)
    return build_result(run.scenario, f"run-test-{seed}", run.outcome, run.records)


def test_a_run_writes_its_summary_daily_rows_and_plots(tmp_path):
    result = a_result()
    paths = write_run_reports(result, tmp_path / "run")
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == [
        "daily.csv",
        "daily_sales.png",
        "on_hand.png",
        "summary.json",
    ]
    for plot in ("on_hand", "daily_sales"):
        assert paths[plot].read_bytes().startswith(PNG)

    summary = json.loads(paths["summary"].read_text())
    assert summary["store_id"] == result.store_id and summary["seed"] == 11
    assert summary["kpis"]["units_sold"] == result.totals.units_sold == 20
    assert summary["kpis"]["purchase_orders"] == 1
    assert [sku["sku"] for sku in summary["skus"]] == ["milk", "bread", "jam"]
    assert {"average_on_hand", "purchase_orders", "fill_rate"} <= set(summary["skus"][0])
    assert summary["skus"][0]["final_on_hand"] == 30 - 8  # from the ledger

    with paths["daily"].open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == DAILY_COLUMNS
    assert [row["day"] for row in rows] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert [int(row["units_sold"]) for row in rows] == [9, 5, 6]
    assert sum(int(row["units_sold"]) for row in rows) == result.totals.units_sold
    assert sum(int(row["arrivals"]) for row in rows) == result.totals.arrivals


def test_comparison_plot_and_tables(tmp_path):
    summaries = [a_result(BUSY, seed=1).summary(), a_result(QUIET, seed=2).summary()]
    plot_comparison(summaries, ["one", "two"], tmp_path / "comparison.png")
    assert (tmp_path / "comparison.png").read_bytes().startswith(PNG)
    table = kpi_table(summaries, ["one", "two"])
    header, _, *rows = table.splitlines()
    assert header.split() == ["KPI", "one", "two"]
    sold = next(row for row in rows if row.startswith("units sold"))
    assert sold.split()[-2:] == [f"{s['kpis']['units_sold']:,}" for s in summaries]
    text = describe_run(summaries[0])
    assert "store " + summaries[0]["store_id"] in text and "milk" in text
