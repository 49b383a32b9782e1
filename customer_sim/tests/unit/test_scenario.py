import copy
from decimal import Decimal
from random import Random

import pytest

from customer_sim.domain.product import MinMaxPolicy, NoPolicy, ReorderPointPolicy
from customer_sim.domain.scenario import ScenarioError, parse_scenario
from customer_sim.tests.builders import BASE, scenario_data, scenario_yaml


def problems(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(scenario_yaml(data), source="bad.yaml")
    assert str(raised.value).startswith("scenario error in bad.yaml: ")
    return raised.value.problems


def with_product(index: int, **changes) -> dict:
    data = copy.deepcopy(BASE)
    data["products"][index].update(changes)
    return data


def test_a_valid_scenario():
    scenario = parse_scenario(scenario_yaml(scenario_data()))
    assert scenario.name == "test"
    assert [type(p.policy) for p in scenario.products] == [
        ReorderPointPolicy,
        MinMaxPolicy,
        NoPolicy,
    ]
    assert scenario.products[2].policy.to_api() == {"type": "none"}
    assert scenario.products[0].policy.to_api() == {
        "type": "rQ",
        "reorder_point": 10,
        "order_quantity": 20,
    }
    assert scenario.hours.open_minute == 8 * 60 and scenario.hours.close_minute == 20 * 60
    assert scenario.customers.budget is not None


def test_defaults_and_round_the_clock():
    data = scenario_data(name=None, opening_hours=None)
    data["customers"].pop("budget")
    data["customers"]["wish_list"].pop("quantity")
    scenario = parse_scenario(scenario_yaml(data), default_name="from-file-name")
    assert scenario.name == "from-file-name"
    assert scenario.hours.round_the_clock
    assert scenario.customers.budget is None
    assert scenario.customers.wish_list.quantity.sample_int(Random(0)) == 1  # constant 1


def test_costs_default_to_the_documented_values():
    scenario = parse_scenario(scenario_yaml(scenario_data()))
    assert scenario.costs.holding_cost_rate == 0.25 and scenario.costs.order_cost == 10
    milk = scenario.products[0]
    assert milk.unit_cost is None and milk.cost == milk.price == milk.penalty
    priced = with_product(0, unit_cost=0.8, lost_sale_penalty=2.5)
    priced["costs"] = {"holding_cost_rate": 0.3, "order_cost": 12.5}
    scenario = parse_scenario(scenario_yaml(priced))
    assert (scenario.products[0].cost, scenario.products[0].penalty) == (
        Decimal("0.8"),
        Decimal("2.5"),
    )
    assert scenario.costs.order_cost == Decimal("12.5")
    assert scenario.with_overrides(days=3).costs == scenario.costs


def test_each_policy_names_the_levels_plots_draw():
    rq, ss, none = parse_scenario(scenario_yaml(scenario_data())).products
    assert rq.policy.reference_levels() == [("r", 10), ("r + Q", 30)]
    assert ss.policy.reference_levels() == [("s", 5), ("S", 20)]
    assert none.policy.reference_levels() == []
    periodic = with_product(
        2, policy={"type": "RS", "review_period_minutes": 1440, "order_up_to": 40}
    )
    assert parse_scenario(scenario_yaml(periodic)).products[2].policy.reference_levels() == [
        ("S", 40)
    ]


def test_overrides_are_validated_too():
    scenario = parse_scenario(scenario_yaml(scenario_data()))
    changed = scenario.with_overrides(days=9, seed=3)
    assert (changed.days, changed.seed, changed.products) == (9, 3, scenario.products)
    assert scenario.with_overrides() is scenario


@pytest.mark.parametrize(
    "data, expected",
    [
        (scenario_data(colour="red"), "colour: unknown key"),
        (
            scenario_data(customers={**BASE["customers"], "budgett": None}),
            "customers.budgett: unknown key",
        ),
        (
            scenario_data(arrivals={"model": "poisson", "rate_per_hour": -2}),
            "arrivals.rate_per_hour: Input should be greater than 0 (got -2)",
        ),
        (
            with_product(2, policy={"type": "Rq"}),
            "products[2].policy.type: unknown policy 'Rq' (expected one of none, rQ, sS, RS)",
        ),
        (
            with_product(1, policy={"type": "sS", "reorder_point": 20, "order_up_to": 20}),
            "products[1].policy.order_up_to: must be greater than reorder_point (20): S > s",
        ),
        (
            with_product(0, policy={"type": "rQ", "reorder_point": 5}),
            "products[0].policy.order_quantity: is required",
        ),
        (
            with_product(0, policy={"type": "rQ", "reorder_point": 5, "order_quantity": 1,
                                    "order_up_to": 9}),
            "products[0].policy.order_up_to: unknown key",
        ),  # fmt: skip
        (scenario_data(products=None), "products: is required"),
        (scenario_data(products=[]), "products: List should have at least 1 item"),
        (
            scenario_data(arrivals={"model": "daily-profile", "hourly_rates": [1] * 23}),
            "arrivals.hourly_rates: needs exactly 24 rates, one per hour from 00:00 (got 23)",
        ),
        (
            scenario_data(arrivals={"model": "daily-profile", "hourly_rates": [1] * 23 + [-1]}),
            "arrivals.hourly_rates[23]: Input should be greater than or equal to 0",
        ),
        (
            scenario_data(arrivals={"model": "daily-profile", "hourly_rates": [0] * 24}),
            "arrivals.hourly_rates: all 24 rates are zero",
        ),
        (
            scenario_data(arrivals={"model": "poison", "rate_per_hour": 1}),
            "arrivals.model: unknown arrival model 'poison' (expected one of poisson, "
            "daily-profile)",
        ),
        (scenario_data(arrivals={"rate_per_hour": 1}), "arrivals.model: is required"),
        (
            scenario_data(start="2026-03-02T00:00:00"),
            "start: Input should have timezone info",
        ),
        (scenario_data(start="2026-03-02T06:00:00Z"), "start: must be a midnight"),
        (scenario_data(days=0), "days: Input should be greater than or equal to 1 (got 0)"),
        (scenario_data(seed=-1), "seed: Input should be greater than or equal to 0"),
        (
            scenario_data(opening_hours={"open": "8am", "close": "20:00"}),
            "opening_hours.open: '8am' is not a time of day as HH:MM",
        ),
        (
            scenario_data(opening_hours={"open": "20:00", "close": "08:00"}),
            "opening_hours.close: must be later than open (20:00)",
        ),
        (with_product(1, sku="milk"), "products[1].sku: duplicate sku 'milk'"),
        (with_product(0, sku="no spaces"), "products[0].sku: String should match pattern"),
        (with_product(0, price=1.999), "products[0].price: Decimal input should have no more"),
        (with_product(0, weight=0), "products[0].weight: Input should be greater than 0"),
        (with_product(0, initial_stock=-5), "products[0].initial_stock: Input should be greater"),
        (
            scenario_data(customers={**BASE["customers"], "budget": 30}),
            "customers.budget: must be a mapping with a 'dist' key",
        ),
        (with_product(0, unit_cost=-1), "products[0].unit_cost: Input should be greater than"),
        (with_product(0, lost_sale_penalty=0.001), "products[0].lost_sale_penalty: Decimal"),
        (
            scenario_data(costs={"holding_cost_rate": -0.1}),
            "costs.holding_cost_rate: Input should be greater than or equal to 0",
        ),
        (scenario_data(costs={"order_cost": 5, "per_order": 1}), "costs.per_order: unknown key"),
    ],
)
def test_each_problem_names_its_field(data, expected):
    found = problems(data)
    assert any(problem.startswith(expected) for problem in found), found


def test_every_problem_is_reported_at_once():
    data = scenario_data(days=-1, colour="red", arrivals={"model": "poisson"})
    assert len(problems(data)) == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("seed: [1, 2", "not valid YAML"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
)
def test_not_a_scenario_at_all(text, expected):
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, source="x.yaml")
    assert expected in raised.value.problems[0]


def test_overrides_out_of_range_are_scenario_errors():
    scenario = parse_scenario(scenario_yaml(scenario_data()))
    with pytest.raises(ScenarioError) as raised:
        scenario.with_overrides(days=100_000)
    assert raised.value.problems[0].startswith("days: Input should be less than or equal to")
