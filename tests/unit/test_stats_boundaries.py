"""The 5% line of SPEC §7: a change is significant only when its two-sided p is BELOW 0.05; at exactly
0.05 it is not. Real data just either side of the line for each test, and the line itself.

p exactly 0.05 cannot come out of the z-tests (rates, NPS): their p is 2 × (1 − Φ(z)) with Φ(z) a double
in [0.5, 1), so p is a multiple of 2⁻⁵², and the double nearest 0.05 (0x1.999999999999ap-5) is not
(its neighbours are 0.050000000000000044 and 0.04999999999999982). Welch's p from real answers landing on
the double 0.05 cannot be arranged either. So the line itself is tested on the decision function and
through each public test with its p fixed at 0.05 (the distribution's tail replaced), and the real-data
cases sit as close to it as small integer data allow.
"""
import math

import pytest

from lib import stats


def test_exactly_five_percent_is_not_significant_and_just_below_is():
    assert not stats._change(0.1, 0.05).significant
    assert stats._change(0.1, math.nextafter(0.05, 0.0)).significant
    assert not stats._change(0.1, math.nextafter(0.05, 1.0)).significant
    assert stats.ALPHA == 0.05


def test_each_public_test_at_p_exactly_five_percent_is_not_significant(monkeypatch):
    monkeypatch.setattr(stats, "_two_sided_normal", lambda z: 0.05)
    rate = stats.rate_change(45, 100, 30, 100)
    nps = stats.nps_change(60, 10, 100, 40, 20, 100)
    assert (rate.p_value, rate.significant) == (0.05, False)
    assert (nps.p_value, nps.significant) == (0.05, False)

    class Result:
        pvalue = 0.05
    monkeypatch.setattr(stats.sps, "ttest_ind_from_stats", lambda *a, **k: Result())
    welch = stats.mean_change(5, 15.0, 55.0, 5, 30.0, 220.0)
    assert (welch.p_value, welch.significant) == (0.05, False)


def test_two_proportion_z_test_either_side_of_five_percent():
    # 23/65 vs 13/65: pooled 36/130 = 0.276923, se = √(0.276923 × 0.723077 × 2/65) = 0.0784929,
    # z = (10/65)/0.0784929 = 1.960000 → p = 0.049996 (just below): significant
    below = stats.rate_change(23, 65, 13, 65)
    assert below.p_value == pytest.approx(0.049996, abs=2e-6)
    assert below.significant
    # 28/75 vs 17/75: pooled 45/150 = 0.3, se = √(0.3 × 0.7 × 2/75) = 0.0748331,
    # z = (11/75)/0.0748331 = 1.959916 → p = 0.050006 (just above): not significant
    above = stats.rate_change(28, 75, 17, 75)
    assert above.p_value == pytest.approx(0.050006, abs=2e-6)
    assert not above.significant


def test_nps_z_test_either_side_of_five_percent():
    # A 25 promoters, 8 detractors of 50 → 34; Var_A = (0.5 + 0.16 − 0.34²)/50 = 0.010888;
    # B 24 and 24 of 50 → 0; Var_B = 0.96/50 = 0.0192; z = 0.34/√0.030088 = 1.960123 → p = 0.049982
    below = stats.nps_change(25, 8, 50, 24, 24, 50)
    assert below.diff == pytest.approx(34.0)
    assert below.p_value == pytest.approx(0.049982, abs=2e-6)
    assert below.significant
    # A 31 and 7 of 40 → 60; Var_A = (0.95 − 0.36)/40 = 0.01475; B 23 and 14 of 40 → 22.5;
    # Var_B = (0.925 − 0.050625)/40 = 0.021859; z = 0.375/√0.036609 = 1.959886 → p = 0.050007
    above = stats.nps_change(31, 7, 40, 23, 14, 40)
    assert above.diff == pytest.approx(37.5)
    assert above.p_value == pytest.approx(0.050007, abs=2e-6)
    assert not above.significant


def _sums(xs):
    return len(xs), float(sum(xs)), float(sum(x * x for x in xs))


def test_welch_t_test_either_side_of_five_percent():
    # Scores on 0–100 of six answers each (scale 5).
    # a = 0,0,0,25,75,100: mean 33.333, s² 1916.667; b = 75×5, 100: mean 79.167, s² 104.167;
    # se = √((1916.667 + 104.167)/6) = 18.35226, t = −45.833/18.35226 = −2.497421,
    # df = (336.806)² / ((319.444)²/5 + (17.361)²/5) = 5.5419 → two-sided p = 0.049959: significant
    below = stats.mean_change(*_sums([0, 0, 0, 25, 75, 100]), *_sums([75, 75, 75, 75, 75, 100]))
    assert below.diff == pytest.approx(-45.8333, abs=1e-4)
    assert below.p_value == pytest.approx(0.049959, abs=2e-6)
    assert below.significant
    # a = 25,50,75,100,100,100: mean 75, s² 1000; b = 25,25,50,50,50,50: mean 41.667, s² 166.667;
    # se = √(1166.667/6) = 13.94433, t = 33.333/13.94433 = 2.390457, df = 6.6216 → p = 0.050132: not
    above = stats.mean_change(*_sums([25, 50, 75, 100, 100, 100]), *_sums([25, 25, 50, 50, 50, 50]))
    assert above.diff == pytest.approx(33.3333, abs=1e-4)
    assert above.p_value == pytest.approx(0.050132, abs=2e-6)
    assert not above.significant
