"""Confidence intervals over replications, and paired comparisons of two scenarios.

Each replication of a scenario is one independent observation of every KPI, so a KPI's mean
over N replications gets a Student t interval: mean ± t(0.975, N-1) · s / √N. Two scenarios
compared with the same seeds per replication meet the same customers (common random numbers),
so their difference is judged per replication (a paired t interval): the difference is
significant when its interval excludes zero.

The t quantile is computed here (regularized incomplete beta function by continued fraction,
inverted by bisection) rather than pulled from SciPy, whose wheels would add some 100 MB to the
simulator image for one function; the tests check it against printed table values.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import fmean, stdev
from typing import Sequence

CONFIDENCE = 0.95


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method,
    as in Numerical Recipes' ``betacf``); converges quickly for x < (a + 1) / (a + b + 2)."""
    tiny, epsilon = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 1000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1.0) < epsilon:
            return result
    raise ArithmeticError(f"the incomplete beta fraction did not converge (a={a}, b={b}, x={x})")


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t > 0 else tail


@functools.cache
def student_t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p: bisection on the CDF, to about 1e-12. Kept once computed:
    a report asks for the same one or two quantiles thousands of times (every KPI of every
    SKU, table and plot), and each costs a few hundred CDF evaluations."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < p:
        low, high = high, 2.0 * high
    while high - low > 1e-12 * max(1.0, high):
        middle = (low + high) / 2.0
        if student_t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


@dataclass(frozen=True)
class Estimate:
    """A KPI over replications: the mean and the half-width of its confidence interval
    (None with fewer than two observations; ``mean`` is None with none at all)."""

    mean: float | None
    half_width: float | None
    n: int

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.mean is None or self.half_width is None:
            return None
        return self.mean - self.half_width, self.mean + self.half_width


def half_width(values: Sequence[float], confidence: float = CONFIDENCE) -> float | None:
    """t(1 - α/2, n - 1) · s / √n; None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    quantile = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1)
    return quantile * stdev(values) / math.sqrt(n)


def estimate(values: Sequence[float | None], confidence: float = CONFIDENCE) -> Estimate:
    """The mean and confidence half-width of the values that are defined (None: a KPI with
    nothing to measure in that replication, such as a fill rate without demand)."""
    present = [value for value in values if value is not None]
    if not present:
        return Estimate(None, None, 0)
    return Estimate(fmean(present), half_width(present, confidence), len(present))


@dataclass(frozen=True)
class Difference(Estimate):
    """``other - baseline`` estimated over paired replications, and whether it is significant
    (its confidence interval excludes zero; never with fewer than two pairs)."""

    @property
    def significant(self) -> bool:
        if self.mean is None or self.half_width is None:
            return False
        return abs(self.mean) > self.half_width


def paired_difference(
    baseline: Sequence[float | None],
    other: Sequence[float | None],
    confidence: float = CONFIDENCE,
) -> Difference:
    """The paired comparison of two scenarios run with the same seeds: replication i of one
    against replication i of the other (pairs where either is undefined are left out)."""
    if len(baseline) != len(other):
        raise ValueError("paired comparisons need as many replications on both sides")
    differences = [b - a for a, b in zip(baseline, other) if a is not None and b is not None]
    paired = estimate(differences, confidence)
    return Difference(paired.mean, paired.half_width, paired.n)
