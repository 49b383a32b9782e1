"""The plots of a run and of a comparison, drawn with matplotlib's Agg canvas directly (no
display, no global pyplot state), with dates on every time axis and the KPI set's labels.

- ``on_hand.png``: per SKU, on hand and inventory position over time, the policy's levels
  (r, S, r + Q), orders placed and received, closed hours shaded (one replication).
- ``daily_sales.png``: units sold and lost (both ways) per day, and the lost units and fill
  rate on their own scale so that small losses stay visible (the mean over replications).
- ``comparison.png``: per SKU and for the store, each scenario's fill rate, average on hand
  and total cost, and each one's paired difference to the first, with confidence intervals.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from customer_sim.simulation.confidence import Difference, Estimate
from customer_sim.simulation.kpis import KPI_BY_KEY, inventory_position_steps
from customer_sim.simulation.replications import Comparison, ReplicatedRun
from customer_sim.simulation.results import RunResult

SOLD, AT_CHECKOUT, NOT_ON_SHELF = "tab:green", "tab:red", "tab:orange"
ON_HAND, POSITION, LEVEL, PLACED, RECEIVED = (
    "tab:blue",
    "tab:gray",
    "tab:red",
    "tab:purple",
    "tab:green",
)
CLOSED = "#e8e8e8"
LEVEL_STYLES = {"r": "--", "s": "--", "S": ":", "r + Q": ":"}
SKU_PANELS = ["fill_rate", "average_on_hand", "total_cost"]


def save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=100)


def _date_axis(axes: Axes, start: datetime, end: datetime) -> None:
    tz = start.tzinfo
    locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=8)
    formatter = mdates.ConciseDateFormatter(locator, tz=tz)
    formatter.formats = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"]
    formatter.zero_formats = ["", "%Y", "%d %b", "%d %b", "%H:%M", "%H:%M"]
    formatter.offset_formats = [""] * 6  # the year is in the title
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(formatter)
    axes.set_xlim(start, end)


def _shade_closed_hours(axes: Axes, result: RunResult) -> None:
    """Closed hours as grey bands, the axes' full height: one collection of them (a patch
    each, as ``axvspan`` makes, cost a 14-day plot of 10 SKUs a fifth of a second)."""
    calendar = result.scenario.calendar
    spans = [
        (mdates.date2num(calendar.at(begin)), mdates.date2num(calendar.at(end)))
        for begin, end in result.scenario.hours.closed_periods(calendar.horizon)
    ]
    axes.broken_barh(
        [(start, end - start) for start, end in spans],
        (0, 1),
        transform=axes.get_xaxis_transform(),
        color=CLOSED,
        linewidth=0,
        zorder=0,
    )


def _level_at(steps: Sequence[tuple[datetime, int]], at: datetime) -> int:
    """The step function's value at ``at`` (after everything that happened then)."""
    level = 0
    for when, value in steps:
        if when > at:
            break
        level = value
    return level


def _carried_to_end(steps: list[tuple[datetime, int]], end: datetime) -> tuple[list, list]:
    times = [at for at, _ in steps]
    levels = [level for _, level in steps]
    if steps:
        times.append(end)
        levels.append(levels[-1])
    return times, levels


