import math
from collections import Counter
from random import Random
from typing import Iterator

import pytest
from pydantic import Field, ValidationError

from customer_sim.domain.calendar import ROUND_THE_CLOCK, OpeningHours
from customer_sim.domain.scenario import Scenario
from customer_sim.domain.arrivals import (
    ARRIVAL_MODELS,
    ArrivalModel,
    DailyProfileArrivals,
    PoissonArrivals,
)
from customer_sim.tests.builders import scenario_data

DAY = 1440
PROFILE = [0.0] * 7 + [2, 4, 6, 8, 10, 12, 10, 8, 6, 4, 2, 1, 1, 0.5] + [0.0] * 3


def arrivals(model: ArrivalModel, hours: OpeningHours, days: int, seed: int = 1) -> list[float]:
    rng, times, t = Random(seed), [], 0.0
    while True:
        t = model.next_arrival(t, rng, hours)
        if t >= days * DAY:
            return times
        times.append(t)


def test_poisson_mean_rate_round_the_clock():
    model = PoissonArrivals(model="poisson", rate_per_hour=5)
    times = arrivals(model, ROUND_THE_CLOCK, days=40)
    expected = 5 * 24 * 40  # 4800; a Poisson count's standard deviation is its square root
    assert abs(len(times) - expected) < 4 * math.sqrt(expected)
    assert times == sorted(times)


def test_poisson_gaps_are_exponential():
    model = PoissonArrivals(model="poisson", rate_per_hour=6)
    times = arrivals(model, ROUND_THE_CLOCK, days=30)
    gaps = [b - a for a, b in zip(times, times[1:])]
    mean = sum(gaps) / len(gaps)
    assert mean == pytest.approx(10, rel=0.05)  # minutes
    # exponential: the share of gaps longer than the mean is e^-1
    assert sum(gap > mean for gap in gaps) / len(gaps) == pytest.approx(math.exp(-1), abs=0.03)


def test_poisson_respects_opening_hours():
    hours = OpeningHours(8 * 60, 20 * 60)
    model = PoissonArrivals(model="poisson", rate_per_hour=5)
    times = arrivals(model, hours, days=40)
    assert all(hours.is_open(t) for t in times)
    expected = model.expected_per_day(hours) * 40
    assert expected == 5 * 12 * 40
    assert abs(len(times) - expected) < 4 * math.sqrt(expected)


def test_daily_profile_counts_follow_the_profile():
    days = 300
    model = DailyProfileArrivals(model="daily-profile", hourly_rates=PROFILE)
    by_hour = Counter(int(t % DAY // 60) for t in arrivals(model, ROUND_THE_CLOCK, days))
    for hour, rate in enumerate(PROFILE):
        if rate == 0:
            assert by_hour[hour] == 0, f"arrivals in zero-rate hour {hour}"
        else:
            expected = rate * days
            assert abs(by_hour[hour] - expected) < 4 * math.sqrt(expected), hour


def test_daily_profile_ignores_hours_when_the_store_is_closed():
    hours = OpeningHours(9 * 60, 17 * 60 + 30)
    model = DailyProfileArrivals(model="daily-profile", hourly_rates=PROFILE)
    times = arrivals(model, hours, days=100)
    assert all(hours.is_open(t) for t in times)
    expected = model.expected_per_day(hours) * 100
    assert expected == pytest.approx((6 + 8 + 10 + 12 + 10 + 8 + 6 + 4 + 2 / 2) * 100)  # 17:30
    assert abs(len(times) - expected) < 4 * math.sqrt(expected)


def test_daily_profile_with_no_open_hour_with_customers_never_arrives():
    rates = [0.0] * 24
    rates[3] = 10  # only at night
    model = DailyProfileArrivals(model="daily-profile", hourly_rates=rates)
    assert model.next_arrival(0, Random(1), OpeningHours(8 * 60, 20 * 60)) == math.inf


def test_same_seed_same_arrivals():
    model = DailyProfileArrivals(model="daily-profile", hourly_rates=PROFILE)
    assert arrivals(model, ROUND_THE_CLOCK, 3, seed=9) == arrivals(model, ROUND_THE_CLOCK, 3, 9)
    assert arrivals(model, ROUND_THE_CLOCK, 3, seed=9) != arrivals(model, ROUND_THE_CLOCK, 3, 8)


class EveryFewMinutes(ArrivalModel):
    """A deterministic model, registered by the test below as a new model would be."""

    every_minutes: float = Field(gt=0)

    def next_arrival(self, after: float, rng: Random, hours: OpeningHours) -> float:
        return hours.advance_open_minutes(after, self.every_minutes)

    def expected_per_day(self, hours: OpeningHours) -> float:
        return hours.open_minutes_per_day / self.every_minutes


@pytest.fixture
def registered_model() -> Iterator[None]:
    ARRIVAL_MODELS.register("every-few-minutes")(EveryFewMinutes)
    yield
    del ARRIVAL_MODELS.classes["every-few-minutes"]


def test_a_new_model_is_one_class_plus_its_registration(registered_model):
    data = scenario_data(arrivals={"model": "every-few-minutes", "every_minutes": 30})
    scenario = Scenario.model_validate(data)
    assert isinstance(scenario.arrivals, EveryFewMinutes)
    assert scenario.arrivals.expected_per_day(scenario.hours) == 24
    assert scenario.model_dump()["arrivals"] == {
        "model": "every-few-minutes",
        "every_minutes": 30.0,
    }
    with pytest.raises(ValidationError):
        Scenario.model_validate(scenario_data(arrivals={"model": "every-few-minutes"}))
