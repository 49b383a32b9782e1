"""Replications on hand-made KPI sets: their seeds, estimates, paired comparisons, and how
the tables print them."""

from datetime import datetime, timezone

import pytest

from customer_sim.infrastructure.tables import (
    comparison_table,
    format_difference,
    format_estimate,
    kpi_table,
    sku_kpis_table,
)
from customer_sim.simulation.confidence import Difference, Estimate
from customer_sim.simulation.kpis import Kind, KpiSet
from customer_sim.simulation.replications import (
    Comparison,
    ReplicatedRun,
    RunInfo,
    SkuInfo,
    replication_seed,
)
from customer_sim.simulation.results import ReplicationKpis

START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_replication_one_runs_with_the_scenarios_seed_and_the_others_with_derived_ones():
    assert replication_seed(42, 1) == 42
    seeds = [replication_seed(42, k) for k in range(1, 1001)]
    assert len(set(seeds)) == 1000 and all(0 <= seed < 2**63 for seed in seeds)
    assert seeds == [replication_seed(42, k) for k in range(1, 1001)]  # no hidden state
    assert replication_seed(43, 2) != replication_seed(42, 2)


def replication(number: int, fill_rate: float, sold: int, milk_on_hand: float) -> ReplicationKpis:
    return ReplicationKpis(
        number=number,
        seed=replication_seed(7, number),
        store_id=f"run-x-r{number}",
        run=KpiSet(fill_rate=fill_rate, units_sold=sold, cycle_service_level=None),
        skus={"milk": KpiSet(fill_rate=fill_rate, average_on_hand=milk_on_hand)},
        days=[("2026-03-02", KpiSet(units_sold=sold // 2)), ("2026-03-03", KpiSet(units_sold=0))],
    )


def a_run(name: str, rates: list[float], sold: list[int]) -> ReplicatedRun:
    info = RunInfo(name, "", 7, 2, START, [SkuInfo("milk", "rQ")])
    return ReplicatedRun(
        info, [replication(k + 1, r, s, 10.0 + k) for k, (r, s) in enumerate(zip(rates, sold))]
    )


def test_estimates_over_replications():
    run = a_run("a", [0.90, 0.92, 0.94], [100, 110, 120])
    estimates = run.estimates()
    assert estimates["fill_rate"].mean == pytest.approx(0.92) and estimates["fill_rate"].n == 3
    # s = 0.02, t(0.975, 2) = 4.302653: 4.302653 x 0.02 / sqrt(3)
    assert estimates["fill_rate"].half_width == pytest.approx(0.0496828, abs=1e-6)
    assert estimates["cycle_service_level"] == Estimate(None, None, 0)
    assert run.sku_estimates()["milk"]["average_on_hand"].mean == pytest.approx(11.0)
    assert run.values("units_sold") == [100, 110, 120]
    days = run.daily_means()
    assert [(day, figures["units_sold"]) for day, figures in days] == [
        ("2026-03-02", 55.0),
        ("2026-03-03", 0.0),
    ]
    summary = run.summary()
    assert summary["replications"] == 3 and summary["confidence"] == 0.95
    sold = summary["kpis"]["units_sold"]
    assert (sold["mean"], sold["n"]) == (110, 3)
    assert sold["half_width"] == pytest.approx(24.8414, 1e-4)
    assert [r["seed"] for r in summary["per_replication"]] == run.seeds


def test_a_paired_comparison_and_its_table():
    baseline = a_run("rq", [0.90, 0.92, 0.94], [100, 110, 120])
    other = a_run("ss", [0.91, 0.93, 0.95], [100, 112, 119])
    comparison = Comparison([baseline, other], ["rq", "ss"])
    differences = comparison.differences(other)
    assert differences["fill_rate"].mean == pytest.approx(0.01)
    assert differences["fill_rate"].significant  # one point better in every replication
    assert not differences["units_sold"].significant  # 0, +2, -1
    lines = str(comparison_table(comparison)).splitlines()
    assert lines[0].split() == ["KPI", "rq", "ss", "ss", "-", "rq"]
    fill = next(line for line in lines if "fill rate (sold / wanted)" in line)
    assert fill.split()[-11:] == "92.0 ± 5.0% 93.0 ± 5.0% +1.0 ± 0.0 pp *".split()
    sold = next(line for line in lines if "units sold" in line)
    assert sold.endswith("+0.3 ± 3.8")  # not significant: no mark
    with pytest.raises(ValueError):
        Comparison([baseline, a_run("short", [0.9], [1])], ["rq", "short"])


def test_formats_one_value_or_a_mean_with_its_half_width():
    assert format_estimate(Kind.RATE, Estimate(0.932, None, 1)) == "93.2%"
    assert format_estimate(Kind.RATE, Estimate(0.932, 0.0114, 5)) == "93.2 ± 1.1%"
    assert format_estimate(Kind.COUNT, Estimate(2841, None, 1)) == "2,841"
    assert format_estimate(Kind.COUNT, Estimate(2841.4, 35.23, 5)) == "2,841.4 ± 35.2"
    assert format_estimate(Kind.MONEY, Estimate(7249.1, 52.314, 5)) == "7,249.10 ± 52.31"
    assert format_estimate(Kind.RATE, Estimate(None, None, 0)) == "-"
    assert format_difference(Kind.RATE, Difference(0.004, 0.003, 5)) == "+0.4 ± 0.3 pp *"
    assert format_difference(Kind.RATE, Difference(-0.004, 0.005, 5)) == "-0.4 ± 0.5 pp"
    assert format_difference(Kind.MONEY, Difference(12.5, None, 1)) == "+12.50"


def test_one_replication_prints_plain_values():
    run = a_run("single", [0.9321], [2841])
    table = str(kpi_table([run], ["single"]))
    assert "93.2%" in table and "±" not in table and "2,841" in table


def test_every_sku_kpi_in_one_table_under_its_sections():
    run = a_run("a", [0.90, 0.92, 0.94], [100, 110, 120])
    table = sku_kpis_table(run)
    assert table.header == ["KPI", "milk (rQ)"]
    assert [table.rows[i][0] for i in sorted(table.sections)] == [
        "service",
        "demand",
        "stock",
        "costs",
    ]
    on_hand = next(row for row in table.rows if row[0].strip() == "average on hand (units)")
    assert on_hand[1] == "11.0 ± 2.5"  # 10, 11, 12: s = 1, t(0.975, 2) / sqrt(3) = 2.484
    assert not any(row[0].strip() == "customers arrived" for row in table.rows)  # not a SKU's


def test_a_comparison_sets_side_by_side_the_skus_every_scenario_sells():
    baseline = a_run("rq", [0.90, 0.92], [100, 110])
    wider = RunInfo("wide", "", 7, 2, START, [SkuInfo("jam", "none"), SkuInfo("milk", "sS")])
    other = ReplicatedRun(wider, a_run("x", [0.91, 0.93], [100, 112]).replications)
    narrower = RunInfo("narrow", "", 7, 2, START, [SkuInfo("jam", "none")])
    assert Comparison([baseline, other], ["rq", "wide"]).shared_skus == ["milk"]
    apart = Comparison([baseline, ReplicatedRun(narrower, other.replications)], ["rq", "n"])
    assert apart.shared_skus == []
