"""What a run leaves behind in its output folder, and the KPI tables printed by the CLI.

``summary.json`` (everything, machine-readable), ``daily.csv`` (one row per day),
``on_hand.png`` (on hand over time per SKU with its reorder point) and ``daily_sales.png``
(units sold vs lost per day); ``compare`` adds ``comparison.png``. Plots are drawn with
matplotlib's Agg canvas directly, so no display and no global pyplot state are involved.
Tables are built from summaries (dicts), so ``show`` prints a stored run exactly as ``run``
printed it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Callable, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from customer_sim.simulation.results import RunResult

SUMMARY_FILE = "summary.json"
DAILY_FILE = "daily.csv"
ON_HAND_PLOT = "on_hand.png"
DAILY_SALES_PLOT = "daily_sales.png"
COMPARISON_PLOT = "comparison.png"
DAILY_COLUMNS = [
    "day",
    "arrivals",
    "buyers",
    "units_demanded",
    "units_sold",
    "units_lost",
    "revenue",
    "fill_rate",
    "units_not_found",
    "shelf_fill_rate",
]
SECONDS_PER_DAY = 86_400


def write_run_reports(result: RunResult, out_dir: Path) -> dict[str, Path]:
    """Write every file of one run into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": out_dir / SUMMARY_FILE,
        "daily": out_dir / DAILY_FILE,
        "on_hand": out_dir / ON_HAND_PLOT,
        "daily_sales": out_dir / DAILY_SALES_PLOT,
    }
    write_summary(result.summary(), paths["summary"])
    write_daily_csv([row.as_dict() for row in result.daily], paths["daily"])
    plot_on_hand(result, paths["on_hand"])
    plot_daily_sales(result, paths["daily_sales"])
    return paths


def write_summary(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def write_daily_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=DAILY_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row[key] is None else row[key] for key in DAILY_COLUMNS})


# -- plots --------------------------------------------------------------------------------------


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=100)


def plot_on_hand(result: RunResult, path: Path) -> None:
    """A grid of small multiples: on hand over time per SKU (a step plot, in days since the
    start), with the reorder point as a dashed line where the policy has one."""
    products = result.scenario.products
    columns = min(3, len(products))
    rows = math.ceil(len(products) / columns)
    figure = Figure(figsize=(4.2 * columns, 2.6 * rows), layout="constrained")
    steps = result.on_hand
    for index, product in enumerate(products):
        axes = figure.add_subplot(rows, columns, index + 1)
        points = steps.get(product.sku, [])
        days = [(at - result.start).total_seconds() / SECONDS_PER_DAY for at, _ in points]
        levels = [level for _, level in points]
        if points:  # carry the last level to the end of the run
            days.append(result.scenario.days)
            levels.append(levels[-1])
        axes.step(days, levels, where="post", linewidth=1.2, label="on hand")
        reorder_point = product.policy.reorder_point_or_none
        if reorder_point is not None:
            axes.axhline(
                reorder_point, linestyle="--", color="tab:red", linewidth=1, label="reorder point"
            )
        axes.set_title(f"{product.sku} ({product.policy.type})", fontsize=9)
        axes.set_xlim(0, result.scenario.days)
        axes.set_ylim(bottom=0)
        axes.tick_params(labelsize=8)
        axes.grid(alpha=0.3)
        if index == 0:
            axes.legend(fontsize=7, loc="upper right")
    figure.supxlabel("days since start", fontsize=9)
    figure.supylabel("units on hand", fontsize=9)
    figure.suptitle(f"On hand per SKU: {result.scenario.name} (seed {result.scenario.seed})")
    _save(figure, path)