def plot_stock(result: RunResult, path: Path) -> None:
    """Small multiples, one per SKU: on hand and inventory position (on hand + on order)
    over time, the policy's levels, and the purchase orders placed and received."""
    products = result.scenario.products
    columns = min(3, len(products))
    rows = math.ceil(len(products) / columns)
    width, height = max(4.6 * columns, 9.2), 2.7 * rows + 0.9  # (the legend's width)
    figure = Figure(figsize=(width, height))
    # Margins in inches, as the constrained layout found them for this grid (which took a
    # third of the plot's time, laying out 10 panels of date ticks): the title above, the
    # legend below, "units" and the tick labels left, the levels' names right of each panel.
    figure.subplots_adjust(
        left=0.75 / width,
        right=1 - 0.4 / width,
        top=1 - 0.8 / height,
        bottom=0.8 / height,
        wspace=0.75 / (width / columns - 0.75),
        hspace=0.6 / (height / rows - 0.6),
    )
    on_hand = result.on_hand
    for index, product in enumerate(products):
        axes = figure.add_subplot(rows, columns, index + 1)
        _shade_closed_hours(axes, result)
        steps = on_hand.get(product.sku, [])
        orders = [po for po in result.records.purchase_orders if po.sku == product.sku]
        position = inventory_position_steps(steps, orders, result.end)
        axes.step(
            *_carried_to_end(position, result.end),
            where="post",
            color=POSITION,
            linewidth=1,
            linestyle="-",
            alpha=0.8,
        )
        axes.step(*_carried_to_end(steps, result.end), where="post", color=ON_HAND, linewidth=1.3)
        for name, level in product.policy.reference_levels():
            axes.axhline(level, color=LEVEL, linestyle=LEVEL_STYLES[name], linewidth=1)
            axes.annotate(
                name,
                (1.0, level),
                xycoords=("axes fraction", "data"),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color=LEVEL,
            )
        placed = [po.placed_at for po in orders]
        axes.plot(
            placed,
            [_level_at(position, at) for at in placed],
            "v",
            color=PLACED,
            markersize=5,
            linestyle="none",
        )
        received = [po.due_at for po in orders if po.due_at <= result.end]
        axes.plot(
            received,
            [_level_at(steps, at) for at in received],
            "^",
            color=RECEIVED,
            markersize=5,
            linestyle="none",
        )
        axes.set_title(f"{product.sku} ({product.policy.type})", fontsize=9)
        _date_axis(axes, result.start, result.end)
        axes.set_ylim(bottom=0)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
    figure.legend(
        handles=[
            Line2D([], [], color=ON_HAND, label="on hand"),
            Line2D([], [], color=POSITION, label="inventory position (on hand + on order)"),
            Line2D([], [], color=LEVEL, linestyle="--", label="reorder point (r, s)"),
            Line2D([], [], color=LEVEL, linestyle=":", label="order-up-to level (S; r + Q)"),
            Line2D([], [], color=PLACED, marker="v", linestyle="none", label="order placed"),
            Line2D([], [], color=RECEIVED, marker="^", linestyle="none", label="order received"),
            Patch(color=CLOSED, label="closed"),
        ],
        loc="lower center",
        ncols=4,
        fontsize=8,
        frameon=False,
    )
    figure.supylabel("units", fontsize=9, x=0.15 / width)
    scenario = result.scenario
    figure.suptitle(
        f"Stock per SKU: {scenario.name}, replication {result.replication} "
        f"(seed {scenario.seed}), from {result.start.date()}"
    )
    save(figure, path)


