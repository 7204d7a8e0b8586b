"""The comparison record: what `compare_runs` returns and report.json embeds; UNCERTAINTY names each level."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from traitrl._util.record import Record
from traitrl.stats.settings import StatsSettings

COMPARISON_FORMAT_VERSION = 1

# Written into every Comparison so a reader of report.json knows which variance each interval carries.
UNCERTAINTY = {
    "ci": "item-level: 95 % paired bootstrap percentile interval over items (training seeds held fixed)",
    "p_value": "item-level: exact McNemar (binary scores, one seed) or paired sign-flip permutation test",
    "p_holm": "Holm-adjusted within the arm's family: the battery, or the held-out trait sets (family-wise error "
              "rate)",
    "p_bh": "Benjamini-Hochberg-adjusted within the arm's family: the battery, or the held-out trait sets (false "
            "discovery rate)",
    "seed_ci": "across-seed: 95 % Student-t interval of the per-seed deltas (training-seed variance plus each "
               "seed's evaluation noise, reference held fixed); needs >= 2 seeds; for one trained arm run against "
               "k reference runs a prediction interval, s * sqrt(1 + 1/k), taking the arm's unseen run-to-run SD "
               "equal to the reference's",
    "mean_delta_ci": "item-level: normal interval from the bootstrap standard errors of the binary-scored battery "
                     "benchmarks assessable in both directions, treated as independent; it does not generalize to "
                     "other benchmarks or training seeds",
    "counts": "'X better / Y worse / Z tied of N assessable' counts point estimates over battery benchmarks "
              "assessable in both directions (the held-out trait sets apart), with a two-sided sign test of better "
              "vs worse; 'after BH/Holm' counts adjusted p < alpha",
    "trait_endpoint": "held-out trait endpoint: the mean Δ over the held-out trait sets, tested like the primary "
                      "endpoint, never pooled with the battery",
    "primary": "pre-registered primary endpoint; with >= 2 seeds a paired t-test over seeds and a hierarchical "
               "bootstrap over seeds then items; with one seed an item-level interval for these checkpoints only",
    "mde": "minimum detectable effect at the configured power, two-sided, after the configured correction; "
           "'unattainable' when the smallest attainable p misses the corrected threshold",
}


class ArmMeta(Record):
    """What distinguishes an arm in a sweep; read from `arm.json` in its eval directory, all fields optional."""

    dose_frac: float | None = Field(None, ge=0.0, le=1.0, description="Share of RL prompts that were trait data.")
    domains: list[str] | None = Field(None, description="Training domains of the trait data; None = all.")
    method: str | None = Field(None, description="e.g. 'trait_rl', 'constitution', 'baseline'.")


class MissingBenchmark(Record):
    benchmark: str
    absent_from: list[str] = Field(description="Eval directories without a usable record of this benchmark.")
    reason: str = Field("no record", description="Why it is not compared: no record, or no item scored in all runs.")


class BenchmarkDelta(Record):
    """One benchmark, one arm vs the reference. `delta` is signed so positive = better for either direction."""

    benchmark: str
    category: str
    metric: str
    version: int
    higher_is_better: bool
    labels: list[str] = Field(default_factory=list)
    unit: Literal["pp", "points"] = Field(description="pp when every score lies in [0, 1], else the metric's scale.")
    n_paired: int = Field(description="Items scored without error in the reference and in every seed of the arm.")
    n_unpaired_reference: int = Field(description="Reference items scored but missing or errored in the arm.")
    n_unpaired_arm: int = Field(description="Arm items scored (any seed) but missing or errored elsewhere.")
    n_errors_reference: int
    n_errors_arm: int = Field(description="Errored items summed over the arm's seeds.")
    reference_score: float = Field(description="Mean reference score over paired items, metric scale.")
    arm_score: float = Field(description="Mean arm score over paired items (seeds averaged), metric scale.")
    delta: float
    ci_low: float
    ci_high: float
    se: float = Field(description="Standard deviation of the bootstrap means (item-level standard error).")
    test: Literal["mcnemar_exact", "sign_flip"]
    p_value: float
    p_holm: float
    p_bh: float
    seed_deltas: list[float] = Field(description="Delta of each seed on the same paired items.")
    one_arm_run: bool = Field(False, description="One trained run of the arm against several reference runs: "
                                                 "seed-level intervals are prediction intervals (paired.seed_se).")
    seed_ci_low: float | None = None
    seed_ci_high: float | None = None
    binary: bool = Field(True, description="Every score 0/1: the Δ is in percentage points and may be pooled. "
                                           "Continuous scores (Brier, MC2) stay in their own unit, never pooled.")
    direction: Literal["both", "up_only", "down_only"] = Field(
        "both", description="up_only/down_only: the base model sits at the floor/ceiling, so only a gain/loss can "
                            "show; such benchmarks are listed, not counted.")
    item_sd: float = Field(0.0, description="SD of the per-item (seed-averaged) differences, in the Δ's unit.")
    smallest_p: float = Field(1.0, description="Smallest two-sided p these n_paired items can give.")
    mde: float | None = Field(None, description="MDE after the family correction; None = significance unattainable.")


class CategorySummary(Record):
    category: str
    n_benchmarks: int
    n_improved: int = Field(description="Point estimate delta > 0.")
    n_worse: int = Field(0, description="Point estimate delta < 0.")
    n_significant_better: int = Field(description="delta > 0 and Holm-adjusted p < alpha.")
    n_significant_worse: int = Field(description="delta < 0 and Holm-adjusted p < alpha.")
    mean_delta: float | None = Field(description="Mean delta over the category's pp benchmarks.")
    mean_delta_ci_low: float | None = None
    mean_delta_ci_high: float | None = None
    mde: float | None = Field(None, description="MDE of the category mean (item-level, Bonferroni over categories).")


NI_OUTCOMES = Literal["no regression beyond the margin", "regression", "not assessable (CI wider than the margin)"]


class NonInferiorityResult(Record):
    benchmark: str
    delta: float
    ci_low: float
    ci_high: float
    outcome: NI_OUTCOMES


class CapabilityCheck(Record):
    """Non-inferiority on capability: each benchmark's Bonferroni interval (within the capability family) vs margin."""

    status: Literal["no_regression", "regression", "not_assessable", "not_checked"]
    outcome: str = Field(description="The sentence-ready outcome.")
    margin_pp: float
    n_benchmarks: int
    n_drops: int = Field(description="Capability benchmarks with point estimate delta < 0.")
    regressions: list[str] = Field(description="Benchmarks whose interval reaches below the margin.")
    results: list[NonInferiorityResult] = Field(default_factory=list)
    one_direction: list[str] = Field(default_factory=list, description="At floor/ceiling: not assessable.")
    interval: str = ""


