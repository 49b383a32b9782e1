"""The KPI tables the CLI prints (``run``, ``compare``, ``show``), as plain aligned text.

Labels and formats come from the KPI set (`simulation.kpis`). With one replication a cell is
the value; with more it is the mean ± the half-width of its 95% confidence interval (rates in
percentage points). Comparisons add the paired difference to the baseline, marked ``*`` when
significant. Every table is drawn from a `ReplicatedRun`, so ``show`` prints a stored run
exactly as ``run`` printed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from customer_sim.simulation.confidence import Difference, Estimate
from customer_sim.simulation.kpis import KPI_BY_KEY, Group, Kind, Scope, kpis_of
from customer_sim.simulation.replications import Comparison, ReplicatedRun

SIGNIFICANT = "*"

#: The per-SKU table's columns (the full set is in summary.json and report.html).
SKU_COLUMNS = [
    "fill_rate",
    "cycle_service_level",
    "out_of_stock_open",
    "units_lost_not_on_shelf",
    "units_lost_at_checkout",
    "average_on_hand",
    "purchase_orders",
    "total_cost",
]
#: The per-SKU comparison: the headline service level and what it costs.
SKU_COMPARED = ["fill_rate", "average_on_hand", "total_cost"]


def format_value(kind: Kind, value: float | None) -> str:
    if value is None:
        return "-"
    if kind is Kind.RATE:
        return f"{100 * value:.1f}%"
    if kind is Kind.MONEY:
        return f"{value:,.2f}"
    if kind is Kind.UNITS:
        return f"{value:,.1f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_estimate(kind: Kind, estimate: Estimate) -> str:
    """The value (one replication), or ``mean ± half-width``."""
    if estimate.mean is None or estimate.half_width is None:
        return format_value(kind, estimate.mean)
    if kind is Kind.RATE:
        return f"{100 * estimate.mean:.1f} ± {100 * estimate.half_width:.1f}%"
    if kind is Kind.MONEY:
        return f"{estimate.mean:,.2f} ± {estimate.half_width:,.2f}"
    return f"{estimate.mean:,.1f} ± {estimate.half_width:,.1f}"


def format_difference(kind: Kind, difference: Difference) -> str:
    """``+d ± h`` (rates in percentage points), ``*`` when the interval excludes zero."""
    if difference.mean is None:
        return "-"
    scale, unit, digits = (100, " pp", 1) if kind is Kind.RATE else (1, "", 2)
    if kind in (Kind.COUNT, Kind.UNITS):
        digits = 1
    text = f"{scale * difference.mean:+,.{digits}f}"
    if difference.half_width is not None:
        text += f" ± {scale * difference.half_width:,.{digits}f}"
    return text + unit + (f" {SIGNIFICANT}" if difference.significant else "")


@dataclass
class Table:
    """A table's cells, drawn as text by the CLI and as HTML by the report. ``sections``
    are the indexes of rows that only name the section below them."""

    header: list[str]
    rows: list[list[str]]
    sections: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        return render_table(self.header, self.rows)


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


def _grouped(header: list[str], cells: dict[str, list[str]], scope: Scope = Scope.RUN) -> Table:
    """The KPIs of ``scope``, a row each, under their section names (service, demand, stock,
    costs)."""
    table = Table(header, [])
    group: Group | None = None
    for kpi in kpis_of(scope):
        if kpi.group is not group:
            group = kpi.group
            table.sections.add(len(table.rows))
            table.rows.append([group.value, *([""] * (len(header) - 1))])
        table.rows.append([f"  {kpi.label}", *cells[kpi.key]])
    return table


def kpi_table(runs: Sequence[ReplicatedRun], names: Sequence[str]) -> Table:
    """The KPIs of one or more runs side by side (one column per run)."""
    estimates = [run.estimates() for run in runs]
    cells = {
        kpi.key: [format_estimate(kpi.kind, e[kpi.key]) for e in estimates]
        for kpi in kpis_of(Scope.RUN)
    }
    return _grouped(["KPI", *names], cells)


def sku_table(run: ReplicatedRun) -> Table:
    """One row per SKU, the KPIs of `SKU_COLUMNS` under their short names."""
    rows = []
    for sku, estimates in zip(run.info.skus, run.sku_estimates().values()):
        cells = [format_estimate(KPI_BY_KEY[key].kind, estimates[key]) for key in SKU_COLUMNS]
        rows.append([sku.sku, sku.policy, *cells])
    return Table(["sku", "policy", *(KPI_BY_KEY[key].short for key in SKU_COLUMNS)], rows)


def sku_kpis_table(run: ReplicatedRun) -> Table:
    """Every per-SKU KPI: one row per KPI, one column per SKU (the report's full view)."""
    estimates = run.sku_estimates()
    cells = {
        kpi.key: [format_estimate(kpi.kind, estimates[sku.sku][kpi.key]) for sku in run.info.skus]
        for kpi in kpis_of(Scope.SKU)
    }
    header = ["KPI", *(f"{sku.sku} ({sku.policy})" for sku in run.info.skus)]
    return _grouped(header, cells, Scope.SKU)


def comparison_table(comparison: Comparison) -> Table:
    """Every run's KPIs, and each run's paired difference to the first."""
    names, runs = comparison.names, comparison.runs
    estimates = [run.estimates() for run in runs]
    differences = [comparison.differences(run) for run in runs[1:]]
    cells = {}
    for kpi in kpis_of(Scope.RUN):
        row = [format_estimate(kpi.kind, e[kpi.key]) for e in estimates]
        row += [format_difference(kpi.kind, d[kpi.key]) for d in differences]
        cells[kpi.key] = row
    header = ["KPI", *names, *(f"{name} - {names[0]}" for name in names[1:])]
    return _grouped(header, cells)


def sku_comparison_table(comparison: Comparison, key: str) -> Table:
    """One KPI per SKU: each run's value and its paired difference to the first run."""
    names, runs = comparison.names, comparison.runs
    kind = KPI_BY_KEY[key].kind
    estimates = [run.sku_estimates() for run in runs]
    rows = []
    for sku in comparison.shared_skus:
        row = [sku, *(format_estimate(kind, e[sku][key]) for e in estimates)]
        row += [
            format_difference(kind, comparison.sku_differences(run, sku)[key]) for run in runs[1:]
        ]
        rows.append(row)
    header = [KPI_BY_KEY[key].label, *names, *(f"{name} - {names[0]}" for name in names[1:])]
    return Table(header, rows)


def headline(run: ReplicatedRun) -> str:
    info = run.info
    start = f" from {info.start.date()}" if info.start is not None else ""
    if run.n > 1:
        seeds = ", ".join(str(seed) for seed in run.seeds[:3]) + (", ..." if run.n > 3 else "")
        what = f"{run.n} replications (seeds {seeds}; mean ± 95% confidence half-width)"
    elif run.n == 1:
        what = f"1 replication (store {run.replications[0].store_id})"
    else:
        what = "no replication finished"
    return f"{info.scenario} - seed {info.seed}, {info.days} days{start}, {what}"


def describe_run(run: ReplicatedRun) -> str:
    """A run's headline, KPI table and per-SKU table, as ``run`` and ``show`` print them."""
    if not run.replications:
        return headline(run)
    tables = [kpi_table([run], [run.info.scenario]), sku_table(run)]
    return "\n\n".join([headline(run), *(str(table) for table in tables)])


def daily_table(run: ReplicatedRun) -> Table:
    """Each day's KPIs (the mean over the replications when there are several)."""
    kpis = kpis_of(Scope.DAY)
    rows = [
        [day, *(format_value(kpi.kind, figures[kpi.key]) for kpi in kpis)]
        for day, figures in run.daily_means()
    ]
    title = "day" if run.n == 1 else f"day (mean of {run.n})"
    return Table([title, *(kpi.short for kpi in kpis)], rows)


def performance_line(runs: Sequence[ReplicatedRun], seconds: float, parallel: int) -> str:
    """How fast the runs went: customers, wall time, HTTP calls, replications."""
    replications = [r for run in runs for r in run.replications]
    customers = sum(int(r.performance.get("customers", 0)) for r in replications)
    calls = sum(int(r.performance.get("http_calls", 0)) for r in replications)
    at_once = f", {parallel} at a time" if parallel > 1 and len(replications) > 1 else ""
    count = f"{len(replications)} replication{'s' if len(replications) != 1 else ''}"
    rate = customers / seconds if seconds > 0 else 0.0
    return (
        f"{customers} customers in {seconds:.1f}s ({rate:.0f} simulated customers/s, "
        f"{calls} HTTP calls; {count}{at_once})"
    )
