"""The method side-by-side: trait RL vs constitution vs baseline, per eval category and persistence metric.

Categories use the statistics of the main comparison: each arm's category mean delta vs the baseline with the normal
interval from the benchmarks' item-level bootstrap SEs (stats.summary.combined_mean). The winner is tested against
the runner-up on the same footing: against the baseline, that arm's category mean; trait vs constitution, a paired
head-to-head comparison with the constitution arm as reference (stats.compare_runs), when both eval dirs are given.
p-values are Holm-adjusted over the category rows. Persistence rows show the suite's numbers; with no paired test
between models there, a win counts as significant only when the two 95 % intervals do not overlap (conservative).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats as sps

from traitrl._util.errors import DataError
from traitrl.report.sections import MethodCell, MethodComparison, MethodRow, PersistenceSection
from traitrl.stats.endpoint import poolable
from traitrl.stats.models import ArmComparison, BenchmarkDelta, Comparison
from traitrl.stats.multiple import holm
from traitrl.stats.summary import category_order, combined_mean

BASELINE = "baseline"
CONSTITUTION = "constitution"
TEST = ("Categories: mean delta vs baseline (pp) over the category's benchmarks, 95 % normal interval from their "
        "item-level bootstrap SEs; p = winner vs runner-up, two-sided normal test on that mean (trait vs "
        "constitution: paired head-to-head run with the constitution arm as reference, else no p), Holm-adjusted "
        "over category rows. Persistence: values as measured by the suite, no p; significant = the winner's and "
        "runner-up's 95 % intervals do not overlap.")


def category_test(deltas: list[BenchmarkDelta]) -> tuple[float | None, float | None, float | None, float | None]:
    """(mean, ci_low, ci_high, two-sided p) of the mean pp delta, treating benchmarks as independent."""
    mean, low, high = combined_mean(deltas)
    if mean is None:
        return None, None, None, None
    pp = [d for d in deltas if poolable(d)]
    se = float(np.sqrt(sum(d.se ** 2 for d in pp)) / len(pp))
    p = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(mean) / se))
    return mean, low, high, p


def _ranked(cells: list[MethodCell], higher_is_better: bool) -> tuple[str | None, MethodCell | None, MethodCell | None]:
    order = sorted(cells, key=lambda c: c.value, reverse=higher_is_better)
    if len(order) < 2 or np.isclose(order[0].value, order[1].value):
        return None, order[0] if order else None, order[1] if len(order) > 1 else None
    return order[0].method, order[0], order[1]


def _arms_by_method(comparison: Comparison, arm_methods: dict[str, str]) -> dict[str, ArmComparison | None]:
    """method → its arm (None for the baseline, the comparison's reference)."""
    out: dict[str, ArmComparison | None] = {}
    for name, method in arm_methods.items():
        if name == comparison.reference_name or method == BASELINE:
            continue  # the reference run, whatever compare_runs labelled it
        if method in out:
            raise DataError(f"methods need one arm each, but {method!r} has several; pass one arm per method "
                            "(seeds of an arm go into one comparison arm)")
        try:
            out[method] = comparison.arm(name)
        except KeyError as e:
            raise DataError(f"arm_methods names {name!r}, which is not in the comparison: {e}") from None
    if not out:
        raise DataError("arm_methods names no trained arm besides the baseline")
    out[BASELINE] = None
    return out


def head_to_head(eval_dirs: dict[str, Path], trait_arm: str, constitution_arm: str, seed: int = 0,
                 n_boot: int = 2000) -> ArmComparison | None:
    """The other arm vs the constitution arm (the reference), paired by item; None unless both eval dirs exist."""
    from traitrl.stats.compare import compare_runs

    trait_dir, constitution_dir = eval_dirs.get(trait_arm), eval_dirs.get(constitution_arm)
    if not (trait_dir and constitution_dir and Path(trait_dir).is_dir() and Path(constitution_dir).is_dir()):
        return None
    return compare_runs(Path(constitution_dir), {trait_arm: [Path(trait_dir)]}, seed=seed, n_boot=n_boot,
                        reference_name=constitution_arm).arm(trait_arm)


def _category_rows(arms: dict[str, ArmComparison | None], h2h: ArmComparison | None,
                   methods: tuple[str, str] | None) -> list[tuple[MethodRow, float | None]]:
    categories = category_order({d.category for a in arms.values() if a for d in a.deltas})
    rows = []
    for category in categories:
        tests = {m: category_test([d for d in a.deltas if d.category == category])
                 for m, a in arms.items() if a is not None}
        cells = [MethodCell(method=m, value=t[0], ci_low=t[1], ci_high=t[2]) for m, t in tests.items()
                 if t[0] is not None]
        if not cells:
            continue  # no pp benchmark in this category
        cells.append(MethodCell(method=BASELINE, value=0.0))
        winner, first, second = _ranked(cells, higher_is_better=True)
        p = None
        if winner is not None:
            pair = {first.method, second.method}
            if BASELINE in pair:
                p = tests[(pair - {BASELINE}).pop()][3]
            elif h2h is not None and methods is not None and pair == set(methods):
                p = category_test([d for d in h2h.deltas if d.category == category])[3]
        rows.append((MethodRow(kind="category", name=category, unit="pp delta vs baseline", higher_is_better=True,
                               cells=cells, winner=winner), p))
    return rows


def _interval_win(first: MethodCell, second: MethodCell, higher_is_better: bool) -> bool:
    if None in (first.ci_low, first.ci_high, second.ci_low, second.ci_high):
        return False
    return first.ci_low > second.ci_high if higher_is_better else first.ci_high < second.ci_low


def _persistence_rows(section: PersistenceSection, method_of: Callable[[str], str | None]) -> list[MethodRow]:
    metrics: dict[tuple[str, str, bool], list[MethodCell]] = {}

    def add(name: str, unit: str, higher: bool, model: str, value: float, low=None, high=None) -> None:
        method = method_of(model)
        if method is not None:
            metrics.setdefault((name, unit, higher), []).append(
                MethodCell(method=method, value=value, ci_low=low, ci_high=high))

    for curve in section.curves:
        last = max(curve.points, key=lambda p: p.step)
        add(f"ASR after {last.step} harmful-SFT steps", "ASR", False, curve.model, last.asr, last.asr_ci_low,
            last.asr_ci_high)
        add(f"trait score after {last.step} harmful-SFT steps", "score 0-1", True, curve.model, last.trait_score,
            last.trait_ci_low, last.trait_ci_high)
    for a in section.attack_asr:
        add(f"ASR · {a.family}", "ASR", False, a.model, a.asr, a.ci_low, a.ci_high)
    for d in section.pressure_drops:
        add(f"pressure drop · {d.pressure}", "score drop", False, d.model, d.drop, d.ci_low, d.ci_high)
    for s in section.selective_persistence:
        add("selective persistence index", "index", True, s.model, s.index, s.ci_low, s.ci_high)
    rows = []
    for (name, unit, higher), cells in metrics.items():
        winner, first, second = _ranked(cells, higher)
        rows.append(MethodRow(kind="persistence", name=name, unit=unit, higher_is_better=higher, cells=cells,
                              winner=winner, significant=winner is not None and _interval_win(first, second, higher)))
    return rows


def method_comparison(comparison: Comparison, persistence: dict | PersistenceSection | None,
                      arm_methods: dict[str, str], *, eval_dirs: dict[str, Path] | None = None, seed: int = 0,
                      n_boot: int = 2000) -> MethodComparison:
    """The report's `methods` section. `arm_methods`: arm name → method ('trait', 'constitution'; the comparison's
    reference is the baseline). `eval_dirs` (arm → eval dir) enables the paired test of the other trained method vs
    'constitution' when exactly those two are compared."""
    arms = _arms_by_method(comparison, arm_methods)
    trained = [m for m in arms if m != BASELINE]
    h2h, pair = None, None
    if eval_dirs and len(trained) == 2 and CONSTITUTION in trained:
        other = next(m for m in trained if m != CONSTITUTION)
        pair = (other, CONSTITUTION)
        h2h = head_to_head(eval_dirs, arms[other].name, arms[CONSTITUTION].name, seed=seed, n_boot=n_boot)
    scored = _category_rows(arms, h2h, pair)
    tested = [i for i, (_, p) in enumerate(scored) if p is not None]
    adjusted = dict(zip(tested, holm(np.array([scored[i][1] for i in tested])), strict=True)) if tested else {}
    rows = [row.model_copy(update={"p_value": float(adjusted[i]), "significant": bool(adjusted[i] < comparison.alpha)})
            if i in adjusted else row for i, (row, _) in enumerate(scored)]
    if persistence is not None:
        section = PersistenceSection.model_validate(persistence)
        by_arm = {a.name: m for m, a in arms.items() if a is not None}
        by_arm |= {n: BASELINE for n, m in arm_methods.items() if m == BASELINE}
        by_arm[comparison.reference_name] = by_arm[BASELINE] = BASELINE
        rows += _persistence_rows(section, by_arm.get)
    if not rows:
        raise DataError("no category with pp benchmarks and no persistence metric to compare methods on")
    return MethodComparison(methods=[*trained, BASELINE], test=TEST, alpha=comparison.alpha, rows=rows)
