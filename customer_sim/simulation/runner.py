"""One run, start to finish: open a store, seed it, simulate, collect, check.

Each run opens its own store (its id is also its inventory location), so runs never disturb
each other and can be compared side by side. After the last day the services' own records
are fetched and checked against the simulator's account; a run whose books do not balance
fails with `InconsistentRun` instead of reporting numbers nobody should trust.
"""

from __future__ import annotations

import time
import uuid

from customer_sim.domain.scenario import Scenario
from customer_sim.simulation.environment import Progress, SimulationOutcome, StoreEnvironment
from customer_sim.simulation.kpis import DemandTally
from customer_sim.simulation.ports import InventoryPort, StorePort
from customer_sim.simulation.results import DailyRow, RunResult, ServiceRecords, units_issued


class InconsistentRun(Exception):
    """The simulator's counts and the services' records disagree; ``result`` holds what was
    measured so that it can still be written out for inspection."""

    def __init__(self, problems: list[str], result: RunResult) -> None:
        super().__init__("the run's records do not reconcile:\n  - " + "\n  - ".join(problems))
        self.problems = problems
        self.result = result


def new_run_key(scenario_name: str) -> str:
    """A fresh key per run, e.g. ``run-default-1a2b3c4d``: it names the run, its report folder
    and its stores (the key itself for replication 1, then ``<key>-r2``, ...). Not drawn from
    the seeded streams: it never influences the run."""
    return f"run-{scenario_name}-{uuid.uuid4().hex[:8]}"


def open_store(
    scenario: Scenario, store_id: str, store: StorePort, inventory: InventoryPort
) -> None:
    """Create the store, its catalog, and the stock items with their policies, at ``start``."""
    store.open_store(store_id, f"{scenario.name} (seed {scenario.seed})")
    for product in scenario.products:
        store.put_product(
            store_id, product.sku, product.display_name, product.category, product.price
        )
    for product in scenario.products:
        inventory.put_item(
            store_id,
            product.sku,
            on_hand=product.initial_stock,
            policy=product.policy.to_api(),
            lead_time_minutes=product.lead_time_minutes,
            at=scenario.start,
        )


def run_scenario(
    scenario: Scenario,
    store: StorePort,
    inventory: InventoryPort,
    store_id: str | None = None,
    progress: Progress | None = None,
    replication: int = 1,
) -> RunResult:
    """Run ``scenario`` in a store of its own; raise `InconsistentRun` if the books differ.

    ``customers_per_second`` in the result's performance measures the simulation itself
    (seeding the store and fetching the records afterwards are not counted).
    """
    store_id = store_id or new_run_key(scenario.name)
    open_store(scenario, store_id, store, inventory)
    started = time.perf_counter()
    outcome = StoreEnvironment(scenario, store_id, store, inventory, progress).run()
    seconds = time.perf_counter() - started
    records = ServiceRecords(
        ledger=inventory.movements(store_id),
        purchase_orders=inventory.purchase_orders(store_id),
        daily_sales=store.daily_sales(store_id),
        reconciliation=store.reconciliation(store_id),
    )
    result = build_result(scenario, store_id, outcome, records)
    result.replication = replication
    result.performance = {
        "customers": outcome.customers,
        "events": outcome.events,
        "http_calls": outcome.http_calls,
        "simulation_seconds": round(seconds, 3),
        "customers_per_second": round(outcome.customers / seconds, 1) if seconds else 0.0,
    }
    problems = check_consistency(outcome, records)
    if problems:
        raise InconsistentRun(problems, result)
    return result


def build_result(
    scenario: Scenario, store_id: str, outcome: SimulationOutcome, records: ServiceRecords
) -> RunResult:
    calendar = scenario.calendar
    totals = DemandTally()
    for tally in outcome.days:
        totals.add(tally)
    daily = [DailyRow(calendar.date_of_day(day), tally) for day, tally in enumerate(outcome.days)]
    return RunResult(
        scenario=scenario,
        store_id=store_id,
        start=calendar.start,
        end=calendar.end,
        totals=totals,
        skus=outcome.skus,
        daily=daily,
        records=records,
        shortages=outcome.shortages,
    )


def check_consistency(outcome: SimulationOutcome, records: ServiceRecords) -> list[str]:
    """Every way the simulator's account and the services' records must agree."""
    problems = []
    store = records.daily_sales
    sold = sum(day.units_sold for day in outcome.days)
    figures = [
        ("orders", sum(d.orders for d in outcome.days), sum(d.orders for d in store)),
        ("units sold", sold, sum(d.units_sold for d in store)),
        (
            "units lost at checkout",
            sum(d.units_lost_at_checkout for d in outcome.days),
            sum(d.units_lost for d in store),
        ),
        ("revenue", sum(d.revenue for d in outcome.days), sum(d.revenue for d in store)),
    ]
    for what, simulator, store_figure in figures:
        if simulator != store_figure:
            problems.append(f"{what}: the simulator counted {simulator}, the store {store_figure}")
    issued = units_issued(records.ledger)
    if sold != issued:
        problems.append(f"units sold: the simulator counted {sold}, the inventory issued {issued}")
    if not records.reconciliation.balanced:
        unbalanced = [
            f"{line.sku} (fulfilled {line.fulfilled}, issued {line.issued})"
            for line in records.reconciliation.skus
            if line.fulfilled != line.issued
        ]
        problems.append("the store's reconciliation is not balanced: " + ", ".join(unbalanced))
    fulfilled = {line.sku: line.fulfilled for line in records.reconciliation.skus}
    for sku, tally in outcome.skus.items():
        by_ledger = units_issued(records.ledger, sku)
        by_store = fulfilled.get(sku, 0)
        if not tally.units_sold == by_ledger == by_store:
            problems.append(
                f"{sku}: the simulator sold {tally.units_sold}, the store fulfilled {by_store}, "
                f"the inventory issued {by_ledger}"
            )
    return problems
