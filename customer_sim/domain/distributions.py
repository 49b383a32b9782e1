"""Random quantities a scenario describes in a small tagged form.

``{dist: constant, value: 1}``, ``{dist: uniform, low: 1, high: 5}``,
``{dist: normal, mean: 40, sd: 15, min: 5}``, ``{dist: lognormal, median: 25, sigma: 0.6}``,
``{dist: poisson, mean: 2.5}``, ``{dist: choice, values: [1, 2, 3], weights: [6, 3, 1]}``.
Every form also takes optional ``min`` and ``max``, applied to each draw (a normal budget
with ``min: 0`` is never negative).

Draws take the ``random.Random`` to use as an argument: the caller decides which seeded stream
a quantity comes from, so the same distribution can serve budgets and wish lists without the
two sharing random numbers.
"""

from __future__ import annotations

import math
from random import Random
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny, model_validator

from customer_sim.domain.tagged import TaggedRegistry, field_error

DISTRIBUTIONS: TaggedRegistry[Distribution] = TaggedRegistry("dist", "distribution")

#: Poisson draws by multiplication (Knuth) are exact but slow down and lose precision as the
#: mean grows; larger means are drawn as a sum of parts no larger than this.
_POISSON_CHUNK = 30.0


class Distribution(BaseModel):
    """A random number: `sample` for amounts, `sample_int` for counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: str
    min: float | None = Field(None, description="Draws below this are raised to it.")
    max: float | None = Field(None, description="Draws above this are lowered to it.")

    @model_validator(mode="after")
    def _bounds(self) -> Distribution:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise field_error("distribution", "max", f"must be >= min ({self.min:g})", self.max)
        return self

    def sample(self, rng: Random) -> float:
        return self._clamp(self._draw(rng))

    def sample_int(self, rng: Random) -> int:
        """A whole number: the draw rounded to the nearest integer, then bounded."""
        value = self._draw_int(rng)
        if self.min is not None:
            value = max(value, math.ceil(self.min))
        if self.max is not None:
            value = min(value, math.floor(self.max))
        return value

    def _clamp(self, value: float) -> float:
        if self.min is not None:
            value = max(value, self.min)
        if self.max is not None:
            value = min(value, self.max)
        return value

    def _draw(self, rng: Random) -> float:
        raise NotImplementedError

    def _draw_int(self, rng: Random) -> int:
        return round(self._draw(rng))


#: A scenario field holding any registered distribution (serialized with all its parameters).
DistributionField = Annotated[SerializeAsAny[Distribution], BeforeValidator(DISTRIBUTIONS.parse)]


@DISTRIBUTIONS.register("constant")
class Constant(Distribution):
    """Always ``value``; draws no random numbers, so it never moves a stream."""

    value: float

    def _draw(self, rng: Random) -> float:
        return self.value


@DISTRIBUTIONS.register("uniform")
class Uniform(Distribution):
    """Uniform on [low, high]; as a count, each whole number in the range equally likely."""

    low: float
    high: float

    @model_validator(mode="after")
    def _range(self) -> Uniform:
        if self.high < self.low:
            raise field_error("uniform", "high", f"must be >= low ({self.low:g})", self.high)
        return self

    def _draw(self, rng: Random) -> float:
        return rng.uniform(self.low, self.high)

    def _draw_int(self, rng: Random) -> int:
        low, high = math.ceil(self.low), math.floor(self.high)
        return rng.randint(low, high) if low <= high else round(self._draw(rng))


@DISTRIBUTIONS.register("normal")
class Normal(Distribution):
    mean: float
    sd: float = Field(ge=0)

    def _draw(self, rng: Random) -> float:
        return rng.gauss(self.mean, self.sd)


@DISTRIBUTIONS.register("lognormal")
class LogNormal(Distribution):
    """Skewed and positive, like spending: half the draws are below ``median``; ``sigma`` is
    the standard deviation of the logarithm (0.5 is moderately spread)."""

    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def _draw(self, rng: Random) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma)


@DISTRIBUTIONS.register("poisson")
class Poisson(Distribution):
    """Counts of independent events with the given mean (e.g. a wish-list size)."""

    mean: float = Field(ge=0, le=1_000_000)

    def _draw(self, rng: Random) -> float:
        return float(self._draw_int(rng))

    def _draw_int(self, rng: Random) -> int:
        count, remaining = 0, self.mean
        while remaining > 0:
            part = min(remaining, _POISSON_CHUNK)
            count += _knuth_poisson(part, rng)
            remaining -= part
        return count


@DISTRIBUTIONS.register("choice")
class Choice(Distribution):
    """One of ``values``, with probabilities proportional to ``weights`` (default: equal)."""

    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is None:
            return self
        if len(self.weights) != len(self.values):
            message = f"needs one weight per value ({len(self.values)})"
            raise field_error("choice", "weights", message, self.weights)
        if any(weight < 0 for weight in self.weights) or sum(self.weights) <= 0:
            message = "must be >= 0 and not all zero"
            raise field_error("choice", "weights", message, self.weights)
        return self

    def _draw(self, rng: Random) -> float:
        if self.weights is None:
            return self.values[rng.randrange(len(self.values))]
        return rng.choices(self.values, weights=self.weights)[0]


def _knuth_poisson(mean: float, rng: Random) -> int:
    threshold = math.exp(-mean)
    count, product = 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
