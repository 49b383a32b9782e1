"""Arrival models: when the next customer walks in.

Every model is a pydantic class: its fields are the parameters a scenario gives under
``arrivals:`` and its `next_arrival` turns a seeded random stream into arrival times. A
scenario selects a model by name (``arrivals: {model: poisson, rate_per_hour: 4}``); the
registry below maps names to classes, so adding a model is one class plus its registration
(see the README).

Both built-in models run in "open time": draws are made as if the store never closed and then
laid onto the calendar by `OpeningHours.advance_open_minutes`, so no customer arrives while
the store is closed and no draws are wasted on closed hours.
"""

from __future__ import annotations

import math
from random import Random
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    SerializeAsAny,
    field_validator,
)

from customer_sim.domain.calendar import MINUTES_PER_DAY, MINUTES_PER_HOUR, OpeningHours
from customer_sim.domain.tagged import TaggedRegistry

ARRIVAL_MODELS: TaggedRegistry[ArrivalModel] = TaggedRegistry("model", "arrival model")


class ArrivalModel(BaseModel):
    """The interface every arrival model implements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str

    def next_arrival(self, after: float, rng: Random, hours: OpeningHours) -> float:
        """The time of the first arrival after ``after`` (minutes since the start), drawn from
        ``rng`` only; ``math.inf`` when no customer will ever come."""
        raise NotImplementedError

    def expected_per_day(self, hours: OpeningHours) -> float:
        """The mean number of arrivals per day (for logs, sanity checks and tests)."""
        raise NotImplementedError


ArrivalModelField = Annotated[SerializeAsAny[ArrivalModel], BeforeValidator(ARRIVAL_MODELS.parse)]


@ARRIVAL_MODELS.register("poisson")
class PoissonArrivals(ArrivalModel):
    """A homogeneous Poisson process: ``rate_per_hour`` customers an hour on average, with
    exponential gaps, whenever the store is open (round the clock without opening hours)."""

    rate_per_hour: float = Field(gt=0, le=1_000_000)

    def next_arrival(self, after: float, rng: Random, hours: OpeningHours) -> float:
        gap = rng.expovariate(self.rate_per_hour / MINUTES_PER_HOUR)
        return hours.advance_open_minutes(after, gap)

    def expected_per_day(self, hours: OpeningHours) -> float:
        return self.rate_per_hour * hours.open_minutes_per_day / MINUTES_PER_HOUR


@ARRIVAL_MODELS.register("daily-profile")
class DailyProfileArrivals(ArrivalModel):
    """A non-homogeneous Poisson process whose rate follows the clock: ``hourly_rates`` lists
    24 rates (customers an hour), the first for 00:00-01:00. Drawn by thinning
    (Lewis-Shedler): candidates come at the peak rate and each is kept with probability
    rate(t) / peak, which is exact for a piecewise-constant rate."""

    hourly_rates: list[NonNegativeFloat]

    @field_validator("hourly_rates")
    @classmethod
    def _one_per_hour(cls, rates: list[float]) -> list[float]:
        if len(rates) != 24:
            raise ValueError(f"needs exactly 24 rates, one per hour from 00:00 (got {len(rates)})")
        if not any(rates):
            raise ValueError("all 24 rates are zero: no customer would ever come")
        return rates

    def rate_at(self, t: float) -> float:
        return self.hourly_rates[int(t % MINUTES_PER_DAY // MINUTES_PER_HOUR)]

    def peak_rate(self, hours: OpeningHours) -> float:
        """The highest rate in an hour the store is at least partly open."""
        return max(
            (
                rate
                for hour, rate in enumerate(self.hourly_rates)
                if hour * MINUTES_PER_HOUR < hours.close_minute
                and (hour + 1) * MINUTES_PER_HOUR > hours.open_minute
            ),
            default=0.0,
        )

    def next_arrival(self, after: float, rng: Random, hours: OpeningHours) -> float:
        peak = self.peak_rate(hours)
        if peak <= 0:
            return math.inf
        t = after
        while True:
            t = hours.advance_open_minutes(t, rng.expovariate(peak / MINUTES_PER_HOUR))
            if rng.random() * peak < self.rate_at(t):
                return t

    def expected_per_day(self, hours: OpeningHours) -> float:
        total = 0.0
        for hour, rate in enumerate(self.hourly_rates):
            start, end = hour * MINUTES_PER_HOUR, (hour + 1) * MINUTES_PER_HOUR
            open_minutes = max(0, min(end, hours.close_minute) - max(start, hours.open_minute))
            total += rate * open_minutes / MINUTES_PER_HOUR
        return total
