"""Sample sizes, 95% intervals and two-period tests for survey KPIs (SPEC §7).

Everything starts from sufficient statistics the database returns (n, Σx, Σx², counts), so no
response row is ever loaded to compute an interval:
- rates: Wilson score interval (scipy's ``binomtest(...).proportion_ci(method="wilson")``);
- means: Student's t interval, mean ± t(0.975, n−1)·s/√n;
- NPS: the difference of two multinomial shares, normal interval with
  Var = (p + d − (p − d)²) / n, clipped to [−100, 100];
- changes: two-proportion z-test (pooled) for rates, Welch's t-test for means, an unpooled z-test
  for NPS; two-sided, significant when p < 0.05.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from scipy import special
from scipy import stats as sps

ALPHA = 0.05
Z = NormalDist().inv_cdf(1 - ALPHA / 2)


@dataclass(frozen=True)
class Estimate:
    """A KPI value with its sample size and 95% interval (None where it cannot be formed)."""
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Change:
    """This period minus the other one, the two-sided p-value and whether p < 5%."""
    diff: float | None
    p_value: float | None
    significant: bool


NO_CHANGE = Change(None, None, False)


def variance(n: int, total: float, squares: float) -> float | None:
    """Sample variance (n − 1 denominator) from Σx and Σx²; None for fewer than two values."""
    if n < 2:
        return None
    return max(squares - total * total / n, 0.0) / (n - 1)


def rate(k: int, n: int) -> Estimate:
    if not n:
        return Estimate(None, 0)
    ci = sps.binomtest(int(k), int(n)).proportion_ci(confidence_level=1 - ALPHA, method="wilson")
    return Estimate(k / n, n, float(ci.low), float(ci.high))


def mean(n: int, total: float | None, squares: float | None) -> Estimate:
    if not n:
        return Estimate(None, 0)
    value = float(total) / n
    var = variance(n, float(total), float(squares))
    if var is None:
        return Estimate(value, n)
    # Student's t quantile straight from its special function: sps.t.ppf gives the same value through
    # 130 µs of argument checking, and the Surveys heat map asks for hundreds of cells.
    half = float(special.stdtrit(n - 1, 1 - ALPHA / 2)) * math.sqrt(var / n)
    return Estimate(value, n, value - half, value + half)


def _nps_parts(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    p, d = promoters / n, detractors / n
    return 100.0 * (p - d), 100.0 * 100.0 * (p + d - (p - d) ** 2) / n


def nps(promoters: int, detractors: int, n: int) -> Estimate:
    if not n:
        return Estimate(None, 0)
    value, var = _nps_parts(promoters, detractors, n)
    half = Z * math.sqrt(var)
    return Estimate(value, n, max(value - half, -100.0), min(value + half, 100.0))


def _two_sided_normal(z: float) -> float:
    return 2 * (1 - NormalDist().cdf(abs(z)))


def _change(diff: float, p_value: float) -> Change:
    return Change(diff, p_value, p_value < ALPHA)


def rate_change(k1: int, n1: int, k2: int, n2: int) -> Change:
    """Two-proportion z-test with the pooled proportion; period 1 minus period 2."""
    if not n1 or not n2:
        return NO_CHANGE
    p1, p2, pooled = k1 / n1, k2 / n2, (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return Change(p1 - p2, 1.0, False)
    return _change(p1 - p2, _two_sided_normal((p1 - p2) / se))


def mean_change(n1: int, s1: float | None, ss1: float | None, n2: int, s2: float | None,
                ss2: float | None) -> Change:
    """Welch's t-test (unequal variances) from sufficient statistics; period 1 minus period 2."""
    if not n1 or not n2:
        return NO_CHANGE
    m1, m2 = float(s1) / n1, float(s2) / n2
    v1, v2 = variance(n1, float(s1), float(ss1)), variance(n2, float(s2), float(ss2))
    if v1 is None or v2 is None:  # a group of one has no variance: the difference is shown, untested
        return Change(m1 - m2, None, False)
    if v1 == 0 and v2 == 0:
        return Change(m1 - m2, 1.0 if m1 == m2 else 0.0, m1 != m2)
    result = sps.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m2, math.sqrt(v2), n2, equal_var=False)
    return _change(m1 - m2, float(result.pvalue))


def nps_change(prom1: int, det1: int, n1: int, prom2: int, det2: int, n2: int) -> Change:
    """Unpooled z-test on the difference of two NPS values."""
    if not n1 or not n2:
        return NO_CHANGE
    a, va = _nps_parts(prom1, det1, n1)
    b, vb = _nps_parts(prom2, det2, n2)
    se = math.sqrt(va + vb)
    if se == 0:
        return Change(a - b, 1.0 if a == b else 0.0, a != b)
    return _change(a - b, _two_sided_normal((a - b) / se))


def pearson(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """Pearson correlation from sums; None when either variable does not vary or n < 3."""
    if n < 3:
        return None
    cov = sxy - sx * sy / n
    vx, vy = sxx - sx * sx / n, syy - sy * sy / n
    if vx <= 1e-12 or vy <= 1e-12:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(vx * vy)))
