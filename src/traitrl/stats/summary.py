"""Roll one arm's per-benchmark deltas up into counts, category summaries, a capability check and a headline.

"Improved on X of N" is a count of point estimates (as in the paper); every summary also says how many survive
Holm adjustment, so a reader can tell a broad effect from 53 coin flips.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from traitrl.evals.benchmark import CATEGORIES
from traitrl.stats.models import ArmSummary, BenchmarkDelta, CapabilityCheck, CategorySummary, MissingBenchmark
from traitrl.stats.paired import t_interval

CAPABILITY = "capability"


def category_order(categories: set[str]) -> list[str]:
    """Known categories in CATEGORIES order, then any others alphabetically."""
    return [c for c in CATEGORIES if c in categories] + sorted(categories - set(CATEGORIES))


def combined_mean(deltas: list[BenchmarkDelta], level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean delta over the pp benchmarks with a normal interval from their bootstrap SEs (independent item sets)."""
    pp = [d for d in deltas if d.unit == "pp"]
    if not pp:
        return None, None, None
    mean = float(np.mean([d.delta for d in pp]))
    half = sps.norm.ppf(0.5 + level / 2) * np.sqrt(sum(d.se ** 2 for d in pp)) / len(pp)
    return mean, mean - float(half), mean + float(half)


def _significant(d: BenchmarkDelta, alpha: float, sign: int, p_field: str = "p_holm") -> bool:
    return getattr(d, p_field) < alpha and np.sign(d.delta) == sign


def summarize_category(category: str, deltas: list[BenchmarkDelta], alpha: float) -> CategorySummary:
    mean, lo, hi = combined_mean(deltas)
    return CategorySummary(
        category=category, n_benchmarks=len(deltas), n_improved=sum(d.delta > 0 for d in deltas),
        n_significant_better=sum(_significant(d, alpha, 1) for d in deltas),
        n_significant_worse=sum(_significant(d, alpha, -1) for d in deltas),
        mean_delta=mean, mean_delta_ci_low=lo, mean_delta_ci_high=hi)


def check_capability(deltas: list[BenchmarkDelta], alpha: float) -> CapabilityCheck:
    """Flag every capability benchmark whose drop is significant after Holm adjustment."""
    cap = [d for d in deltas if d.category == CAPABILITY]
    regressions = [d.benchmark for d in cap if _significant(d, alpha, -1)]
    status = "not_checked" if not cap else "regression" if regressions else "ok"
    return CapabilityCheck(status=status, n_benchmarks=len(cap), n_drops=sum(d.delta < 0 for d in cap),
                           regressions=regressions)


def _capability_sentence(cap: CapabilityCheck) -> str:
    if cap.status == "not_checked":
        return "Capability regression not checked: no benchmark has category 'capability'."
    if cap.status == "regression":
        return (f"Capability regression: significant drop on {', '.join(cap.regressions)} "
                f"({len(cap.regressions)} of {cap.n_benchmarks} capability benchmarks, Holm).")
    return (f"No significant capability regression ({cap.n_drops} of {cap.n_benchmarks} capability benchmarks "
            "dropped, none significantly after Holm).")


def _headline(name: str, reference: str, s: ArmSummary, n_seeds: int, n_missing: int, alpha: float) -> str:
    parts = [f"{name} improved on {s.n_improved} of {s.n_benchmarks} benchmarks vs {reference} (point estimates); "
             f"{s.n_significant_better} significantly better and {s.n_significant_worse} significantly worse "
             f"after Holm adjustment (alpha = {alpha:g}; BH: {s.n_significant_better_bh} better, "
             f"{s.n_significant_worse_bh} worse)."]
    if s.mean_delta is not None:
        parts.append(f"Mean delta {s.mean_delta:+.2f} pp over {s.n_in_mean} benchmarks "
                     f"(95 % CI {s.mean_delta_ci_low:+.2f} to {s.mean_delta_ci_high:+.2f}, item-level).")
    if n_seeds >= 2:
        parts.append(f"Across {n_seeds} seeds the improved count ranged {min(s.seed_n_improved)}"
                     f"-{max(s.seed_n_improved)} of {s.n_benchmarks}; mean delta across-seed 95 % interval "
                     f"{s.seed_mean_delta_ci_low:+.2f} to {s.seed_mean_delta_ci_high:+.2f} pp.")
    parts.append(_capability_sentence(s.capability))
    if n_missing:
        parts.append(f"{n_missing} benchmark(s) not compared: missing from a run.")
    return " ".join(parts)


def summarize_arm(name: str, reference: str, deltas: list[BenchmarkDelta], missing: list[MissingBenchmark],
                  n_seeds: int, alpha: float) -> ArmSummary:
    categories = category_order({d.category for d in deltas})
    mean, lo, hi = combined_mean(deltas)
    pp = [d for d in deltas if d.unit == "pp"]
    seed_means = [float(np.mean([d.seed_deltas[k] for d in pp])) for k in range(n_seeds)] if pp else []
    seed_ci = t_interval(np.array(seed_means)) if seed_means else None
    summary = ArmSummary(
        n_benchmarks=len(deltas), n_improved=sum(d.delta > 0 for d in deltas),
        n_worse=sum(d.delta < 0 for d in deltas), n_unchanged=sum(d.delta == 0 for d in deltas),
        n_significant_better=sum(_significant(d, alpha, 1) for d in deltas),
        n_significant_worse=sum(_significant(d, alpha, -1) for d in deltas),
        n_significant_better_bh=sum(_significant(d, alpha, 1, "p_bh") for d in deltas),
        n_significant_worse_bh=sum(_significant(d, alpha, -1, "p_bh") for d in deltas),
        mean_delta=mean, n_in_mean=len(pp), mean_delta_ci_low=lo, mean_delta_ci_high=hi,
        seed_n_improved=[sum(d.seed_deltas[k] > 0 for d in deltas) for k in range(n_seeds)],
        seed_mean_deltas=seed_means,
        seed_mean_delta_ci_low=seed_ci[0] if seed_ci else None, seed_mean_delta_ci_high=seed_ci[1] if seed_ci else None,
        categories=[summarize_category(c, [d for d in deltas if d.category == c], alpha) for c in categories],
        capability=check_capability(deltas, alpha), headline="")
    summary.headline = _headline(name, reference, summary, n_seeds, len(missing), alpha)
    return summary