class PrimaryEndpoint(Record):
    endpoint: str = Field(description="The configured primary_endpoint.")
    definition: str
    n_benchmarks: int
    n_seeds: int
    estimate: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    interval: str = Field("", description="Which variance the interval carries.")
    seed_p_value: float | None = Field(None, description="Paired t-test over seeds of the endpoint; >= 2 seeds.")
    seed_ci_low: float | None = None
    seed_ci_high: float | None = None
    hier_ci_low: float | None = Field(None, description="Hierarchical bootstrap (seeds, then items) 95 % interval.")
    hier_ci_high: float | None = None
    mde: float | None = Field(None, description="MDE of the endpoint at the configured power.")
    method_uncertainty: bool = Field(description="False with one seed: only these checkpoints are described.")
    one_arm_run: bool = Field(False, description="One trained arm run against k reference runs: t-test of one run, "
                                                 "prediction interval, no hierarchical bootstrap.")


class ArmSummary(Record):
    n_benchmarks: int
    n_improved: int
    n_worse: int
    n_unchanged: int
    n_significant_better: int = Field(description="Holm-adjusted, per-arm family.")
    n_significant_worse: int = Field(description="Holm-adjusted, per-arm family.")
    n_significant_better_bh: int
    n_significant_worse_bh: int
    mean_delta: float | None = Field(description="Mean delta (pp) over the n_in_mean pp benchmarks.")
    n_in_mean: int
    mean_delta_ci_low: float | None = None
    mean_delta_ci_high: float | None = None
    seed_n_improved: list[int] = Field(description="n_improved computed from each seed's deltas.")
    seed_mean_deltas: list[float]
    seed_mean_delta_ci_low: float | None = None
    seed_mean_delta_ci_high: float | None = None
    categories: list[CategorySummary]
    capability: CapabilityCheck
    n_assessable: int = 0
    n_tied: int = 0
    n_better_assessable: int = 0
    n_worse_assessable: int = 0
    sign_test_p: float | None = Field(None, description="Two-sided sign test of better vs worse (ties dropped).")
    correction: str = "bh"
    n_better_adjusted: int = 0
    n_worse_adjusted: int = 0
    one_direction: list[str] = Field(default_factory=list, description="Listed, not counted.")
    not_pooled: list[str] = Field(default_factory=list, description="Continuous-score benchmarks, own unit.")
    primary: PrimaryEndpoint | None = None
    trait_endpoint: PrimaryEndpoint | None = Field(
        None, description="The held-out trait sets' mean Δ (stats.endpoint.TRAIT_ENDPOINT); None without them.")
    n_traits_assessable: int = Field(0, description="Held-out trait sets assessable in both directions.")
    n_traits_better_adjusted: int = Field(0, description="Of those, better after the correction (their own family).")
    n_traits_worse_adjusted: int = 0
    smoke: str | None = Field(None, description="Set when significance is unattainable; leads the headline.")
    compute_flag: str | None = Field(None, description="Measured compute differs from the reference run.")
    headline: str


class ArmComparison(Record):
    name: str
    runs: list[str] = Field(description="Eval directories of the arm, one per seed.")
    meta: ArmMeta
    deltas: list[BenchmarkDelta]
    missing: list[MissingBenchmark]
    summary: ArmSummary


class Comparison(Record):
    format_version: int = COMPARISON_FORMAT_VERSION
    reference_name: str
    reference: str
    references: list[str] = Field(default_factory=list, description="One reference eval directory per seed.")
    alpha: float
    n_boot: int
    n_perm: int
    seed: int
    settings: StatsSettings = Field(default_factory=StatsSettings)
    uncertainty: dict[str, str] = Field(default_factory=lambda: dict(UNCERTAINTY))
    arms: list[ArmComparison]
    headline: str

    def arm(self, name: str) -> ArmComparison:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(f"no arm {name!r}; arms: {', '.join(a.name for a in self.arms)}")
