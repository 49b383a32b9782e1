"""Simulated customers per second: ``customer_sim/scenarios/default.yaml`` against both services.

Each run opens its own store on fresh services (SQLite files, or new PostgreSQL databases),
seeds it, and times the simulation itself (as the simulator's own figure does: seeding and
reports are not counted), with the CPU time each process spent. The run's outcomes, as the
services recorded them, must equal the golden recorded before the performance work: faster,
never different.
"""

from __future__ import annotations

import json
import time
from typing import Any

from harness import ROOT, median, running_services

from customer_sim.domain.scenario import load_scenario
from customer_sim.infrastructure.inventory_client import InventoryClient
from customer_sim.infrastructure.store_client import StoreClient
from customer_sim.simulation.environment import StoreEnvironment
from customer_sim.simulation.runner import open_store
from testkit.outcomes import run_outcomes

SCENARIO = ROOT / "customer_sim" / "scenarios" / "default.yaml"
GOLDEN = ROOT / "customer_sim" / "tests" / "e2e" / "golden" / "default-14-days.json"


def one_run(backend: str) -> dict[str, Any]:
    scenario = load_scenario(SCENARIO)
    with running_services(backend) as services:
        with (
            StoreClient(services.store.url) as store,
            InventoryClient(services.inventory.url) as inventory,
        ):
            open_store(scenario, "bench-default", store, inventory)
            cpu_before, sim_cpu = services.cpu(), time.process_time()
            started = time.perf_counter()
            outcome = StoreEnvironment(scenario, "bench-default", store, inventory).run()
            seconds = time.perf_counter() - started
            sim_cpu = time.process_time() - sim_cpu
            cpu_after = services.cpu()
        outcomes = run_outcomes(services.store.url, services.inventory.url, "bench-default")
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    customers = outcome.customers
    return {
        "customers": customers,
        "http_calls": outcome.http_calls,
        "seconds": round(seconds, 2),
        "customers_per_second": round(customers / seconds, 1),
        "cpu_ms_per_customer": {
            "simulator": round(1000 * sim_cpu / customers, 2),
            **{name: round(1000 * value / customers, 2) for name, value in cpu.items()},
        },
        "same_outcomes_as_golden": outcomes == json.loads(GOLDEN.read_text()),
    }


def measure(backends: list[str], repeat: int) -> dict[str, Any]:
    """``repeat`` runs per backend, interleaved (SQLite, PostgreSQL, SQLite, ...), so that
    whatever else loads the machine weighs on both alike; the median run is reported."""
    runs: dict[str, list[dict[str, Any]]] = {backend: [] for backend in backends}
    for _ in range(repeat):
        for backend in backends:
            runs[backend].append(one_run(backend))
    report = {}
    for backend, results in runs.items():
        rates = [result["customers_per_second"] for result in results]
        middle = sorted(results, key=lambda result: result["customers_per_second"])[
            len(results) // 2
        ]
        report[backend] = {
            "customers_per_second_median": median(rates),
            "customers_per_second_runs": rates,
            "median_run": middle,
            "all_same_outcomes_as_golden": all(r["same_outcomes_as_golden"] for r in results),
        }
    return report
