import statistics
from random import Random

import pytest
from pydantic import TypeAdapter, ValidationError

from customer_sim.domain.distributions import Constant, DistributionField

parse = TypeAdapter(DistributionField).validate_python


def sample(spec: dict, n: int = 20_000, seed: int = 1, count: bool = False) -> list[float]:
    distribution = parse(spec)
    rng = Random(seed)
    draw = distribution.sample_int if count else distribution.sample
    return [draw(rng) for _ in range(n)]


def test_constant_draws_no_random_numbers():
    rng = Random(5)
    state = rng.getstate()
    assert Constant(dist="constant", value=3).sample(rng) == 3
    assert rng.getstate() == state


@pytest.mark.parametrize(
    "spec, mean",
    [
        ({"dist": "uniform", "low": 2, "high": 6}, 4),
        ({"dist": "normal", "mean": 10, "sd": 2}, 10),
        ({"dist": "poisson", "mean": 2.5}, 2.5),
        ({"dist": "poisson", "mean": 75}, 75),  # drawn in parts
        ({"dist": "choice", "values": [1, 2, 4], "weights": [6, 3, 1]}, 1.6),
    ],
)
def test_means(spec, mean):
    assert statistics.fmean(sample(spec)) == pytest.approx(mean, rel=0.03)


def test_lognormal_median():
    values = sample({"dist": "lognormal", "median": 25, "sigma": 0.5})
    assert statistics.median(values) == pytest.approx(25, rel=0.03)
    assert min(values) > 0


def test_poisson_variance_equals_its_mean():
    values = sample({"dist": "poisson", "mean": 4}, count=True)
    assert statistics.pvariance(values) == pytest.approx(4, rel=0.05)
    assert all(isinstance(value, int) for value in values)


def test_min_and_max_bound_every_draw():
    values = sample({"dist": "normal", "mean": 0, "sd": 10, "min": -1, "max": 2})
    assert min(values) == -1 and max(values) == 2


def test_uniform_counts_give_each_whole_number_the_same_chance():
    values = sample({"dist": "uniform", "low": 1, "high": 3}, count=True)
    shares = [values.count(k) / len(values) for k in (1, 2, 3)]
    assert shares == pytest.approx([1 / 3] * 3, abs=0.02)


def test_counts_respect_fractional_bounds():
    values = sample({"dist": "normal", "mean": 0, "sd": 5, "min": 0.5}, n=2000, count=True)
    assert min(values) == 1


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"dist": "uniform", "low": 5, "high": 1}, "high"),
        ({"dist": "normal", "mean": 1, "sd": -1}, "sd"),
        ({"dist": "lognormal", "median": 0, "sigma": 1}, "median"),
        ({"dist": "poisson", "mean": -2}, "mean"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "weights"),
        ({"dist": "constant", "value": 1, "min": 3, "max": 2}, "max"),
        ({"dist": "constant", "value": 1, "mean": 2}, "mean"),
        ({"dist": "gamma", "shape": 2}, "dist"),
        ({"value": 2}, "dist"),
    ],
)
def test_invalid_parameters_name_the_field(spec, field):
    with pytest.raises(ValidationError) as raised:
        parse(spec)
    assert [error["loc"][-1] for error in raised.value.errors()] == [field]
