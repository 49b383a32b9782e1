"""The scenarios shipped in customer_sim/scenarios are valid and say what they promise."""

from pathlib import Path

import pytest

from customer_sim.domain.scenario import load_scenario
from customer_sim.domain.distributions import Constant

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem


def test_default_is_a_small_grocery_that_runs_in_seconds():
    scenario = load_scenario(SCENARIOS / "default.yaml")
    assert 8 <= len(scenario.products) <= 12 and scenario.days == 14
    assert scenario.arrivals.model == "daily-profile" and scenario.opening_hours is not None
    assert {p.policy.type for p in scenario.products} == {"none", "rQ", "sS", "RS"}
    assert 50 <= scenario.arrivals.expected_per_day(scenario.hours) <= 120  # the demo budget


def test_single_sku_is_the_textbook_case():
    scenario = load_scenario(SCENARIOS / "single-sku.yaml")
    [product] = scenario.products
    assert scenario.arrivals.model == "poisson" and scenario.hours.round_the_clock
    assert scenario.customers.budget is None
    wish_list = scenario.customers.wish_list
    assert wish_list.size == Constant(dist="constant", value=1)
    assert wish_list.quantity == Constant(dist="constant", value=1)
    assert product.policy.type == "rQ" and product.policy.order_quantity == 1
    assert product.lead_time_minutes > 0


def test_the_comparison_pair_differs_only_in_policy():
    rq, ss = (load_scenario(SCENARIOS / f"compare-{p}.yaml") for p in ("rq", "ss"))

    def without_policies(scenario):
        data = scenario.model_dump(exclude={"name", "description"})
        for product in data["products"]:
            product.pop("policy")
        return data

    assert without_policies(rq) == without_policies(ss)
    assert {p.policy.type for p in rq.products} == {"rQ"}
    assert {p.policy.type for p in ss.products} == {"sS"}
