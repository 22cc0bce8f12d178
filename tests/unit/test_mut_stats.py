"""lib.stats edge cases the mutation run (scripts/mutate.py) found unpinned; hand-worked values."""
import pytest

from lib import stats


def test_nps_interval_is_clipped_at_100():
    # 9 promoters, 0 detractors of 10: NPS 90; Var = (0.9 + 0 − 0.9²)/10 = 0.009 → se = 100·√0.009
    # = 9.4868 pt; 1.959964 · 9.4868 = 18.594 → (71.406, 108.594), the top clipped to 100.
    e = stats.nps(9, 0, 10)
    assert e.value == pytest.approx(90.0)
    assert e.low == pytest.approx(71.406, abs=1e-3)
    assert e.high == 100.0
    # and the bottom at −100: 0 promoters, 9 detractors → −90, (−100, −71.406)
    e = stats.nps(0, 9, 10)
    assert (e.low, e.high) == (-100.0, pytest.approx(-71.406, abs=1e-3))


def test_two_constant_groups_with_different_means_differ_for_certain():
    # 80, 80, 80 against 70, 70: both variances 0, so no t statistic; the means differ by 10 with
    # nothing to doubt: p = 0, significant. Equal constant groups: p = 1, not significant.
    c = stats.mean_change(3, 240.0, 3 * 80.0**2, 2, 140.0, 2 * 70.0**2)
    assert (c.diff, c.p_value, c.significant) == (pytest.approx(10.0), 0.0, True)
    same = stats.mean_change(3, 240.0, 3 * 80.0**2, 2, 160.0, 2 * 80.0**2)
    assert (same.diff, same.p_value, same.significant) == (pytest.approx(0.0), 1.0, False)


def test_two_groups_of_one_answer_show_the_difference_untested():
    c = stats.mean_change(1, 80.0, 6400.0, 1, 70.0, 4900.0)
    assert (c.diff, c.p_value, c.significant) == (pytest.approx(10.0), None, False)


def test_nps_change_without_variance():
    # All 10 promoters (NPS 100, Var 0) against all 10 detractors (NPS −100, Var 0): a difference of 200
    # with se 0 is certain (p 0); the same all-promoter groups: no difference, p 1.
    c = stats.nps_change(10, 0, 10, 0, 10, 10)
    assert (c.diff, c.p_value, c.significant) == (pytest.approx(200.0), 0.0, True)
    same = stats.nps_change(10, 0, 10, 10, 0, 10)
    assert (same.diff, same.p_value, same.significant) == (pytest.approx(0.0), 1.0, False)


def test_pearson_refuses_a_constant_second_variable():
    # x = 1, 2, 3; y = 5, 5, 5: Syy = 75 − 15²/3 = 0, so no correlation exists.
    assert stats.pearson(3, 6, 15, 14, 75, 30) is None
    # three points, both varying: x = 1, 2, 3; y = 2, 4, 7 → Σxy = 2 + 8 + 21 = 31, Sxy = 31 − 6·13/3 = 5,
    # Sxx = 2, Syy = 69 − 169/3 = 12.667; r = 5 / √(2 · 12.667) = 5 / 5.03322 = 0.99340
    assert stats.pearson(3, 6, 13, 14, 69, 31) == pytest.approx(0.99340, abs=1e-5)


def test_rate_change_p_value_is_two_sided_and_signed_this_minus_other():
    # 30/100 vs 45/100 (the reverse of test_stats' case): diff −0.15, |z| = 2.1909, two-sided p = 0.0285
    c = stats.rate_change(30, 100, 45, 100)
    assert c.diff == pytest.approx(-0.15)
    assert c.p_value == pytest.approx(0.0285, abs=1e-4)
    # identical rates of 0: se 0, no difference, p 1
    assert stats.rate_change(0, 10, 0, 20) == stats.Change(0.0, 1.0, False)