def plot_daily_sales(run: ReplicatedRun, path: Path) -> None:
    """Per day: units sold and lost, stacked; below, the lost units and the fill rate on
    their own scales (losses are often too small to see next to sales)."""
    days = run.daily_means()
    zone = run.info.start.tzinfo if run.info.start is not None else None
    midnights = [datetime.fromisoformat(day).replace(tzinfo=zone) for day, _ in days]
    dates = [midnight + timedelta(hours=12) for midnight in midnights]

    def series(key: str) -> list[float]:
        return [figures[key] or 0.0 for _, figures in days]

    sold = series("units_sold")
    at_checkout = series("units_lost_at_checkout")
    not_on_shelf = series("units_lost_not_on_shelf")
    labels = {key: KPI_BY_KEY[key].label for key in KPI_BY_KEY}
    figure = Figure(figsize=(max(7.0, 0.5 * len(days) + 3), 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    width = 0.8
    top.bar(dates, sold, width, color=SOLD, label=labels["units_sold"])
    top.bar(
        dates,
        at_checkout,
        width,
        bottom=sold,
        color=AT_CHECKOUT,
        label=labels["units_lost_at_checkout"],
    )
    stacked = [a + b for a, b in zip(sold, at_checkout)]
    top.bar(
        dates,
        not_on_shelf,
        width,
        bottom=stacked,
        color=NOT_ON_SHELF,
        label=labels["units_lost_not_on_shelf"],
    )
    top.set_ylabel("units")
    top.set_ylim(top=1.18 * max([a + b for a, b in zip(stacked, not_on_shelf)], default=1))
    top.tick_params(labelbottom=False)
    top.legend(fontsize=8, loc="upper left", ncols=3)
    top.grid(axis="y", alpha=0.3)
    bottom.bar(dates, not_on_shelf, width, color=NOT_ON_SHELF)
    bottom.bar(dates, at_checkout, width, bottom=not_on_shelf, color=AT_CHECKOUT)
    bottom.set_ylabel("units lost")
    bottom.grid(axis="y", alpha=0.3)
    rate = bottom.twinx()
    rates = [100 * f["fill_rate"] if f["fill_rate"] is not None else math.nan for _, f in days]
    rate.plot(
        dates, rates, "o-", color="black", markersize=3, linewidth=1, label=labels["fill_rate"]
    )
    rate.set_ylabel("fill rate (%)")
    lowest = min((r for r in rates if not math.isnan(r)), default=100.0)
    rate.set_ylim(max(0.0, lowest - 0.1 * (100 - lowest) - 1), 100.5)  # fit the data, not 0-100
    bottom.set_title(f"units lost (bars, left) and {labels['fill_rate']} (line, right)", fontsize=9)
    bottom.set_xlim(midnights[0], midnights[-1] + timedelta(days=1))
    step = max(1, math.ceil(len(dates) / 16))
    bottom.set_xticks(
        dates[::step],
        [day.strftime("%a %d %b") for day in midnights[::step]],
        rotation=45,
        ha="right",
        fontsize=8,
    )
    mean = f", mean of {run.n} replications" if run.n > 1 else ""
    figure.suptitle(f"Daily units sold and lost: {run.info.scenario}{mean} ({midnights[0].year})")
    save(figure, path)


def _interval(estimate: Estimate | None) -> tuple[float, float]:
    """(mean, half-width) to plot: NaN leaves a gap, no interval draws no bar."""
    if estimate is None or estimate.mean is None:
        return math.nan, 0.0
    return estimate.mean, estimate.half_width or 0.0


def _points(
    axes: Axes,
    values: Sequence[Estimate | None],
    offset: float,
    scale: float,
    colour: str,
    label: str,
) -> None:
    """Points with their confidence intervals; a significant difference is drawn filled,
    any other difference hollow."""
    centres = [index + offset for index in range(len(values))]
    differences = any(isinstance(value, Difference) for value in values)
    for filled in (True, False) if differences else (True,):
        chosen = [
            (x, value)
            for x, value in zip(centres, values)
            if not isinstance(value, Difference) or value.significant is filled
        ]
        if not chosen:
            continue
        points = [_interval(value) for _, value in chosen]
        axes.errorbar(
            [x for x, _ in chosen],
            [scale * mean for mean, _ in points],
            yerr=[scale * half for _, half in points],
            fmt="o",
            capsize=3,
            markersize=5,
            color=colour,
            markerfacecolor=colour if filled else "white",
            label=label,
        )
        label = None  # one legend entry per scenario


def plot_comparison(comparison: Comparison, path: Path) -> None:
    """Per SKU, the fill rate, average on hand and total cost of each scenario (top) and
    each one's paired difference to the first (bottom), all with their confidence
    intervals. The differences are what a paired comparison judges: they can be clearly
    non-zero while the scenarios' own intervals overlap, because both meet the same
    customers. Axes fit the data (a 0-100 axis would flatten real gaps)."""
    names, runs = comparison.names, comparison.runs
    baseline = comparison.baseline
    skus = comparison.shared_skus
    others = runs[1:]
    estimates = [run.sku_estimates() for run in runs]
    store = [run.estimates() for run in runs]
    differences = [{sku: comparison.sku_differences(run, sku) for sku in skus} for run in others]
    store_differences = [comparison.differences(run) for run in others]
    width = min(24.0, max(12.0, 0.9 * (len(skus) + 1) * len(SKU_PANELS)))
    figure = Figure(figsize=(width, 8), layout="constrained")
    panels = figure.subplots(2, len(SKU_PANELS), squeeze=False)
    offsets = [(i - (len(runs) - 1) / 2) * 0.2 for i in range(len(runs))]
    for column, key in enumerate(SKU_PANELS):
        scale = 100 if key == "fill_rate" else 1
        unit = " (%)" if scale == 100 else ""
        at_store = key in store[0]  # average on hand has no store-wide figure
        categories = [*skus, "the store"] if at_store else skus
        levels, changes = panels[0][column], panels[1][column]
        for number, name in enumerate(names):
            values = [estimates[number].get(sku, {}).get(key) for sku in skus]
            values += [store[number][key]] if at_store else []
            _points(levels, values, offsets[number], scale, f"C{number}", name)
        for number, name in enumerate(names[1:], start=1):
            values = [differences[number - 1][sku][key] for sku in skus]
            values += [store_differences[number - 1][key]] if at_store else []
            label = f"{name} - {names[0]}"
            _points(changes, values, offsets[number], scale, f"C{number}", label)
        changes.axhline(0, color="black", linewidth=0.8)
        levels.set_title(KPI_BY_KEY[key].label + unit, fontsize=10)
        changes.set_title(f"difference{' (pp)' if scale == 100 else ''}, paired", fontsize=10)
        for axes in (levels, changes):
            axes.set_xticks(range(len(categories)), categories, rotation=35, ha="right",
                            fontsize=8)  # fmt: skip
            axes.grid(alpha=0.3)
    panels[0][0].legend(fontsize=8)
    if others:
        panels[1][0].legend(fontsize=8, title="filled: significant", title_fontsize=8)
    n = baseline.n
    what = f"mean ± 95% CI over {n} replications" if n > 1 else "one replication, no intervals"
    figure.suptitle(f"Scenario comparison: {what}; the same seeds, so the same customers")
    save(figure, path)
