"""Honest comparison statistics: paired deltas with item-level CIs, paired tests, Holm/BH, seeds, sweeps."""

from traitrl.stats import sweep
from traitrl.stats.compare import compare_benchmark, compare_runs, read_arm_meta
from traitrl.stats.load import find_arms, resolve_runs
from traitrl.stats.models import (
    ArmComparison,
    ArmMeta,
    ArmSummary,
    BenchmarkDelta,
    CapabilityCheck,
    CategorySummary,
    Comparison,
    MissingBenchmark,
    PrimaryEndpoint,
)
from traitrl.stats.multiple import benjamini_hochberg, holm
from traitrl.stats.paired import bootstrap_means, mcnemar_pvalue, percentile_ci, sign_flip_pvalue
from traitrl.stats.power import smallest_p
from traitrl.stats.settings import ComputeTolerance, StatsSettings
from traitrl.stats.sweep import DoseResponse, TransferMatrix, dose_response, transfer_matrix

__all__ = [
    "ArmComparison", "ArmMeta", "ArmSummary", "BenchmarkDelta", "CapabilityCheck", "CategorySummary", "Comparison",
    "ComputeTolerance", "DoseResponse", "MissingBenchmark", "PrimaryEndpoint", "StatsSettings", "TransferMatrix",
    "benjamini_hochberg", "bootstrap_means", "compare_benchmark", "compare_runs", "dose_response", "find_arms", "holm",
    "mcnemar_pvalue", "percentile_ci", "read_arm_meta", "resolve_runs", "sign_flip_pvalue", "smallest_p", "sweep",
    "transfer_matrix",
]
