"""The result of one replication: the simulator's account, the services' records, and the
KPIs computed from them (overall, per SKU and per day).

Everything here is derived from the scenario, the simulator's own tallies and the services'
records, so that two runs of one scenario and seed give equal KPIs (the store id and the
performance figures aside).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime
from typing import Any

from customer_sim.domain.product import ProductSpec
from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.kpis import (
    DemandTally,
    KpiSet,
    Scope,
    cycles_with_stockouts,
    holding_cost,
    money,
    on_hand_steps,
    rate,
    ratio,
    receipt_times,
    share_out_of_stock,
    time_weighted_average,
)
from customer_sim.simulation.ports import (
    DailySales,
    LedgerEntry,
    PurchaseOrderRecord,
    Reconciliation,
)


@dataclass(frozen=True)
class ServiceRecords:
    """What the services recorded about the run's store, fetched after the last day."""

    ledger: list[LedgerEntry]
    purchase_orders: list[PurchaseOrderRecord]
    daily_sales: list[DailySales]
    reconciliation: Reconciliation


@dataclass(frozen=True)
class ReplicationKpis:
    """One replication's KPIs, as reports and the run database keep them: the store as a
    whole, each SKU (in the scenario's order) and each day (ISO dates)."""

    number: int
    seed: int
    store_id: str
    run: KpiSet
    skus: dict[str, KpiSet]
    days: list[tuple[str, KpiSet]]
    reconciled: bool = True
    checks: dict[str, Any] = field(default_factory=dict)  # see `RunResult.checks`
    performance: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The replication's entry in ``summary.json``."""
        return {
            "replication": self.number,
            "seed": self.seed,
            "store_id": self.store_id,
            "kpis": self.run.as_dict(Scope.RUN),
            "skus": {sku: kpis.as_dict(Scope.SKU) for sku, kpis in self.skus.items()},
            "checks": {"reconciliation_balanced": self.reconciled, **self.checks},
            "performance": self.performance,
        }


@dataclass(frozen=True)
class DailyRow:
    day: str  # the date, in the scenario start's time zone
    tally: DemandTally


@dataclass
class RunResult:
    scenario: Scenario
    store_id: str
    start: datetime
    end: datetime
    totals: DemandTally
    skus: dict[str, DemandTally]
    daily: list[DailyRow]
    records: ServiceRecords
    shortages: dict[str, list[datetime]] = field(default_factory=dict)
    performance: dict[str, float] = field(default_factory=dict)
    replication: int = 1

    @property
    def on_hand(self) -> dict[str, list[tuple[datetime, int]]]:
        """On hand over time per SKU, from the ledger (for plots)."""
        return on_hand_steps(self.records.ledger)

    def sku_kpis(self) -> dict[str, KpiSet]:
        steps = self.on_hand
        return {
            product.sku: self._sku_kpis(product, steps.get(product.sku, []))
            for product in self.scenario.products
        }

    def _sku_kpis(self, product: ProductSpec, steps: list[tuple[datetime, int]]) -> KpiSet:
        tally = self.skus[product.sku]
        orders = [po for po in self.records.purchase_orders if po.sku == product.sku]
        average = time_weighted_average(steps, self.start, self.end)
        value = average * float(product.cost)
        cycles, stocked_out = self.cycles[product.sku]
        costs = self.scenario.costs
        holding = money(holding_cost(value, costs.holding_cost_rate, self.start, self.end))
        ordering = money(costs.order_cost * len(orders))
        lost_sales = money(product.penalty * tally.units_lost)
        return replace(
            tally.kpis(),
            arrivals=None,
            buyers=None,
            orders=None,
            cycle_service_level=rate(ratio(cycles - stocked_out, cycles)),
            replenishment_cycles=cycles,
            out_of_stock_open=rate(
                share_out_of_stock(steps, self.start, self.end, self.scenario.hours)
            ),
            average_on_hand=round(average, 3),
            average_inventory_value=money(value),
            final_on_hand=steps[-1][1] if steps else 0,
            purchase_orders=len(orders),
            units_ordered=sum(po.quantity for po in orders),
            holding_cost=holding,
            ordering_cost=ordering,
            lost_sales_cost=lost_sales,
            total_cost=money(holding + ordering + lost_sales),
        )

    @cached_property
    def cycles(self) -> dict[str, tuple[int, int]]:
        """Per SKU, (completed replenishment cycles, cycles with a stock-out): counted once,
        for the SKU's KPIs and the store's pooled cycle service level."""
        return {
            sku: cycles_with_stockouts(
                receipt_times(self.records.ledger, sku), self.shortages.get(sku, [])
            )
            for sku in self.skus
        }

    def kpis(self, skus: dict[str, KpiSet] | None = None) -> KpiSet:
        """The store as a whole: demand from the totals; stock and costs summed over the SKUs
        (in money, never in units of unlike products)."""
        skus = skus if skus is not None else self.sku_kpis()
        rows = list(skus.values())
        counts = [self.cycles[sku] for sku in skus]
        cycles = sum(completed for completed, _ in counts)
        served = cycles - sum(stocked_out for _, stocked_out in counts)
        shares = [row.out_of_stock_open for row in rows if row.out_of_stock_open is not None]

        def total(key: str) -> float:
            return money(sum(row.value(key) or 0 for row in rows))

        return replace(
            self.totals.kpis(),
            cycle_service_level=rate(ratio(served, cycles)),
            replenishment_cycles=cycles,
            out_of_stock_open=rate(sum(shares) / len(shares)) if shares else None,
            average_inventory_value=total("average_inventory_value"),
            purchase_orders=len(self.records.purchase_orders),
            holding_cost=total("holding_cost"),
            ordering_cost=total("ordering_cost"),
            lost_sales_cost=total("lost_sales_cost"),
            total_cost=total("total_cost"),
        )

    def replication_kpis(self) -> ReplicationKpis:
        skus = self.sku_kpis()
        return ReplicationKpis(
            number=self.replication,
            seed=self.scenario.seed,
            store_id=self.store_id,
            run=self.kpis(skus),
            skus=skus,
            days=[(row.day, row.tally.kpis()) for row in self.daily],
            reconciled=self.records.reconciliation.balanced,
            checks=self.checks(),
            performance=dict(self.performance),
        )

    def checks(self) -> dict[str, Any]:
        """Units sold by each one's count, as reports show them beside the reconciliation
        (`ReplicationKpis.reconciled`)."""
        return {
            "units_sold_by_simulator": self.totals.units_sold,
            "units_sold_by_store": sum(d.units_sold for d in self.records.daily_sales),
            "units_issued_by_inventory": units_issued(self.records.ledger),
        }


def units_issued(ledger: list[LedgerEntry], sku: str | None = None) -> int:
    return sum(
        -entry.quantity
        for entry in ledger
        if entry.kind == "issue" and (sku is None or entry.sku == sku)
    )
