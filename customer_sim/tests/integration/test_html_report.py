"""``report.html`` as a browser shows it: a headless Chromium (or Chrome) opens the file from
disk and the test reads what it laid out — the KPI tables with their figures, and every plot
decoded from the file itself, with nothing fetched from anywhere.

Without a browser the test is skipped with its reason on a developer's machine, and fails
under CI (``CI`` set), where `.ci/run` installs Debian's chromium and GitHub's runners have
Google Chrome."""

import os
from pathlib import Path

import pytest

from customer_sim.infrastructure.reports import write_comparison_reports, write_run_reports
from customer_sim.simulation.replications import Comparison
from customer_sim.tests.integration.test_reports import BUSY, QUIET, a_plan, replications
from testkit.browser import BROWSER_ENV, HeadlessBrowser, find_browser

LAYOUT = """(() => {
  const box = (element) => element.getBoundingClientRect();
  const tables = {};
  for (const table of document.querySelectorAll("table[id]")) {
    tables[table.id] = {
      rows: table.rows.length,
      height: box(table).height,
      text: table.innerText,
    };
  }
  return {
    title: document.title,
    tables,
    images: [...document.images].map((image) => ({
      decoded: image.complete && image.naturalWidth > 0,
      width: box(image).width,
      inline: image.src.startsWith("data:image/png;base64,"),
    })),
    fetched: performance.getEntriesByType("resource").map((entry) => entry.name),
    external: document.querySelectorAll("script, link, iframe, object").length,
    highlighted: [...document.querySelectorAll("td.significant")].map((cell) => cell.innerText),
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    binary = find_browser()
    if binary is None:
        reason = f"no Chromium or Chrome found (set {BROWSER_ENV}); .ci/run installs chromium"
        if os.environ.get("CI"):
            pytest.fail(reason + " - and CI must run this test", pytrace=False)
        pytest.skip(reason)
    with HeadlessBrowser(binary) as opened:
        yield opened


def layout_of(browser: HeadlessBrowser, page: Path) -> dict:
    browser.open(page.resolve().as_uri())
    return browser.evaluate(LAYOUT)


def test_a_run_report_shows_its_tables_and_plots_from_one_file(browser, tmp_path):
    plan = a_plan(tmp_path)
    run, results = replications(plan, [BUSY, QUIET])
    write_run_reports(plan, run, results)
    fill_rate = run.estimates()["fill_rate"]

    layout = layout_of(browser, plan.output_dir / "report.html")

    assert layout["title"] == "test: simulation report"
    tables = layout["tables"]
    assert set(tables) == {"kpis", "skus", "replications", "definitions"}
    for name, table in tables.items():
        assert table["rows"] > 2 and table["height"] > 50, name
    kpis = tables["kpis"]["text"]
    assert "fill rate (sold / wanted)" in kpis and "lost: not on the shelf" in kpis
    mean, half = 100 * fill_rate.mean, 100 * fill_rate.half_width
    assert f"{mean:.1f} ± {half:.1f}%" in kpis  # the figure, as the CLI prints it
    assert "milk (rQ)" in tables["skus"]["text"] and "total cost" in tables["skus"]["text"]
    assert f"{plan.key}-r2" in tables["replications"]["text"]
    assert "balanced" in tables["replications"]["text"]

    images = layout["images"]
    assert len(images) == 2
    for image in images:
        assert image["decoded"] and image["inline"] and image["width"] > 300, image
    assert layout["fetched"] == [] and layout["external"] == 0
    browser.screenshot(tmp_path / "report.png")  # renders to the end without error
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_a_comparison_report_highlights_significant_differences(browser, tmp_path):
    plans = [a_plan(tmp_path / "cmp", name) for name in ("fewer", "more")]
    runs = []
    for plan, days in zip(plans, ([QUIET, QUIET], [BUSY, BUSY])):
        run, results = replications(plan, days)
        write_run_reports(plan, run, results)
        runs.append(run)
    write_comparison_reports(Comparison(runs, ["fewer", "more"]), plans, tmp_path / "cmp", "c-1")

    layout = layout_of(browser, tmp_path / "cmp" / "report.html")

    assert "comparison" in layout["tables"]
    assert "more - fewer" in layout["tables"]["comparison"]["text"]
    # the busier scenario sells 17 more units in both (identical) replications
    assert "+17.0 ± 0.0 *" in layout["highlighted"]
    assert [image["decoded"] and image["inline"] for image in layout["images"]] == [True]
    assert layout["fetched"] == [] and layout["external"] == 0
