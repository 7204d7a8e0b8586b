"""Roll one arm's per-benchmark deltas up into counts, category summaries, a capability check and a headline.

The headline puts first what limits every other sentence: a smoke-test warning when significance is unattainable,
then the pre-registered primary endpoint, then the held-out trait endpoint, then counts of better / worse / tied
over the battery benchmarks assessable in both directions, with a sign test and the adjusted counts. Never "improved
on X of N" alone. The held-out trait sets are the study's second question: they have their own endpoint and
family, and never enter the battery's counts or pooled endpoint (stats.endpoint.is_trait_evaluation).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from traitrl.evals.benchmark import CATEGORIES
from traitrl.stats.capability import capability_sentence, check_capability
from traitrl.stats.endpoint import (
    TRAIT_ENDPOINT,
    battery,
    is_trait_evaluation,
    poolable,
    primary_endpoint,
    seed_level_values,
    trait_sets,
)
from traitrl.stats.models import (
    ArmSummary,
    BenchmarkDelta,
    CategorySummary,
    Comparison,
    MissingBenchmark,
    PrimaryEndpoint,
)
from traitrl.stats.paired import t_interval
from traitrl.stats.power import benchmark_mde, family_threshold, planning_se, pooled_se, z_mde
from traitrl.stats.settings import StatsSettings

_LISTED = 12  # names printed in the headline before "and N more"


def category_order(categories: set[str]) -> list[str]:
    """Known categories in CATEGORIES order, then any others alphabetically."""
    return [c for c in CATEGORIES if c in categories] + sorted(categories - set(CATEGORIES))


def combined_mean(deltas: list[BenchmarkDelta], level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean Δ over the poolable benchmarks (binary, pp, both directions), normal interval from their bootstrap SEs."""
    pp = [d for d in deltas if poolable(d)]
    if not pp:
        return None, None, None
    mean = float(np.mean([d.delta for d in pp]))
    half = sps.norm.ppf(0.5 + level / 2) * np.sqrt(sum(d.se ** 2 for d in pp)) / len(pp)
    return mean, mean - float(half), mean + float(half)


def _significant(d: BenchmarkDelta, alpha: float, sign: int, p_field: str = "p_holm") -> bool:
    return getattr(d, p_field) < alpha and np.sign(d.delta) == sign


def summarize_category(category: str, deltas: list[BenchmarkDelta], settings: StatsSettings,
                       n_categories: int) -> CategorySummary:
    mean, lo, hi = combined_mean(deltas)
    alpha = settings.alpha
    pooled = [planning_se(d.item_sd, d.n_paired) for d in deltas if poolable(d)]
    mde = z_mde(pooled_se(pooled), family_threshold(alpha, n_categories), settings.power) if pooled else None
    return CategorySummary(
        category=category, n_benchmarks=len(deltas), n_improved=sum(d.delta > 0 for d in deltas),
        n_worse=sum(d.delta < 0 for d in deltas),
        n_significant_better=sum(_significant(d, alpha, 1) for d in deltas),
        n_significant_worse=sum(_significant(d, alpha, -1) for d in deltas),
        mean_delta=mean, mean_delta_ci_low=lo, mean_delta_ci_high=hi, mde=mde)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def smoke_sentence(assessable: list[BenchmarkDelta], primary: PrimaryEndpoint, settings: StatsSettings) -> str | None:
    """Set when the design cannot detect what the report would otherwise seem to test."""
    threshold = family_threshold(settings.alpha, len(assessable))
    unattainable = bool(assessable) and all(d.mde is None for d in assessable)
    big = primary.mde is None or primary.mde > settings.smoke_mde_pp
    if not (unattainable or big):
        return None
    parts = [f"Smoke test: no effect smaller than {primary.mde:.1f} pp can be detected on the primary endpoint"
             if primary.mde is not None else "Smoke test: the primary endpoint has no detectable effect size"]
    if unattainable:
        best = min(d.smallest_p for d in assessable)
        parts.append(f"no single benchmark can reach significance (smallest attainable p {best:.2g} > "
                     f"{threshold:.2g} = alpha / {len(assessable)})")
    return ", and ".join(parts) + "."


def primary_sentence(p: PrimaryEndpoint, name: str = "Primary endpoint") -> str:
    if p.estimate is None:
        return f"{name} ({p.definition}): no benchmark qualifies."
    mde = "unattainable" if p.mde is None else f"{p.mde:.1f}"
    text = (f"{name} (pre-registered: {p.definition}): {p.estimate:+.2f}, 95 % CI {p.ci_low:+.2f} to "
            f"{p.ci_high:+.2f}, MDE {mde}")
    if p.method_uncertainty:
        hier = ("" if p.hier_ci_low is None
                else f", hierarchical bootstrap {p.hier_ci_low:+.2f} to {p.hier_ci_high:+.2f}")
        test = (f"t-test of one arm run against {p.n_seeds} reference runs (prediction interval)" if p.one_arm_run
                else f"paired t-test over {p.n_seeds} seeds")
        return text + f"; {test} p = {p.seed_p_value:.3g}{hier}."
    return (text + "; one seed, so the method's uncertainty cannot be estimated: the interval covers these "
            "checkpoints only.")


