"""The result of a run: KPIs overall, per SKU and per day, and the JSON summary of them.

Everything here is derived from the scenario, the simulator's own tallies and the services'
records, so that two runs of one scenario and seed give equal results (the store id and the
performance figures aside).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.kpis import (
    DemandTally,
    fraction_out_of_stock,
    on_hand_steps,
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
class DailyRow:
    day: str  # the date, in the scenario start's time zone
    tally: DemandTally

    def as_dict(self) -> dict[str, Any]:
        """The columns of ``daily.csv`` and of the run database's daily rows."""
        return {"day": self.day, **demand_kpis(self.tally, with_orders=False)}


def demand_kpis(tally: DemandTally, with_orders: bool = True) -> dict[str, Any]:
    figures: dict[str, Any] = {"arrivals": tally.arrivals, "buyers": tally.buyers}
    if with_orders:
        figures["orders"] = tally.orders
    return {
        **figures,
        "units_demanded": tally.units_demanded,
        "units_sold": tally.units_sold,
        "units_lost": tally.units_lost,
        "revenue": money(tally.revenue),
        "fill_rate": rate(tally.fill_rate),
        "units_not_found": tally.units_not_found,
        "shelf_fill_rate": rate(tally.shelf_fill_rate),
    }


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
    performance: dict[str, float] = field(default_factory=dict)

    @property
    def on_hand(self) -> dict[str, list[tuple[datetime, int]]]:
        """On hand over time per SKU, from the ledger (for plots)."""
        return on_hand_steps(self.records.ledger)

    def sku_kpis(self) -> list[dict[str, Any]]:
        steps = self.on_hand
        rows = []
        for product in self.scenario.products:
            tally = self.skus[product.sku]
            sku_steps = steps.get(product.sku, [])
            orders = [po for po in self.records.purchase_orders if po.sku == product.sku]
            rows.append(
                {
                    "sku": product.sku,
                    "name": product.display_name,
                    "policy": product.policy.to_api(),
                    "lead_time_minutes": product.lead_time_minutes,
                    "initial_stock": product.initial_stock,
                    "units_demanded": tally.units_demanded,
                    "units_sold": tally.units_sold,
                    "units_lost": tally.units_lost,
                    "fill_rate": rate(tally.fill_rate),
                    "units_not_found": tally.units_not_found,
                    "shelf_fill_rate": rate(tally.shelf_fill_rate),
                    "revenue": money(tally.revenue),
                    "average_on_hand": round(
                        time_weighted_average(sku_steps, self.start, self.end), 3
                    ),
                    "out_of_stock_fraction": round(
                        fraction_out_of_stock(sku_steps, self.start, self.end), 4
                    ),
                    "final_on_hand": sku_steps[-1][1] if sku_steps else 0,
                    "purchase_orders": len(orders),
                    "units_ordered": sum(po.quantity for po in orders),
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        skus = self.sku_kpis()
        return {
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "seed": self.scenario.seed,
            "store_id": self.store_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.scenario.days,
            "kpis": {
                **demand_kpis(self.totals),
                "average_on_hand": round(sum(row["average_on_hand"] for row in skus), 3),
                "purchase_orders": len(self.records.purchase_orders),
            },
            "skus": skus,
            "checks": {
                "reconciliation_balanced": self.records.reconciliation.balanced,
                "units_sold_by_store": sum(d.units_sold for d in self.records.daily_sales),
                "units_issued_by_inventory": units_issued(self.records.ledger),
            },
            "performance": self.performance,
        }


def units_issued(ledger: list[LedgerEntry], sku: str | None = None) -> int:
    return sum(
        -entry.quantity
        for entry in ledger
        if entry.kind == "issue" and (sku is None or entry.sku == sku)
    )


def money(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01")))


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
