"""Paired per-benchmark statistics: items aligned by id, bootstrap CI of the mean difference, paired p-values.

Every function takes arrays whose last axis is items, so a test can push a thousand simulated benchmarks through
one call. The paper reports point estimates only ("improved 44 of 53"); these give each Δ an item-level CI and a
p-value so the count can be split into signal and noise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

# Bootstrap index matrices are built in chunks of at most this many cells (~16 MB of int64) to bound memory.
_MAX_CELLS = 2_000_000


def is_binary(*scores: np.ndarray) -> bool:
    """True when every score is exactly 0 or 1 (then McNemar applies)."""
    return all(np.isin(s, (0.0, 1.0)).all() for s in scores)


def bootstrap_means(diffs: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """`n_boot` means of `diffs` (1-D) resampled over items with replacement: the paired bootstrap."""
    n = diffs.shape[-1]
    if n == 0:
        raise ValueError("bootstrap needs at least one paired item")
    rows = max(1, _MAX_CELLS // n)
    chunks = [diffs[rng.integers(0, n, size=(min(rows, n_boot - start), n))].mean(axis=-1)
              for start in range(0, n_boot, rows)]
    return np.concatenate(chunks)


def percentile_ci(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval, as scipy.stats.bootstrap(method='percentile') computes it."""
    tail = (1.0 - level) / 2.0
    lo, hi = np.percentile(replicates, [100 * tail, 100 * (1 - tail)])
    return float(lo), float(hi)


def mcnemar_pvalue(reference: np.ndarray, arm: np.ndarray) -> np.ndarray:
    """Exact two-sided McNemar p-value for binary paired scores, over the last axis.

    Equals scipy.stats.binomtest(b01, b01 + b10, 0.5).pvalue (tested): under p = 0.5 the binomial is symmetric,
    so the two-sided p is twice the smaller tail, capped at 1. Written with binom.cdf so it vectorizes.
    """
    b01 = np.sum((reference == 0) & (arm == 1), axis=-1)
    b10 = np.sum((reference == 1) & (arm == 0), axis=-1)
    n_discordant = b01 + b10
    p = np.minimum(1.0, 2.0 * sps.binom.cdf(np.minimum(b01, b10), n_discordant, 0.5))
    # No discordant pair: the arms agree on every item, so there is no evidence of a difference.
    return np.where(n_discordant == 0, 1.0, p)


def sign_flip_pvalue(diffs: np.ndarray, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """Two-sided paired permutation test of mean(diffs) = 0 over the last axis: each item's difference keeps or
    flips its sign.

    Same test as scipy.stats.permutation_test((diffs,), np.mean, permutation_type='samples') (tested against it),
    written as one matrix product because scipy's generic loop is ~10x slower here. All 2^n flips are enumerated
    when that is at most `n_perm`; otherwise one is added to both counts, which keeps the p-value valid. Rows of a
    2-D `diffs` share the random flips: each row's p-value is still exact.
    """
    diffs = np.asarray(diffs, dtype=float)
    n = diffs.shape[-1]
    exact = 2 ** n <= n_perm
    n_flips = 2 ** n if exact else n_perm
    # Flips are drawn in chunks so neither the sign matrix nor the product ever exceeds _MAX_CELLS cells.
    rows = max(1, _MAX_CELLS // max(n, diffs.size // n))
    observed = np.abs(diffs.sum(axis=-1))
    # Relative slack as in scipy: flips that reproduce the observed sum up to rounding count as "as extreme".
    threshold = observed * (1 - 1e-12)
    hits = np.zeros(observed.shape, dtype=np.int64)
    for start in range(0, n_flips, rows):
        if exact:
            signs = ((np.arange(start, min(start + rows, n_flips))[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
        else:
            signs = rng.integers(0, 2, size=(min(rows, n_flips - start), n)) * 2.0 - 1.0
        hits += (np.abs(diffs @ signs.T) >= threshold[..., None]).sum(axis=-1)
    return hits / n_flips if exact else (hits + 1) / (n_flips + 1)


def paired_pvalue(reference: np.ndarray, arm: np.ndarray, n_perm: int,
                  rng: np.random.Generator) -> tuple[float, str]:
    """(p, test name): exact McNemar when both sides are binary, else the sign-flip permutation test."""
    if is_binary(reference, arm):
        return float(mcnemar_pvalue(reference, arm)), "mcnemar_exact"
    return float(sign_flip_pvalue(arm - reference, n_perm, rng)), "sign_flip"


def mcnemar_power(n: int, p01: float, p10: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided exact McNemar test for n items with discordance rates p01 and p10.

    The discordant count D is Binomial(n, p01 + p10); given D, the count of 0→1 pairs is Binomial(D, p01 / (p01 + p10)).
    Summing the rejection probability over both gives the power with no normal approximation.
    """
    p_disc = p01 + p10
    total = 0.0
    for d in range(1, n + 1):
        k = np.arange(d + 1)
        reject = np.minimum(1.0, 2.0 * sps.binom.cdf(np.minimum(k, d - k), d, 0.5)) <= alpha
        total += sps.binom.pmf(d, n, p_disc) * sps.binom.pmf(k[reject], d, p01 / p_disc).sum()
    return float(total)


def paired_difference_ci(before, after, seed: int = 0, n_boot: int = 5000) -> tuple[float, float, float]:
    """Mean of `after` − `before` over paired items, with its 95 % percentile bootstrap CI: (mean, low, high)."""
    diffs = np.asarray(after) - np.asarray(before)
    low, high = percentile_ci(bootstrap_means(diffs, n_boot, np.random.default_rng(seed)))
    return float(diffs.mean()), low, high


def seed_se(values, one_arm_run: bool = False) -> float:
    """Standard error of the mean of k seed-level Δs. Paired seeds (or an untrained arm, which has no run-to-run
    variance): s / √k. One trained run of the arm against k reference runs (Δ_i = arm − reference_i): the arm's own
    run-to-run variance is unseen, so it is taken equal to the reference's, s · √(1 + 1/k), the prediction
    interval's; s / √k would halve the interval at k = 3 and call one run's luck an effect."""
    k = len(values)
    sd = float(np.std(values, ddof=1))
    return sd * math.sqrt(1 + 1 / k) if one_arm_run else sd / math.sqrt(k)


def t_interval(values, level: float = 0.95, one_arm_run: bool = False) -> tuple[float, float] | None:
    """Student-t interval (k − 1 df) of the mean of `values`, one Δ per training seed (seed_se says which SE);
    None with fewer than two."""
    k = len(values)
    if k < 2:
        return None
    half = sps.t.ppf(0.5 + level / 2, k - 1) * seed_se(values, one_arm_run)
    mean = float(np.mean(values))
    return mean - float(half), mean + float(half)
