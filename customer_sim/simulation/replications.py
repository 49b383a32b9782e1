"""Replications: one scenario run N times with independent seeds, and what they add up to.

Replication 1 runs with the scenario's own seed, so one replication is exactly the classic
single run; replication k > 1 runs with a seed derived from it (SHA-256 of the pair, like the
random streams). Every scenario compared under one seed therefore gets the same seed per
replication, meets the same customers there, and pairs up replication by replication
(common random numbers). Every KPI is then a mean with a Student t confidence interval, and a
difference between two scenarios a paired one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.confidence import (
    CONFIDENCE,
    Difference,
    Estimate,
    estimate,
    paired_difference,
)
from customer_sim.simulation.kpis import KpiSet, Scope, kpis_of
from customer_sim.simulation.results import ReplicationKpis

MAX_SEED = 2**63 - 1


def replication_seed(seed: int, number: int) -> int:
    """The seed of replication ``number`` (1-based) of a scenario with ``seed``."""
    if number == 1:
        return seed
    digest = hashlib.sha256(f"{seed}:replication:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SEED


@dataclass(frozen=True)
class SkuInfo:
    sku: str
    policy: str  # the policy type: none, rQ, sS or RS


@dataclass(frozen=True)
class RunInfo:
    """What a run's reports say about it besides the KPIs."""

    scenario: str
    description: str
    seed: int
    days: int
    start: datetime | None  # None for a run converted from before start was recorded
    skus: list[SkuInfo]

    @classmethod
    def of(cls, scenario: Scenario) -> RunInfo:
        return cls(
            scenario=scenario.name,
            description=scenario.description,
            seed=scenario.seed,
            days=scenario.days,
            start=scenario.start,
            skus=[SkuInfo(product.sku, product.policy.type) for product in scenario.products],
        )


def _estimates(sets: Sequence[KpiSet], scope: Scope) -> dict[str, Estimate]:
    return {kpi.key: estimate([s.value(kpi.key) for s in sets]) for kpi in kpis_of(scope)}


@dataclass(frozen=True)
class ReplicatedRun:
    """N replications of one scenario (N may be 1), in replication order."""

    info: RunInfo
    replications: list[ReplicationKpis]

    @property
    def n(self) -> int:
        return len(self.replications)

    @property
    def seeds(self) -> list[int]:
        return [replication.seed for replication in self.replications]

    def estimates(self) -> dict[str, Estimate]:
        """Every KPI of the store as a whole: mean and confidence half-width."""
        return _estimates([r.run for r in self.replications], Scope.RUN)

    def sku_estimates(self) -> dict[str, dict[str, Estimate]]:
        return {
            sku.sku: _estimates([r.skus[sku.sku] for r in self.replications], Scope.SKU)
            for sku in self.info.skus
        }

    def values(self, key: str, sku: str | None = None) -> list[Any]:
        """One KPI's value in each replication (of the store, or of one SKU)."""
        if sku is None:
            return [r.run.value(key) for r in self.replications]
        return [r.skus[sku].value(key) for r in self.replications]

    def daily_means(self) -> list[tuple[str, dict[str, float | None]]]:
        """Each day's KPIs averaged over the replications (the days are the same dates)."""
        days = [day for day, _ in self.replications[0].days]
        means = []
        for index, day in enumerate(days):
            sets = [r.days[index][1] for r in self.replications]
            means.append((day, {k: e.mean for k, e in _estimates(sets, Scope.DAY).items()}))
        return means

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the estimates, and every replication's own KPIs."""
        info = self.info
        return {
            "scenario": info.scenario,
            "description": info.description,
            "seed": info.seed,
            "days": info.days,
            "start": info.start.isoformat(),
            "replications": self.n,
            "confidence": CONFIDENCE,
            "kpis": {key: _estimate_json(e) for key, e in self.estimates().items()},
            "skus": {
                sku.sku: {
                    "policy": sku.policy,
                    "kpis": {key: _estimate_json(e) for key, e in estimates.items()},
                }
                for sku, estimates in zip(self.info.skus, self.sku_estimates().values())
            },
            "per_replication": [replication.summary() for replication in self.replications],
        }


def _estimate_json(value: Estimate) -> dict[str, Any]:
    figures: dict[str, Any] = {"mean": value.mean, "half_width": value.half_width, "n": value.n}
    if isinstance(value, Difference):
        figures["significant"] = value.significant
    return figures


@dataclass(frozen=True)
class Comparison:
    """Scenarios run with the same seeds, each against the first (the baseline)."""

    runs: list[ReplicatedRun]
    names: list[str]

    def __post_init__(self) -> None:
        seeds = {tuple(run.seeds) for run in self.runs}
        if len(seeds) != 1:
            raise ValueError("compared runs must share their replications' seeds")

    @property
    def baseline(self) -> ReplicatedRun:
        return self.runs[0]

    @property
    def shared_skus(self) -> list[str]:
        """The baseline's SKUs that every scenario sells, in its order: the ones a per-SKU
        table or plot can set side by side."""
        sold = [{sku.sku for sku in run.info.skus} for run in self.runs]
        return [sku.sku for sku in self.baseline.info.skus if all(sku.sku in s for s in sold)]

    def differences(self, other: ReplicatedRun) -> dict[str, Difference]:
        """``other - baseline`` for every KPI of the store as a whole, paired."""
        return {
            kpi.key: paired_difference(self.baseline.values(kpi.key), other.values(kpi.key))
            for kpi in kpis_of(Scope.RUN)
        }

    def sku_differences(self, other: ReplicatedRun, sku: str) -> dict[str, Difference]:
        return {
            kpi.key: paired_difference(
                self.baseline.values(kpi.key, sku), other.values(kpi.key, sku)
            )
            for kpi in kpis_of(Scope.SKU)
        }

    def summary(self) -> dict[str, Any]:
        """``comparison.json``: each run's estimates and each one's paired differences."""
        others = list(zip(self.names[1:], self.runs[1:]))
        return {
            "baseline": self.names[0],
            "replications": self.baseline.n,
            "seeds": self.baseline.seeds,
            "confidence": CONFIDENCE,
            "runs": {name: run.summary() for name, run in zip(self.names, self.runs)},
            "differences": {
                name: {
                    "kpis": {k: _estimate_json(d) for k, d in self.differences(run).items()},
                    "skus": {
                        sku.sku: {
                            k: _estimate_json(d)
                            for k, d in self.sku_differences(run, sku.sku).items()
                        }
                        for sku in self.baseline.info.skus
                        if sku.sku in {s.sku for s in run.info.skus}
                    },
                }
                for name, run in others
            },
        }
