"""Intervals and tests against textbook formulas worked by hand (the working is in each comment)."""
import math

import pytest

from lib import stats


def test_wilson_interval_for_8_of_10():
    # z = 1.959964, z²/n = 0.384146; centre = (0.8 + 0.192073) / 1.384146 = 0.716740;
    # half = z / 1.384146 · √(0.016 + 0.009604) = 0.226575  →  (0.4902, 0.9433), the textbook answer.
    e = stats.rate(8, 10)
    assert (e.value, e.n) == (0.8, 10)
    assert e.low == pytest.approx(0.4902, abs=1e-4)
    assert e.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_stays_inside_0_1_at_the_edges():
    e = stats.rate(0, 5)  # Wilson, unlike the Wald interval, is not degenerate at 0
    assert e.low == pytest.approx(0.0, abs=1e-12)
    assert e.high == pytest.approx(3.841459 / (5 + 3.841459), abs=1e-6)  # z²/(n+z²) for k = 0


def test_t_interval_of_four_scores():
    # 60, 70, 80, 90: mean 75, s² = (225+25+25+225)/3 = 166.67, s/√n = 6.4550, t(0.975, 3) = 3.18245
    # half-width 20.543  →  (54.457, 95.543)
    e = stats.mean(4, 300.0, 60**2 + 70**2 + 80**2 + 90**2)
    assert e.value == 75.0
    assert e.low == pytest.approx(54.457, abs=1e-3)
    assert e.high == pytest.approx(95.543, abs=1e-3)


def test_a_group_of_one_has_a_value_but_no_interval_and_an_empty_group_has_neither():
    assert stats.mean(1, 80.0, 6400.0) == stats.Estimate(80.0, 1, None, None)
    assert stats.mean(0, None, None) == stats.Estimate(None, 0, None, None)
    assert stats.rate(0, 0) == stats.Estimate(None, 0, None, None)
    assert stats.nps(0, 0, 0) == stats.Estimate(None, 0, None, None)


def test_nps_interval():
    # 5 promoters, 2 detractors of 10: NPS 30; Var = (0.5 + 0.2 − 0.3²)/10 = 0.061 → se 24.698 pt;
    # 1.96 · 24.698 = 48.41  →  (−18.41, 78.41)
    e = stats.nps(5, 2, 10)
    assert e.value == pytest.approx(30.0)
    assert e.low == pytest.approx(-18.41, abs=0.01)
    assert e.high == pytest.approx(78.41, abs=0.01)


def test_two_proportion_z_test():
    # 45/100 vs 30/100: pooled 0.375, se = √(0.375·0.625·0.02) = 0.068465, z = 2.1909, p = 0.0285
    c = stats.rate_change(45, 100, 30, 100)
    assert c.diff == pytest.approx(0.15)
    assert c.p_value == pytest.approx(0.0285, abs=1e-4)
    assert c.significant
    # 2/4 vs 0/1: pooled 0.4, se = √(0.4·0.6·1.25) = 0.5477, z = 0.9129, p = 0.3613: not significant
    small = stats.rate_change(2, 4, 0, 1)
    assert small.p_value == pytest.approx(0.3613, abs=1e-4)
    assert not small.significant


def test_welch_t_test_from_sums():
    # a = 1..5 (mean 3, s² 2.5), b = 2,4,..,10 (mean 6, s² 10): se = √(0.5 + 2) = 1.5811, t = −1.8974,
    # Welch–Satterthwaite df = 2.5² / (0.5²/4 + 2²/4) = 5.882; two-sided p (t table) = 0.1075.
    c = stats.mean_change(5, 15.0, 55.0, 5, 30.0, 220.0)
    assert c.diff == pytest.approx(-3.0)
    assert c.p_value == pytest.approx(0.1075, abs=1e-4)
    assert not c.significant
    # the same shift with ten times the answers per group is significant
    big = stats.mean_change(50, 150.0, 550.0, 50, 300.0, 2200.0)
    assert big.significant and big.p_value < 0.001


def test_changes_with_a_group_of_one_or_an_empty_group_are_not_marked_significant():
    one = stats.mean_change(4, 245.0, 100**2 + 70**2 + 75**2, 1, 50.0, 2500.0)
    assert one.diff == pytest.approx(61.25 - 50.0)
    assert one.p_value is None and not one.significant
    assert stats.rate_change(3, 5, 0, 0) == stats.NO_CHANGE
    assert stats.nps_change(1, 0, 2, 0, 0, 0) == stats.NO_CHANGE


def test_nps_change_z_test():
    # A: 60 prom, 10 det of 100 → 50, Var_A = (0.7 − 0.25)/100 = 0.0045;
    # B: 40 prom, 20 det of 100 → 20, Var_B = (0.6 − 0.04)/100 = 0.0056;
    # z = 0.30 / √0.0101 = 2.985, p = 0.0028
    c = stats.nps_change(60, 10, 100, 40, 20, 100)
    assert c.diff == pytest.approx(30.0)
    assert c.p_value == pytest.approx(0.0028, abs=1e-4)
    assert c.significant


def test_pearson_from_sums():
    # x = 100, 50, 50, 0; y = 100, 75, 25, 0: Sxy = 5000, Sxx = 5000, Syy = 6250 → r = 2/√5
    x, y = [100, 50, 50, 0], [100, 75, 25, 0]
    r = stats.pearson(4, sum(x), sum(y), sum(v * v for v in x), sum(v * v for v in y),
                      sum(a * b for a, b in zip(x, y, strict=True)))
    assert r == pytest.approx(2 / math.sqrt(5))
    assert stats.pearson(2, 1, 1, 1, 1, 1) is None  # too few
    assert stats.pearson(3, 3, 6, 3, 14, 6) is None  # x does not vary
