"""The README speaks the KPI set's vocabulary: every KPI, by its label and its key, where it
applies and what it means, word for word as the code (and so the HTML report) has it."""

from pathlib import Path

from customer_sim.simulation.kpis import KPIS, Scope

README = Path(__file__).resolve().parents[2] / "README.md"
SCOPE_NAMES = [(Scope.RUN, "run"), (Scope.SKU, "SKU"), (Scope.DAY, "day")]


def test_the_readme_lists_every_kpi_by_label_and_key():
    text = README.read_text(encoding="utf-8")
    missing = [kpi.key for kpi in KPIS if f"| {kpi.label} | `{kpi.key}` |" not in text]
    assert missing == []


def test_the_readme_defines_each_kpi_as_the_code_does():
    text = README.read_text(encoding="utf-8")
    for kpi in KPIS:
        scopes = ", ".join(name for scope, name in SCOPE_NAMES if scope in kpi.scope)
        assert f"| {kpi.label} | `{kpi.key}` | {scopes} | {kpi.meaning} |" in text, kpi.key
