"""Scenario documents for tests: a small valid scenario, and ways to bend it."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from customer_sim.domain.scenario import Scenario

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