def plot_daily_sales(result: RunResult, path: Path) -> None:
    """Units sold, lost at checkout and not found on the shelf, per day (stacked)."""
    rows = [row.as_dict() for row in result.daily]
    labels = [row["day"][5:] for row in rows]  # MM-DD
    x = list(range(len(rows)))
    sold = [row["units_sold"] for row in rows]
    lost = [row["units_lost"] for row in rows]
    not_found = [row["units_not_found"] for row in rows]
    figure = Figure(figsize=(max(6.0, 0.45 * len(rows) + 2), 4), layout="constrained")
    axes = figure.add_subplot()
    axes.bar(x, sold, color="tab:green", label="sold")
    axes.bar(x, lost, bottom=sold, color="tab:red", label="lost at checkout")
    on_top = [a + b for a, b in zip(sold, lost)]
    axes.bar(x, not_found, bottom=on_top, color="tab:orange", alpha=0.6, label="not on shelf")
    step = max(1, len(rows) // 20)
    axes.set_xticks(x[::step], labels[::step], rotation=45, fontsize=8)
    axes.set_ylabel("units")
    axes.set_title(f"Daily units sold vs lost: {result.scenario.name}")
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    _save(figure, path)


COMPARED: list[tuple[str, Callable[[dict[str, Any]], float], str]] = [
    ("shelf fill rate (%)", lambda kpis: 100 * (kpis["shelf_fill_rate"] or 0), "%.1f"),
    (
        "units lost (not on shelf + at checkout)",
        lambda k: k["units_not_found"] + k["units_lost"],
        "%d",
    ),
    ("average on hand (units)", lambda kpis: kpis["average_on_hand"], "%.1f"),
    ("purchase orders placed", lambda kpis: kpis["purchase_orders"], "%d"),
]


def plot_comparison(summaries: Sequence[dict[str, Any]], names: Sequence[str], path: Path) -> None:
    """One bar per run for what a policy trades off: service against stock and orders."""
    figure = Figure(figsize=(10, 6), layout="constrained")
    for index, (title, figure_of, fmt) in enumerate(COMPARED):
        axes = figure.add_subplot(2, 2, index + 1)
        values = [figure_of(summary["kpis"]) for summary in summaries]
        bars = axes.bar(range(len(values)), values, color=f"C{index}")
        axes.bar_label(bars, fmt=fmt, fontsize=8)
        axes.set_xticks(range(len(values)), names, fontsize=8)
        axes.set_title(title, fontsize=10)
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle("Scenario comparison (same seed, same customers)")
    _save(figure, path)


# -- text tables --------------------------------------------------------------------------------


def _count(value: Any) -> str:
    return "-" if value is None else f"{value:,}"


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _units(value: Any) -> str:
    return "-" if value is None else f"{value:,.1f}"


KPI_ROWS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("arrivals", "arrivals", _count),
    ("buyers", "customers who bought", _count),
    ("units_demanded", "units demanded (put in carts)", _count),
    ("units_sold", "units sold", _count),
    ("units_lost", "units lost at checkout", _count),
    ("fill_rate", "fill rate (sold / demanded)", _percent),
    ("units_not_found", "units wanted but not on the shelf", _count),
    ("shelf_fill_rate", "shelf fill rate (sold / wanted)", _percent),
    ("revenue", "revenue", _money),
    ("average_on_hand", "average on hand (units, all SKUs)", _units),
    ("purchase_orders", "purchase orders placed", _count),
]

SKU_COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("sku", "sku", str),
    ("policy", "policy", lambda policy: policy["type"]),
    ("units_demanded", "demanded", _count),
    ("units_sold", "sold", _count),
    ("units_lost", "lost", _count),
    ("fill_rate", "fill", _percent),
    ("units_not_found", "not found", _count),
    ("shelf_fill_rate", "shelf fill", _percent),
    ("average_on_hand", "avg on hand", _units),
    ("out_of_stock_fraction", "out of stock", _percent),
    ("purchase_orders", "POs", _count),
]


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [str(first).ljust(widths[0])]
        parts += [str(cell).rjust(width) for cell, width in zip(rest, widths[1:])]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def kpi_table(summaries: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """The KPIs of one or more runs side by side (one column per run)."""
    rows = [
        [label, *(fmt(summary["kpis"].get(key)) for summary in summaries)]
        for key, label, fmt in KPI_ROWS
    ]
    return render_table(["KPI", *names], rows)


def sku_table(summary: dict[str, Any]) -> str:
    rows = [[fmt(sku.get(key)) for key, _, fmt in SKU_COLUMNS] for sku in summary["skus"]]
    return render_table([title for _, title, _ in SKU_COLUMNS], rows)


def sku_comparison_table(summaries: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """Shelf fill rate and average on hand per SKU, one column pair per run."""
    skus = [sku["sku"] for sku in summaries[0]["skus"]]
    by_run = [{sku["sku"]: sku for sku in summary["skus"]} for summary in summaries]
    header = ["sku"]
    for name in names:
        header += [f"{name} shelf fill", f"{name} on hand"]
    rows = []
    for sku in skus:
        row = [sku]
        for run in by_run:
            figures = run.get(sku, {})
            row += [
                _percent(figures.get("shelf_fill_rate")),
                _units(figures.get("average_on_hand")),
            ]
        rows.append(row)
    return render_table(header, rows)


def describe_run(summary: dict[str, Any]) -> str:
    """A run's headline, KPI table and per-SKU table, as ``run`` and ``show`` print them."""
    title = (
        f"{summary['scenario']} - seed {summary['seed']}, {summary['days']} days from "
        f"{summary['start'][:10]}, store {summary['store_id']}"
    )
    return "\n\n".join([title, kpi_table([summary], [summary["scenario"]]), sku_table(summary)])
