"""Test data: scenario documents (a small valid scenario, and ways to bend it), and a run's
account with the services' matching records built by hand (plain data, for the pure parts)."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml

from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.environment import SimulationOutcome
from customer_sim.simulation.kpis import DemandTally
from customer_sim.simulation.ports import (
    DailySales,
    LedgerEntry,
    OrderLine,
    PlacedOrder,
    PurchaseOrderRecord,
    Reconciliation,
    SkuReconciliation,
)
from customer_sim.simulation.results import ServiceRecords

BASE: dict[str, Any] = {
    "name": "test",
    "seed": 11,
    "start": "2026-03-02T00:00:00Z",
    "days": 2,
    "opening_hours": {"open": "08:00", "close": "20:00"},
    "arrivals": {"model": "poisson", "rate_per_hour": 6},
    "customers": {
        "budget": {"dist": "normal", "mean": 20, "sd": 5, "min": 0},
        "wish_list": {
            "size": {"dist": "uniform", "low": 1, "high": 3},
            "quantity": {"dist": "choice", "values": [1, 2]},
        },
        "step_minutes": {"dist": "uniform", "low": 1, "high": 3},
    },
    "products": [
        {
            "sku": "milk",
            "price": 1.2,
            "weight": 3,
            "initial_stock": 30,
            "lead_time_minutes": 1440,
            "policy": {"type": "rQ", "reorder_point": 10, "order_quantity": 20},
        },
        {
            "sku": "bread",
            "price": 2.5,
            "weight": 2,
            "initial_stock": 15,
            "policy": {"type": "sS", "reorder_point": 5, "order_up_to": 20},
        },
        {"sku": "jam", "price": 3.0, "initial_stock": 5},
    ],
}


def scenario_data(**changes: Any) -> dict[str, Any]:
    """A deep copy of `BASE` with top-level keys replaced (None removes a key)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def scenario_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def make_scenario(**changes: Any) -> Scenario:
    return Scenario.model_validate(scenario_data(**changes))


#: One order as ``{sku: (requested, fulfilled)}``; a day is a list of them.
Basket = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class HandBuiltRun:
    """What a run of ``scenario`` would have counted, and what the services would then hold."""

    scenario: Scenario
    outcome: SimulationOutcome
    records: ServiceRecords


def hand_built_run(scenario: Scenario, days: list[list[Basket]], lookers: int = 2) -> HandBuiltRun:
    """A consistent account of ``days`` of orders (placed from 09:00, a minute apart), with
    ``lookers`` more customers a day who found nothing and left (one unit of the first product
    not on the shelf each, at 08:30).

    The ledger starts with each product's initial stock as an adjustment, books each fulfilled
    line as an issue, and the first product's first issue places a purchase order due a day
    later (still open). The store's daily sales and reconciliation agree with it all.
    """
    prices = {product.sku: product.price for product in scenario.products}
    first_sku = scenario.products[0].sku
    on_hand = {product.sku: product.initial_stock for product in scenario.products}
    ledger = [
        LedgerEntry(p.sku, "adjustment", p.initial_stock, p.initial_stock, scenario.start)
        for p in scenario.products
    ]
    purchase_orders: list[PurchaseOrderRecord] = []
    tallies = [DemandTally() for _ in days]
    skus = {sku: DemandTally() for sku in prices}
    shortages: dict[str, list] = {sku: [] for sku in prices}
    sales = []
    for day, baskets in enumerate(days):
        tally = tallies[day]
        tally.arrivals = len(baskets) + lookers
        tally.units_not_on_shelf = lookers
        skus[first_sku].units_not_on_shelf += lookers
        if lookers:
            shortages[first_sku].append(scenario.start + timedelta(days=day, hours=8, minutes=30))
        for number, basket in enumerate(baskets):
            at = scenario.start + timedelta(days=day, hours=9, minutes=number)
            lines = [
                OrderLine(sku, asked, got, prices[sku]) for sku, (asked, got) in basket.items()
            ]
            total = sum((line.fulfilled * line.unit_price for line in lines), Decimal("0"))
            tally.add_order(PlacedOrder(f"order-{day}-{number}", lines, total))
            for line in lines:
                skus[line.sku].add_line(line.requested, line.fulfilled, line.unit_price)
                if line.lost:
                    shortages[line.sku].append(at)
                if line.fulfilled:
                    on_hand[line.sku] -= line.fulfilled
                    ledger.append(
                        LedgerEntry(line.sku, "issue", -line.fulfilled, on_hand[line.sku], at)
                    )
                    if line.sku == first_sku and not purchase_orders:
                        due = at + timedelta(days=1)
                        purchase_orders.append(PurchaseOrderRecord(line.sku, 20, "open", at, due))
        if baskets:
            date = (scenario.start + timedelta(days=day)).date()
            sales.append(
                DailySales(
                    date,
                    tally.orders,
                    tally.units_sold,
                    tally.units_lost_at_checkout,
                    tally.revenue,
                )
            )
    issued: dict[str, int] = defaultdict(int)
    for entry in ledger:
        if entry.kind == "issue":
            issued[entry.sku] -= entry.quantity
    reconciliation = Reconciliation(
        True,
        [SkuReconciliation(sku, skus[sku].units_sold, issued[sku]) for sku in sorted(issued)],
    )
    outcome = SimulationOutcome(
        days=tallies,
        skus=skus,
        shortages=shortages,
        customers=sum(tally.arrivals for tally in tallies),
        events=0,
        http_calls=0,
    )
    return HandBuiltRun(
        scenario, outcome, ServiceRecords(ledger, purchase_orders, sales, reconciliation)
    )
