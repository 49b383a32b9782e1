"""Report files written into a temporary folder (disk I/O; no services)."""

import csv
import json

from customer_sim.infrastructure.reports import (
    DAILY_COLUMNS,
    describe_run,
    kpi_table,
    plot_comparison,
    write_run_reports,
)
from customer_sim.simulation.runner import run_scenario
from customer_sim.tests.builders import make_scenario
from customer_sim.tests.fakes import FakeInventory, FakeStore

PNG = b"\x89PNG\r\n\x1a\n"


def a_result(days: int = 3, seed: int = 11):
    inventory = FakeInventory()
    return run_scenario(make_scenario(days=days, seed=seed), FakeStore(inventory), inventory)


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
    assert summary["kpis"]["units_sold"] == result.totals.units_sold
    assert [sku["sku"] for sku in summary["skus"]] == ["milk", "bread", "jam"]
    assert {"average_on_hand", "purchase_orders", "fill_rate"} <= set(summary["skus"][0])

    with paths["daily"].open() as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == DAILY_COLUMNS
    assert [row["day"] for row in rows] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert sum(int(row["units_sold"]) for row in rows) == result.totals.units_sold
    assert sum(int(row["arrivals"]) for row in rows) == result.totals.arrivals


def test_comparison_plot_and_tables(tmp_path):
    summaries = [a_result(seed=1).summary(), a_result(seed=2).summary()]
    plot_comparison(summaries, ["one", "two"], tmp_path / "comparison.png")
    assert (tmp_path / "comparison.png").read_bytes().startswith(PNG)
    table = kpi_table(summaries, ["one", "two"])
    header, _, *rows = table.splitlines()
    assert header.split() == ["KPI", "one", "two"]
    sold = next(row for row in rows if row.startswith("units sold"))
    assert sold.split()[-2:] == [f"{s['kpis']['units_sold']:,}" for s in summaries]
    text = describe_run(summaries[0])
    assert "store " + summaries[0]["store_id"] in text and "milk" in text
