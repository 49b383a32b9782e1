"""The Student t quantile against printed table values, and confidence intervals against
known samples (a hand calculation, and Student's own sleep data as R's t.test reports it)."""

import math
from statistics import NormalDist

import pytest

from customer_sim.simulation.confidence import (
    estimate,
    half_width,
    paired_difference,
    regularized_beta,
    student_t_cdf,
    student_t_quantile,
)

# t(p, df) as printed in any table of Student's t distribution (three decimals)
TABLE = [
    (0.975, 1, 12.706),
    (0.975, 2, 4.303),
    (0.975, 3, 3.182),
    (0.975, 4, 2.776),
    (0.975, 5, 2.571),
    (0.975, 9, 2.262),
    (0.975, 10, 2.228),
    (0.975, 19, 2.093),
    (0.975, 20, 2.086),
    (0.975, 29, 2.045),
    (0.975, 30, 2.042),
    (0.975, 60, 2.000),
    (0.975, 120, 1.980),
    (0.95, 10, 1.812),
    (0.95, 1, 6.314),
    (0.995, 5, 4.032),
    (0.99, 15, 2.602),
    (0.9, 7, 1.415),
]


@pytest.mark.parametrize("p, df, expected", TABLE)
def test_the_t_quantile_matches_the_table(p, df, expected):
    assert round(student_t_quantile(p, df), 3) == expected


def test_the_t_quantile_has_closed_forms_for_one_and_two_degrees_of_freedom():
    for p in (0.6, 0.9, 0.975, 0.999):
        assert student_t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
        closed = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert student_t_quantile(p, 2) == pytest.approx(closed, rel=1e-9)


def test_the_t_distribution_tends_to_the_normal_and_is_symmetric():
    assert student_t_quantile(0.975, 100_000) == pytest.approx(NormalDist().inv_cdf(0.975), 1e-4)
    assert student_t_quantile(0.025, 4) == pytest.approx(-student_t_quantile(0.975, 4))
    assert student_t_quantile(0.5, 7) == pytest.approx(0, abs=1e-9)
    assert student_t_cdf(0, 3) == 0.5
    assert student_t_cdf(2.228, 10) == pytest.approx(0.975, abs=1e-4)
    for bad in (0, 1, -0.1):
        with pytest.raises(ValueError):
            student_t_quantile(bad, 5)
    with pytest.raises(ValueError):
        student_t_quantile(0.9, 0)


def test_the_incomplete_beta_function_at_known_points():
    assert regularized_beta(0.5, 1, 1) == pytest.approx(0.5)  # uniform
    assert regularized_beta(0.3, 2, 1) == pytest.approx(0.09)  # x^2
    assert regularized_beta(0.3, 1, 2) == pytest.approx(1 - 0.7**2)
    assert regularized_beta(0, 2, 3) == 0 and regularized_beta(1, 2, 3) == 1


def test_a_confidence_interval_by_hand():
    # 1..5: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445: 2.776445 x 1.581139 / sqrt(5)
    result = estimate([1, 2, 3, 4, 5])
    assert result.mean == 3 and result.n == 5
    assert result.half_width == pytest.approx(1.963243, abs=1e-6)
    assert result.interval == pytest.approx((1.036757, 4.963243), abs=1e-6)


def test_undefined_values_are_left_out_and_one_value_has_no_interval():
    assert estimate([0.5, None, 0.7]) == estimate([0.5, 0.7])
    single = estimate([0.93])
    assert (single.mean, single.half_width, single.n, single.interval) == (0.93, None, 1, None)
    assert estimate([None, None]).mean is None
    assert half_width([4.0]) is None
    assert half_width([2.0, 2.0, 2.0]) == 0


# Student (1908): extra hours of sleep with two drugs, the same ten patients
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_a_paired_difference_against_students_sleep_data():
    # R: t.test(extra ~ group, data = sleep, paired = TRUE):
    # mean difference -1.58, 95 percent confidence interval -2.4598858 -0.7001142
    difference = paired_difference(SLEEP_DRUG_2, SLEEP_DRUG_1)
    assert difference.mean == pytest.approx(-1.58)
    assert difference.mean - difference.half_width == pytest.approx(-2.4598858, abs=1e-6)
    assert difference.mean + difference.half_width == pytest.approx(-0.7001142, abs=1e-6)
    assert difference.significant and difference.n == 10
    # a difference is an estimate like any other: its interval is the paired t interval
    assert difference.interval == pytest.approx((-2.4598858, -0.7001142), abs=1e-6)


def test_when_a_difference_is_significant():
    assert not paired_difference([1, 2, 3], [1.1, 1.9, 3.2]).significant  # noise around 0
    assert paired_difference([1, 2, 3], [2, 3, 4]).significant  # always one more
    assert not paired_difference([1, 2, 3], [1, 2, 3]).significant  # always the same
    assert not paired_difference([1.0], [5.0]).significant  # one pair: cannot tell
    pairs = paired_difference([0.9, None, 0.8], [0.95, 0.9, None])  # only complete pairs
    assert pairs.n == 1 and pairs.mean == pytest.approx(0.05)
    with pytest.raises(ValueError):
        paired_difference([1, 2], [1])
