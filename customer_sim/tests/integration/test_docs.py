"""The README speaks the KPI set's vocabulary: every KPI, by its label and its key."""

from pathlib import Path

from customer_sim.simulation.kpis import KPIS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_kpi_by_label_and_key():
    text = README.read_text(encoding="utf-8")
    missing = [kpi.key for kpi in KPIS if f"| {kpi.label} | `{kpi.key}` |" not in text]
    assert missing == []
