"""The pre-registered primary endpoint, with training runs (seeds) as the unit of replication.

With k >= 2 paired seeds the endpoint gets a paired t-test over the k seed-level values and a hierarchical bootstrap
(seeds resampled, then items within each benchmark, the same seed draw for every benchmark because a seed's
checkpoint is shared by all of them). With one seed only the items vary: the interval describes these two
checkpoints and says nothing about the method, and the report says so.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from traitrl.evals.benchmarks.trait_heldout import CATEGORY as TRAIT_CATEGORY
from traitrl.evals.benchmarks.trait_heldout import LABEL as TRAIT_LABEL
from traitrl.stats.models import BenchmarkDelta, PrimaryEndpoint
from traitrl.stats.paired import _MAX_CELLS, percentile_ci, seed_se, t_interval
from traitrl.stats.power import planning_se, pooled_se, t_mde, z_mde

CHECKPOINTS_ONLY = ("these checkpoints only: item-level normal interval from the benchmarks' bootstrap SEs; "
                    "the method's run-to-run uncertainty cannot be estimated from one seed")
SEED_LEVEL = "across seeds: Student-t interval of the seed-level endpoint (paired seeds, k - 1 df)"
ONE_ARM_RUN = ("one trained run of the arm against k reference runs: Student-t prediction interval, s * sqrt(1 + 1/k), "
               "k - 1 df, taking the arm's unseen run-to-run SD equal to the reference's")
# The study's second question, "did the traits change", has its own endpoint: the held-out trait sets' mean Δ.
TRAIT_ENDPOINT = f"category:{TRAIT_CATEGORY}"


def is_trait_evaluation(d: BenchmarkDelta) -> bool:
    """A held-out trait benchmark (label 'traits'). It answers the trait question, not the battery's: a trait arm
    trains on these traits (guided runs imitate their rubrics' reference replies), so pooling them with the battery
    would let a trait gain pass for a change out of distribution. They get their own endpoint and family."""
    return TRAIT_LABEL in d.labels


def battery(deltas: list[BenchmarkDelta]) -> list[BenchmarkDelta]:
    """The out-of-distribution battery: every benchmark but the held-out trait evaluation."""
    return [d for d in deltas if not is_trait_evaluation(d)]


def trait_sets(deltas: list[BenchmarkDelta]) -> list[BenchmarkDelta]:
    """The held-out trait evaluation: what `battery` leaves out."""
    return [d for d in deltas if is_trait_evaluation(d)]


def seed_level_values(chosen: list[BenchmarkDelta]) -> np.ndarray:
    """One value per seed: the mean over `chosen` of each benchmark's Δ at that seed."""
    return np.mean([d.seed_deltas for d in chosen], axis=0)


def poolable(d: BenchmarkDelta) -> bool:
    """Binary-scored (pp), assessable in both directions: the benchmarks whose Δs may be averaged together."""
    return d.binary and d.unit == "pp" and d.direction == "both"


def select(deltas: list[BenchmarkDelta], endpoint: str) -> tuple[list[BenchmarkDelta], str]:
    """The benchmarks an endpoint averages, and its definition in words."""
    kind, _, name = endpoint.partition(":")
    if kind == "category":
        return ([d for d in deltas if poolable(d) and d.category == name],
                f"mean Δ (pp) over the assessable binary-scored benchmarks of category {name!r}")
    if kind == "benchmark":
        return [d for d in deltas if d.benchmark == name], f"Δ on benchmark {name!r}"
    return ([d for d in battery(deltas) if poolable(d)],
            "pooled mean Δ (pp) over the assessable binary-scored battery benchmarks (held-out trait sets apart)")


def hierarchical_bootstrap(matrices: list[np.ndarray], n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """`n_boot` replicates of the mean over benchmarks of each benchmark's mean difference.

    Each matrix is seeds × items (signed differences) and all share the seed axis. A replicate draws k seeds with
    replacement (shared by every benchmark), then each benchmark's items with replacement.
    """
    k = matrices[0].shape[0]
    seeds = rng.integers(0, k, size=(n_boot, k))
    total = np.zeros(n_boot)
    for m in matrices:
        n = m.shape[1]
        rows = max(1, _MAX_CELLS // (k * n))
        for start in range(0, n_boot, rows):
            stop = min(start + rows, n_boot)
            items = rng.integers(0, n, size=(stop - start, n))
            total[start:stop] += m[seeds[start:stop, :, None], items[:, None, :]].mean(axis=(1, 2))
    return total / len(matrices)


def primary_endpoint(deltas: list[BenchmarkDelta], matrices: dict[str, np.ndarray], endpoint: str, alpha: float,
                     power: float, n_boot: int, rng: np.random.Generator) -> PrimaryEndpoint:
    """The endpoint's estimate and interval; `matrices` (benchmark → seeds × items differences) feed the bootstrap."""
    chosen, definition = select(deltas, endpoint)
    k = len(chosen[0].seed_deltas) if chosen else 0
    if not chosen:
        return PrimaryEndpoint(endpoint=endpoint, definition=definition, n_benchmarks=0, n_seeds=k, estimate=None,
                               interval="no benchmark qualifies", method_uncertainty=k >= 2)
    estimate = float(np.mean([d.delta for d in chosen]))
    if k < 2:
        half = float(sps.norm.ppf(1 - alpha / 2) * pooled_se([d.se for d in chosen]))
        mde = z_mde(pooled_se([planning_se(d.item_sd, d.n_paired) for d in chosen]), alpha, power)
        return PrimaryEndpoint(endpoint=endpoint, definition=definition, n_benchmarks=len(chosen), n_seeds=k,
                               estimate=estimate, ci_low=estimate - half, ci_high=estimate + half,
                               interval=CHECKPOINTS_ONLY, mde=mde, method_uncertainty=False)
    seed_values = seed_level_values(chosen)
    one_run = chosen[0].one_arm_run
    se = seed_se(seed_values, one_run)
    # Three identical seeds (SD 0) would claim a zero MDE: one seed's item noise is the least it can be.
    mde_sd = max(float(np.std(seed_values, ddof=1)), pooled_se([planning_se(d.item_sd, d.n_paired) for d in chosen])
                 * np.sqrt(k))
    p = (1.0 if se == 0 and estimate == 0 else 0.0 if se == 0
         else float(2 * sps.t.sf(abs(float(np.mean(seed_values))) / se, k - 1)))  # ttest_1samp when paired
    lo, hi = t_interval(seed_values, 1 - alpha, one_run)
    hier_lo = hier_hi = None  # resampling the reference's runs alone would miss the one arm run's variance
    if not one_run and all(d.benchmark in matrices for d in chosen):
        boot = hierarchical_bootstrap([matrices[d.benchmark] for d in chosen], n_boot, rng)
        hier_lo, hier_hi = percentile_ci(boot, 1 - alpha)
    return PrimaryEndpoint(endpoint=endpoint, definition=definition, n_benchmarks=len(chosen), n_seeds=k,
                           estimate=estimate, ci_low=lo, ci_high=hi, interval=ONE_ARM_RUN if one_run else SEED_LEVEL,
                           seed_p_value=p, seed_ci_low=lo, seed_ci_high=hi, hier_ci_low=hier_lo, hier_ci_high=hier_hi,
                           mde=t_mde(mde_sd * (math.sqrt(k + 1) if one_run else 1.0), k, alpha, power),
                           method_uncertainty=True, one_arm_run=one_run)
