"""Capability as non-inferiority: a drop counts only beyond a margin, tested in the capability family alone.

A difference test cannot say "no regression": at 6 items it can never fire, and silence is not evidence. Each
capability benchmark's Δ gets an interval Bonferroni-adjusted within the capability family (seed-level t with >= 2
seeds, else item-level normal from the bootstrap SE) and is compared with the margin (default −3 pp):
- the whole interval above the margin: no regression beyond the margin;
- the interval reaches below the margin and is no wider than the margin (or lies wholly below it): regression;
- the interval straddles the margin and is wider than it: not assessable.
A benchmark whose base model sits at the floor cannot show a drop and is listed as not assessable.
"""

from __future__ import annotations

from scipy import stats as sps

from traitrl.stats.models import BenchmarkDelta, CapabilityCheck, NonInferiorityResult
from traitrl.stats.paired import t_interval

CAPABILITY = "capability"
NO_REGRESSION, REGRESSION = "no regression beyond the margin", "regression"
NOT_ASSESSABLE = "not assessable (CI wider than the margin)"


def _interval(d: BenchmarkDelta, level: float) -> tuple[float, float]:
    if len(d.seed_deltas) >= 2:
        return t_interval(d.seed_deltas, level, d.one_arm_run)
    # Identical answers on every item give a bootstrap SE of 0 and a zero-width interval that would "prove" no
    # regression from 6 items. n items cannot resolve less than one discordant pair, whose SE is 100 / n pp.
    resolution = 100.0 / d.n_paired if d.unit == "pp" and d.n_paired else 0.0
    half = sps.norm.ppf(0.5 + level / 2) * max(d.se, resolution)
    return d.delta - float(half), d.delta + float(half)


def outcome(ci_low: float, ci_high: float, margin: float) -> str:
    if ci_low >= margin:
        return NO_REGRESSION
    if ci_high < margin or ci_high - ci_low <= abs(margin):
        return REGRESSION
    return NOT_ASSESSABLE


def check_capability(deltas: list[BenchmarkDelta], alpha: float, margin: float) -> CapabilityCheck:
    cap = [d for d in deltas if d.category == CAPABILITY]
    one_direction = [d.benchmark for d in cap if d.direction == "up_only" or d.unit != "pp"]
    family = [d for d in cap if d.benchmark not in one_direction]
    level = 1 - alpha / max(len(family), 1)
    results = []
    for d in family:
        lo, hi = _interval(d, level)
        results.append(NonInferiorityResult(benchmark=d.benchmark, delta=d.delta, ci_low=lo, ci_high=hi,
                                            outcome=outcome(lo, hi, margin)))
    outcomes = {r.outcome for r in results}
    status = ("not_checked" if not cap else "regression" if REGRESSION in outcomes
              else "not_assessable" if NOT_ASSESSABLE in outcomes or not results else "no_regression")
    words = {"not_checked": "not checked", "regression": REGRESSION, "not_assessable": NOT_ASSESSABLE,
             "no_regression": NO_REGRESSION}
    k = len(cap[0].seed_deltas) if cap else 0
    interval = (f"{level:.1%} intervals (Bonferroni over {len(family)} capability benchmarks), "
                + ("item-level, these checkpoints only" if k < 2
                   else "Student-t prediction interval, one arm run against its reference runs"
                   if cap[0].one_arm_run else "Student-t over seeds"))
    return CapabilityCheck(status=status, outcome=words[status], margin_pp=margin, n_benchmarks=len(cap),
                           n_drops=sum(d.delta < 0 for d in cap),
                           regressions=[r.benchmark for r in results if r.outcome == REGRESSION],
                           results=results, one_direction=one_direction, interval=interval)


def capability_sentence(cap: CapabilityCheck) -> str:
    if cap.status == "not_checked":
        return "Capability not checked: no benchmark has category 'capability'."
    margin = f"margin {cap.margin_pp:+g} pp"
    skipped = (f" ({', '.join(cap.one_direction)} at the floor or not in pp: cannot show a drop)"
               if cap.one_direction else "")
    if cap.status == "regression":
        return f"Capability: regression beyond the {margin} on {', '.join(cap.regressions)}{skipped}."
    if cap.status == "not_assessable":
        return (f"Capability non-inferiority ({margin}): not assessable (CI wider than the margin) on "
                f"{sum(r.outcome == NOT_ASSESSABLE for r in cap.results)} of {len(cap.results)} "
                f"assessable benchmarks{skipped}.")
    return f"Capability: no regression beyond the {margin} on {len(cap.results)} benchmarks{skipped}."
