"""The same scenario and seed give the same outcomes, bit for bit, as they did before.

The goldens were recorded from the services before the performance work of issue 10 (cart
lines at creation, the two-step checkout, leaner SQL): faster must not mean different. What
is compared is what the services recorded (see `testkit.outcomes`), not the simulator's
report, so changing the report's shape does not touch them. To record a golden again after a
change that is meant to alter outcomes: ``UPDATE_GOLDEN=1 pytest`` this file, and say why in
the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from customer_sim.domain.scenario import load_scenario
from customer_sim.simulation.environment import StoreEnvironment
from customer_sim.simulation.runner import open_store
from testkit.fixtures import unique_id
from testkit.outcomes import run_outcomes
from testkit.processes import ROOT

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden"


def test_default_for_two_days_records_what_it_did_before(services, clients):
    store_service, inventory_service = services
    store, inventory = clients
    scenario = load_scenario(ROOT / "customer_sim" / "scenarios" / "default.yaml")
    scenario = scenario.with_overrides(days=2)
    store_id = unique_id("determinism")
    open_store(scenario, store_id, store, inventory)
    StoreEnvironment(scenario, store_id, store, inventory).run()

    outcomes = run_outcomes(store_service.url, inventory_service.url, store_id)
    golden = GOLDEN / "default-2-days.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(outcomes, indent=1) + "\n")
    assert outcomes["orders"] > 100 and outcomes["ledger_movements"] > 100
    assert outcomes == json.loads(golden.read_text())
