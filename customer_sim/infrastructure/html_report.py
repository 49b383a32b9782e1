"""``report.html``: a run's (or a comparison's) tables, plots, scenario and reconciliation in
one self-contained file that opens from disk: styles inline, images as data URIs, no
scripts and nothing fetched."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Sequence

import yaml

from customer_sim.domain.scenario import Scenario
from customer_sim.infrastructure.tables import (
    Table,
    comparison_table,
    headline,
    kpi_table,
    sku_comparison_table,
    sku_kpis_table,
)
from customer_sim.simulation.kpis import KPIS
from customer_sim.simulation.replications import Comparison, ReplicatedRun

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.25rem;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.lead { color: #555; margin-top: 0; } .note { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #eee; white-space: nowrap; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, th:first-child { text-align: left; }
thead th { border-bottom: 2px solid #999; text-align: right; }
tr.section th { text-align: left; background: #f4f4f4; text-transform: uppercase;
                font-size: 0.75rem; letter-spacing: 0.05em; }
td.significant { font-weight: 600; background: #fff3cd; }
td.ok { color: #1a7f37; } td.bad { color: #b42318; font-weight: 600; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85rem; }
pre { background: #f6f8fa; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
"""


def table_html(table: Table, css_id: str = "", marked: str = "*") -> str:
    """A `Table` as HTML; cells ending in ``marked`` (a significant difference) stand out."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in table.header)
    rows = []
    for index, row in enumerate(table.rows):
        if index in table.sections:
            span = len(table.header)
            rows.append(f'<tr class="section"><th colspan="{span}">{escape(row[0])}</th></tr>')
            continue
        cells = []
        for cell in row:
            flag = ' class="significant"' if marked and cell.endswith(marked) else ""
            cells.append(f"<td{flag}>{escape(cell.strip())}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{css_id}"' if css_id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def image_html(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def replications_table(run: ReplicatedRun) -> Table:
    """Each replication's seed, store and reconciliation (sold = the store's sales = the
    inventory's issues)."""
    rows = []
    for replication in run.replications:
        checks = replication.checks
        rows.append(
            [
                str(replication.number),
                str(replication.seed),
                replication.store_id,
                "balanced" if replication.reconciled else "NOT balanced",
                str(checks.get("units_sold_by_simulator", "-")),
                str(checks.get("units_sold_by_store", "-")),
                str(checks.get("units_issued_by_inventory", "-")),
                f"{replication.performance.get('customers_per_second', 0):.0f}",
            ]
        )
    header = ["replication", "seed", "store", "reconciliation", "sold (simulator)",
              "sold (store)", "issued (inventory)", "customers/s"]  # fmt: skip
    return Table(header, rows)


def definitions_table() -> Table:
    rows = [[kpi.label, kpi.meaning] for kpi in KPIS]
    return Table(["KPI", "meaning"], rows)


def _page(title: str, body: list[str]) -> str:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<p class="note">Written by customer_sim on {generated}.</p>\n</body></html>\n'
    )


def _reconciliation_html(run: ReplicatedRun) -> str:
    failed = [r for r in run.replications if not r.reconciled]
    if not failed:
        verdict = (
            '<p class="ok">Every replication reconciles: units sold by the simulator\'s count '
            "= the store's sales = the inventory's issues, per SKU and in total.</p>"
        )
    else:
        numbers = ", ".join(str(r.number) for r in failed)
        verdict = f'<p class="bad">Replications {numbers} do NOT reconcile; see the run log.</p>'
    return verdict + table_html(replications_table(run), "replications", marked="")


def run_report(run: ReplicatedRun, scenario: Scenario, plots: Sequence[tuple[Path, str]]) -> str:
    """The HTML of one run's report; ``plots`` are (PNG file, caption) pairs to inline."""
    title = f"{run.info.scenario}: simulation report"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="lead">{escape(headline(run))}</p>',
        f"<p>{escape(run.info.description)}</p>" if run.info.description else "",
        "<h2>KPIs of the store</h2>",
        table_html(kpi_table([run], [run.info.scenario]), "kpis"),
        "<h2>KPIs per SKU</h2>",
        table_html(sku_kpis_table(run), "skus"),
        "<h2>Plots</h2>",
        *(image_html(path, caption) for path, caption in plots),
        "<h2>Replications and reconciliation</h2>",
        _reconciliation_html(run),
        "<h2>Scenario</h2>",
        f"<pre>{escape(yaml.safe_dump(scenario.model_dump(mode='json'), sort_keys=False))}</pre>",
        "<h2>What the KPIs mean</h2>",
        table_html(definitions_table(), "definitions", marked=""),
    ]
    return _page(title, body)


def comparison_report(
    comparison: Comparison,
    scenarios: Sequence[Scenario],
    run_links: Sequence[str],
    plot: Path,
) -> str:
    """The HTML of a comparison: every KPI side by side with its paired difference to the
    first scenario (highlighted when significant), per SKU, the plot, and the scenarios."""
    names = comparison.names
    n = comparison.baseline.n
    title = "Scenario comparison: " + " vs ".join(names)
    paired = (
        f"{n} replications with the same seeds in every scenario (the same customers), "
        "so each difference is a paired one: mean ± 95% confidence half-width of the "
        "per-replication differences; highlighted (*) where the interval excludes zero."
        if n > 1
        else "One replication: no confidence intervals; run with --replications N (N >= 2) "
        "to see which differences are significant."
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="lead">{escape(paired)}</p>',
        "<h2>KPIs of the store</h2>",
        table_html(comparison_table(comparison), "comparison"),
        "<h2>Per SKU</h2>",
        *(
            table_html(sku_comparison_table(comparison, key), f"skus-{key}")
            for key in ("fill_rate", "cycle_service_level", "average_on_hand", "total_cost")
        ),
        "<h2>Plot</h2>",
        image_html(plot, "Per SKU: fill rate, average on hand and total cost per scenario"),
        "<h2>Runs</h2>",
        "<ul>"
        + "".join(
            f'<li><a href="{escape(link)}">{escape(name)}</a>: {escape(headline(run))}</li>'
            for name, run, link in zip(names, comparison.runs, run_links)
        )
        + "</ul>",
        "<h2>Reconciliation</h2>",
        *(
            f"<h3>{escape(name)}</h3>" + _reconciliation_html(run)
            for name, run in zip(names, comparison.runs)
        ),
        "<h2>Scenarios</h2>",
        *(
            f"<h3>{escape(name)}</h3><pre>"
            + escape(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
            + "</pre>"
            for name, scenario in zip(names, scenarios)
        ),
        "<h2>What the KPIs mean</h2>",
        table_html(definitions_table(), "definitions", marked=""),
    ]
    return _page(title, body)
