"""Statistical tests of the statistics: false-positive rate, family-wise rate, power, and agreement with scipy.

Each simulation runs a thousand benchmarks (or families) through one vectorized call, seeded, so the asserted
figures are reproducible. Tolerances are ~3 Monte Carlo standard errors unless the issue fixes them (FPR 5 ± 1.5 %).
"""

import numpy as np
import pytest
from scipy import stats as sps

from traitrl.stats.multiple import benjamini_hochberg, holm
from traitrl.stats.paired import (
    bootstrap_means,
    mcnemar_power,
    mcnemar_pvalue,
    percentile_ci,
    sign_flip_pvalue,
)

ALPHA = 0.05


def null_binary(rng, n_bench: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Both arms draw each item from the same per-item success rate: no effect, realistic item difficulty."""
    p = rng.uniform(0.3, 0.9, size=(n_bench, n_items))
    return (rng.random(p.shape) < p).astype(float), (rng.random(p.shape) < p).astype(float)


def mcnemar_size(n_discordant: np.ndarray) -> np.ndarray:
    """Exact rejection rate of the exact McNemar test under the null, given the discordant count."""
    sizes = {}
    for d in np.unique(n_discordant):
        k = np.arange(d + 1)
        reject = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(k, d - k), d, 0.5)) <= ALPHA
        sizes[d] = sps.binom.pmf(k[reject], d, 0.5).sum() if d else 0.0
    return np.array([sizes[d] for d in n_discordant])


def test_mcnemar_equals_scipy_binomtest():
    rng = np.random.default_rng(1)
    ref, arm = (rng.random((40, 60)) < 0.5).astype(float), (rng.random((40, 60)) < 0.6).astype(float)
    ours = mcnemar_pvalue(ref, arm)
    b01, b10 = ((ref == 0) & (arm == 1)).sum(1), ((ref == 1) & (arm == 0)).sum(1)
    expected = [sps.binomtest(int(x), int(x + y), 0.5).pvalue for x, y in zip(b01, b10, strict=True)]
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert mcnemar_pvalue(np.ones(5), np.ones(5)) == 1.0


def test_sign_flip_equals_scipy_exact_permutation_test():
    rng = np.random.default_rng(2)
    for _ in range(5):
        d = rng.normal(0.4, 1.0, size=11)  # 2^11 = 2048 flips: both enumerate exactly
        expected = sps.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=9999).pvalue
        assert sign_flip_pvalue(d, 9999, rng) == pytest.approx(expected, rel=1e-12)


def test_bootstrap_ci_matches_scipy_percentile():
    rng = np.random.default_rng(3)
    ref, arm = null_binary(rng, 1, 800)
    diffs = 100 * (arm[0] - ref[0])
    lo, hi = percentile_ci(bootstrap_means(diffs, 20000, np.random.default_rng(4)))
    ref_ci = sps.bootstrap((diffs,), np.mean, n_resamples=20000, method="percentile", rng=5).confidence_interval
    # Monte Carlo error of a 2.5 % quantile at 20k resamples is ~0.05 pp here; the mean moves in 0.125 pp steps.
    assert lo == pytest.approx(ref_ci.low, abs=0.2)
    assert hi == pytest.approx(ref_ci.high, abs=0.2)
    assert lo < diffs.mean() < hi


def test_false_positive_rate_mcnemar_1000_null_benchmarks():
    rng = np.random.default_rng(10)
    ref, arm = null_binary(rng, 1000, 800)
    rejected = mcnemar_pvalue(ref, arm) < ALPHA
    fpr = rejected.mean()
    n_discordant = ((ref != arm).sum(axis=1))
    expected = mcnemar_size(n_discordant).mean()  # exact McNemar is slightly conservative (discreteness)
    print(f"McNemar FPR {fpr:.3f} (exact expectation {expected:.3f})")
    assert abs(fpr - 0.05) <= 0.015
    assert abs(fpr - expected) <= 3 * np.sqrt(expected * (1 - expected) / 1000)


def test_false_positive_rate_sign_flip_1000_null_benchmarks():
    rng = np.random.default_rng(11)
    diffs = rng.normal(0, 1, size=(1000, 100)) * rng.uniform(0.5, 2, size=(1000, 1))
    fpr = (sign_flip_pvalue(diffs, 999, rng) < ALPHA).mean()
    print(f"sign-flip FPR {fpr:.3f}")
    assert abs(fpr - 0.05) <= 0.015


def test_holm_family_wise_rate_at_most_5_percent():
    rng = np.random.default_rng(12)
    n_families, n_bench = 1000, 53
    p = np.concatenate([mcnemar_pvalue(*null_binary(rng, 100 * n_bench, 300)).reshape(100, n_bench)
                        for _ in range(n_families // 100)])
    fwer_holm = np.mean([(holm(row) < ALPHA).any() for row in p])
    fwer_bh = np.mean([(benjamini_hochberg(row) < ALPHA).any() for row in p])
    fwer_raw = (p < ALPHA).any(axis=1).mean()
    print(f"family-wise rate: unadjusted {fwer_raw:.3f}, Holm {fwer_holm:.3f}, BH {fwer_bh:.3f}")
    assert fwer_holm <= 0.05
    assert fwer_bh <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / n_families)  # BH = FWER control under the global null
    assert fwer_raw > 0.8  # without adjustment a 53-benchmark family almost always "finds" something


def test_power_for_5pp_shift_at_800_items_matches_theory():
    n, n_bench = 800, 2000
    p01, p10 = 0.125, 0.075  # arm gains 0→1 on 12.5 % of items, loses 1→0 on 7.5 %: +5 pp
    rng = np.random.default_rng(13)
    p = rng.random((n_bench, n))
    ref = np.where(p < p01, 0.0, np.where(p < p01 + p10, 1.0, (rng.random((n_bench, n)) < 0.6).astype(float)))
    arm = np.where(p < p01, 1.0, np.where(p < p01 + p10, 0.0, ref))
    assert (arm - ref).mean() == pytest.approx(0.05, abs=0.002)
    power = (mcnemar_pvalue(ref, arm) < ALPHA).mean()
    theory = mcnemar_power(n, p01, p10, ALPHA)
    z = 0.05 * np.sqrt(n) / np.sqrt(p01 + p10 - 0.05 ** 2)
    normal_approx = sps.norm.sf(sps.norm.ppf(1 - ALPHA / 2) - z)
    print(f"power simulated {power:.3f}, exact theory {theory:.3f}, normal approximation {normal_approx:.3f}")
    assert abs(power - theory) <= 3 * np.sqrt(theory * (1 - theory) / n_bench)
    assert abs(theory - normal_approx) < 0.03