def _headline(s: ArmSummary, name: str, reference: str, n_missing: int, alpha: float) -> str:
    parts = [x for x in (s.smoke, s.compute_flag) if x]
    parts.append(primary_sentence(s.primary))
    if s.trait_endpoint is not None:
        parts.append(primary_sentence(s.trait_endpoint, "Held-out trait endpoint")[:-1]
                     + f"; {s.n_traits_better_adjusted} better and {s.n_traits_worse_adjusted} worse of "
                       f"{s.n_traits_assessable} held-out trait sets after {s.correction.upper()}.")
    sign = "–" if s.sign_test_p is None else f"{s.sign_test_p:.3g}"
    parts.append(f"{name} vs {reference}: {s.n_better_assessable} better / {s.n_worse_assessable} worse / "
                 f"{s.n_tied} tied of {s.n_assessable} assessable benchmarks (sign test p = {sign}); "
                 f"{s.n_better_adjusted} better and {s.n_worse_adjusted} worse after {s.correction.upper()} "
                 f"(alpha = {alpha:g}).")
    if s.one_direction:
        parts.append(f"Assessable in one direction only (base at floor or ceiling), listed not counted: "
                     f"{_names(s.one_direction)}.")
    if s.not_pooled:
        parts.append(f"Kept in their own unit, not pooled: {_names(s.not_pooled)}.")
    parts.append(capability_sentence(s.capability))
    if n_missing:
        parts.append(f"{n_missing} benchmark(s) not compared: missing from a run.")
    return " ".join(parts)


def summarize_arm(name: str, reference: str, deltas: list[BenchmarkDelta], missing: list[MissingBenchmark],
                  n_seeds: int, settings: StatsSettings,
                  matrices: dict[str, np.ndarray] | None = None, n_boot: int = 2000,
                  rng: np.random.Generator | None = None) -> ArmSummary:
    alpha = settings.alpha
    battery_deltas = battery(deltas)
    assessable = [d for d in battery_deltas if d.direction == "both"]
    traits = [d for d in trait_sets(deltas) if d.direction == "both"]
    for d in deltas:  # at the first step of its own family's correction (compare._compare_arm)
        family = traits if is_trait_evaluation(d) else assessable
        d.mde = benchmark_mde(d.item_sd, d.n_paired, family_threshold(alpha, len(family)), settings.power)
    categories = category_order({d.category for d in deltas})
    mean, lo, hi = combined_mean(battery_deltas)
    pp = [d for d in battery_deltas if poolable(d)]
    seed_means = [float(v) for v in seed_level_values(pp)] if pp else []
    seed_ci = t_interval(np.array(seed_means), one_arm_run=pp[0].one_arm_run) if seed_means else None
    better, worse = sum(d.delta > 0 for d in assessable), sum(d.delta < 0 for d in assessable)
    field = "p_bh" if settings.correction == "bh" else "p_holm"
    rng = rng or np.random.default_rng(0)
    primary = primary_endpoint(deltas, matrices or {}, settings.primary_endpoint, alpha, settings.power, n_boot, rng)
    trait_endpoint = (primary_endpoint(deltas, matrices or {}, TRAIT_ENDPOINT, alpha, settings.power, n_boot, rng)
                      if traits else None)
    summary = ArmSummary(
        n_benchmarks=len(deltas), n_improved=sum(d.delta > 0 for d in deltas),
        n_worse=sum(d.delta < 0 for d in deltas), n_unchanged=sum(d.delta == 0 for d in deltas),
        n_significant_better=sum(_significant(d, alpha, 1) for d in assessable),
        n_significant_worse=sum(_significant(d, alpha, -1) for d in assessable),
        n_significant_better_bh=sum(_significant(d, alpha, 1, "p_bh") for d in assessable),
        n_significant_worse_bh=sum(_significant(d, alpha, -1, "p_bh") for d in assessable),
        mean_delta=mean, n_in_mean=len(pp), mean_delta_ci_low=lo, mean_delta_ci_high=hi,
        seed_n_improved=[sum(d.seed_deltas[k] > 0 for d in assessable) for k in range(n_seeds)],
        seed_mean_deltas=seed_means,
        seed_mean_delta_ci_low=seed_ci[0] if seed_ci else None, seed_mean_delta_ci_high=seed_ci[1] if seed_ci else None,
        categories=[summarize_category(c, [d for d in deltas if d.category == c], settings, len(categories))
                    for c in categories],
        capability=check_capability(deltas, alpha, settings.ni_margin_pp),
        n_assessable=len(assessable), n_tied=len(assessable) - better - worse, n_better_assessable=better,
        n_worse_assessable=worse,
        sign_test_p=float(sps.binomtest(better, better + worse, 0.5).pvalue) if better + worse else None,
        correction=settings.correction,
        n_better_adjusted=sum(_significant(d, alpha, 1, field) for d in assessable),
        n_worse_adjusted=sum(_significant(d, alpha, -1, field) for d in assessable),
        one_direction=[f"{d.benchmark} ({'floor' if d.direction == 'up_only' else 'ceiling'})"
                       for d in deltas if d.direction != "both"],
        not_pooled=[d.benchmark for d in deltas if not d.binary and d.direction == "both"],
        primary=primary, trait_endpoint=trait_endpoint, n_traits_assessable=len(traits),
        n_traits_better_adjusted=sum(_significant(d, alpha, 1, field) for d in traits),
        n_traits_worse_adjusted=sum(_significant(d, alpha, -1, field) for d in traits), headline="")
    summary.smoke = smoke_sentence(assessable, primary, settings)
    summary.headline = _headline(summary, name, reference, len(missing), alpha)
    return summary


def flag_compute(comparison: Comparison, flags: dict[str, str | None]) -> None:
    """Put each arm's measured-compute mismatch into its headline (after any smoke-test warning)."""
    for arm in comparison.arms:
        if flags.get(arm.name):
            arm.summary.compute_flag = flags[arm.name]
            arm.summary.headline = _headline(arm.summary, arm.name, comparison.reference_name, len(arm.missing),
                                             comparison.alpha)
    comparison.headline = comparison.arms[0].summary.headline
