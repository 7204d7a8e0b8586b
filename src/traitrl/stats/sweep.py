"""Sweep views computed from comparisons: dose–response and the domain transfer matrix.

Both read arm metadata (ArmMeta: dose_frac, domains) and the per-benchmark deltas. Cell and point intervals combine
the benchmarks' item-level bootstrap SEs (benchmarks are independent item sets); the transfer matrix adjusts its
cells' p-values with Holm over the whole matrix.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field
from scipy import stats as sps

from traitrl._util.errors import DataError
from traitrl._util.record import Record
from traitrl.stats.models import ArmComparison, Comparison
from traitrl.stats.multiple import holm
from traitrl.stats.summary import category_order, combined_mean

_COMBINED = "item-level: normal interval from the benchmarks' bootstrap SEs, benchmarks treated as independent"


class DosePoint(Record):
    arm: str
    reference: str
    dose_frac: float
    n_seeds: int
    n_benchmarks: int
    n_improved: int = Field(description="Point estimate delta > 0.")
    n_significant_better: int = Field(description="Holm-adjusted within the arm.")
    n_significant_worse: int = Field(description="Holm-adjusted within the arm.")
    mean_delta: float | None = Field(description="Mean delta (pp) over the arm's pp benchmarks.")
    mean_delta_ci_low: float | None = None
    mean_delta_ci_high: float | None = None
    seed_mean_delta_ci_low: float | None = Field(None, description="Across-seed t-interval; needs >= 2 seeds.")
    seed_mean_delta_ci_high: float | None = None


class DoseResponse(Record):
    points: list[DosePoint] = Field(description="One point per arm with a dose, sorted by dose.")
    uncertainty: str = _COMBINED


class TransferCell(Record):
    row: str = Field(description="Arm name.")
    column: str = Field(description="Eval category (or benchmark label).")
    n_benchmarks: int
    mean_delta: float
    ci_low: float
    ci_high: float
    p_value: float = Field(description="Two-sided normal test of mean delta = 0.")
    p_holm: float = Field(description="Holm-adjusted over every cell of the matrix.")
    significant: bool


class TransferMatrix(Record):
    by: Literal["category", "label"]
    rows: list[str] = Field(description="Arm names, one per training-domain subset.")
    row_domains: dict[str, list[str]] = Field(description="Training domains of each row's arm.")
    columns: list[str]
    cells: list[TransferCell] = Field(description="Only (row, column) pairs with at least one pp benchmark.")
    alpha: float
    n_unlabelled: int = Field(0, description="Benchmarks with no label (by='label' only), left out of every cell.")
    uncertainty: str = _COMBINED


def _arms(comparisons: Comparison | list[Comparison]) -> list[ArmComparison]:
    comparisons = [comparisons] if isinstance(comparisons, Comparison) else comparisons
    return [arm for c in comparisons for arm in c.arms]


def _reference_of(comparisons: Comparison | list[Comparison], arm: ArmComparison) -> str:
    comparisons = [comparisons] if isinstance(comparisons, Comparison) else comparisons
    return next(c.reference_name for c in comparisons if any(a is arm for a in c.arms))


def dose_response(comparisons: Comparison | list[Comparison]) -> DoseResponse:
    """X of N improved and mean delta per dose, for every arm whose ArmMeta has `dose_frac`."""
    points = []
    for arm in _arms(comparisons):
        if arm.meta.dose_frac is None:
            continue
        s = arm.summary
        points.append(DosePoint(
            arm=arm.name, reference=_reference_of(comparisons, arm), dose_frac=arm.meta.dose_frac,
            n_seeds=len(arm.runs), n_benchmarks=s.n_benchmarks, n_improved=s.n_improved,
            n_significant_better=s.n_significant_better, n_significant_worse=s.n_significant_worse,
            mean_delta=s.mean_delta, mean_delta_ci_low=s.mean_delta_ci_low, mean_delta_ci_high=s.mean_delta_ci_high,
            seed_mean_delta_ci_low=s.seed_mean_delta_ci_low, seed_mean_delta_ci_high=s.seed_mean_delta_ci_high))
    if not points:
        raise DataError("dose_response: no arm has dose_frac; write arm.json with dose_frac into each arm's eval "
                        "directory or pass meta= to compare_runs")
    return DoseResponse(points=sorted(points, key=lambda p: (p.dose_frac, p.arm)))


def transfer_matrix(comparisons: Comparison | list[Comparison], by: Literal["category", "label"] = "category",
                    alpha: float = 0.05) -> TransferMatrix:
    """Mean delta per (training-domain arm, eval category or label), Holm-adjusted over the matrix's cells."""
    arms = [a for a in _arms(comparisons) if a.meta.domains is not None]
    if not arms:
        raise DataError("transfer_matrix: no arm has `domains`; write arm.json with domains into each arm's eval "
                        "directory or pass meta= to compare_runs")
    if len({a.name for a in arms}) != len(arms):
        raise DataError("transfer_matrix: two arms share a name across comparisons; give each arm a unique label")
    groups: dict[tuple[str, str], list] = {}
    unlabelled = set()
    for arm in arms:
        for d in arm.deltas:
            keys = [d.category] if by == "category" else d.labels
            if not keys:
                unlabelled.add(d.benchmark)
            for key in keys:
                groups.setdefault((arm.name, key), []).append(d)
    cells = []
    for (row, column), deltas in groups.items():
        mean, lo, hi = combined_mean(deltas)
        if mean is None:
            continue
        se = (hi - lo) / (2 * sps.norm.ppf(0.975))
        p = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(mean) / se))
        cells.append(TransferCell(row=row, column=column, n_benchmarks=sum(d.unit == "pp" for d in deltas),
                                  mean_delta=mean, ci_low=lo, ci_high=hi, p_value=p, p_holm=p, significant=False))
    for cell, p_adj in zip(cells, holm(np.array([c.p_value for c in cells])), strict=True):
        cell.p_holm = float(p_adj)
        cell.significant = cell.p_holm < alpha
    columns = {c.column for c in cells}
    return TransferMatrix(by=by, rows=[a.name for a in arms], row_domains={a.name: a.meta.domains for a in arms},
                          columns=category_order(columns) if by == "category" else sorted(columns), cells=cells,
                          alpha=alpha, n_unlabelled=len(unlabelled))
