"""Input shapes of the report's optional sections, and of report.json itself.

Dose–response and the transfer matrix are computed from comparisons (stats.sweep); persistence and the method
side-by-side are produced by other stages and handed to `write_report(sections=...)`. A section renders only when
its input is given (or, for the two sweep views, computable from the arms' metadata). docs/report.md shows examples.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from traitrl._util.record import Record
from traitrl.report.controls import HeldoutTraitSection, RefusalSection
from traitrl.report.persona import AttackSweepSection, PersonaSection
from traitrl.stats.models import Comparison
from traitrl.stats.sweep import DoseResponse, TransferMatrix

REPORT_FORMAT_VERSION = 1


class ErosionPoint(Record):
    step: int = Field(ge=0, description="Harmful-SFT optimizer steps applied so far (0 = before attack).")
    trait_score: float = Field(description="Mean trait score, 0-1.")
    trait_ci_low: float | None = None
    trait_ci_high: float | None = None
    asr: float = Field(ge=0.0, le=1.0, description="Attack success rate, 0-1 (lower is better).")
    asr_ci_low: float | None = None
    asr_ci_high: float | None = None
    pref_score: float | None = Field(None, description="Likelihood-preference trait score, 0-1 (see "
                                                       "PersistenceSection.preference_metric).")
    pref_ci_low: float | None = None
    pref_ci_high: float | None = None


class PreferenceTrend(Record):
    change: float = Field(description="Preference score at the last step minus the first, paired over items.")
    ci_low: float
    ci_high: float
    direction: Literal["falls", "rises", "flat"] = Field(description="By the CI of the change: below 0, above 0, "
                                                                     "covering 0.")
    n_items: int = Field(ge=1)


class ErosionCurve(Record):
    model: str = Field(description="e.g. 'trait' or 'baseline'.")
    points: list[ErosionPoint] = Field(min_length=1)
    pref_trend: PreferenceTrend | None = None


class AttackFamilyASR(Record):
    model: str
    family: str = Field(description="Attack family, e.g. 'roleplay', 'prefill', 'many_shot'.")
    asr: float = Field(ge=0.0, le=1.0)
    ci_low: float | None = None
    ci_high: float | None = None
    n_attacks: int = Field(ge=1)


class PressureDrop(Record):
    model: str
    pressure: str = Field(description="Kind of pressure, e.g. 'pushback', 'authority', 'system_prompt'.")
    score_before: float
    score_after: float
    drop: float = Field(description="score_before - score_after (positive = eroded).")
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None


class SelectivePersistence(Record):
    model: str
    index: float
    ci_low: float | None = None
    ci_high: float | None = None


class PersistenceSection(Record):
    """Persistence suite results for (usually) two models: trait RL and the baseline."""

    trait_metric: str = Field(description="What trait_score measures, shown as the curve's axis label.")
    preference_metric: str = Field("", description="What pref_score measures, when the curves have it.")
    curves: list[ErosionCurve] = Field(min_length=1)
    attack_asr: list[AttackFamilyASR] = Field(default_factory=list)
    pressure_drops: list[PressureDrop] = Field(default_factory=list)
    selective_persistence: list[SelectivePersistence] = Field(default_factory=list)
    selective_persistence_definition: str = Field(
        "", description="How the index is computed; required when selective_persistence is given.")

    @model_validator(mode="after")
    def _definition_given(self) -> PersistenceSection:
        if self.selective_persistence and not self.selective_persistence_definition:
            raise ValueError("selective_persistence_definition is empty; say how the index is computed")
        return self


class MethodCell(Record):
    method: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None


class MethodRow(Record):
    kind: Literal["category", "persistence"]
    name: str = Field(description="Eval category or persistence metric.")
    unit: str = Field(description="e.g. 'pp delta vs baseline' or 'ASR'.")
    higher_is_better: bool
    cells: list[MethodCell] = Field(min_length=1)
    winner: str | None = Field(description="Best method on this row; None when tied.")
    p_value: float | None = Field(None, description="Winner vs runner-up (see MethodComparison.test).")
    significant: bool = False


class MethodComparison(Record):
    """Trait RL vs constitution vs baseline, per category and persistence metric."""

    methods: list[str] = Field(min_length=2)
    test: str = Field(description="How p_value was computed and adjusted, shown under the table.")
    alpha: float = 0.05
    rows: list[MethodRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_methods(self) -> MethodComparison:
        for row in self.rows:
            unknown = {c.method for c in row.cells} - set(self.methods)
            if row.winner is not None and row.winner not in self.methods:
                unknown.add(row.winner)
            if unknown:
                raise ValueError(f"row {row.name!r} names methods {sorted(unknown)} not in methods {self.methods}")
        return self


class ComputeArm(Record):
    arm: str
    optimizer_steps: int
    sft_steps_within_budget: int = 0
    prompts_per_step: int
    num_generations: int
    max_completion_tokens: int
    max_generated_tokens: int = Field(description="Token cap: RL steps × prompts × generations × completion cap.")
    generated_tokens: int | None = Field(None, description="Completion tokens actually generated in training.")
    reference: str | None = Field(None, description="The reference run (same seed) the measured values are held to.")
    steps_run: int | None = Field(None, description="Optimizer steps actually taken.")
    prompt_tokens: float | None = Field(None, description="Prompt tokens processed (TRL num_tokens − generated).")
    grad_norm: float | None = Field(None, description="Mean gradient norm over logged steps.")
    zero_std_fraction: float | None = Field(None, description="Mean share of prompt groups with no reward spread.")
    kl: float | None = Field(None, description="Mean KL to the base model (logged only when beta > 0).")
    wall_seconds: float | None = Field(None, description="Training wall time (timings.json).")
    mismatches: list[str] = Field(default_factory=list, description="Measured quantities beyond tolerance.")


class ComputeSection(Record):
    """Compute matching: the budget checked equal before training (pre-flight) and what each arm actually used."""

    arms: list[ComputeArm] = Field(min_length=1)
    matched: bool = Field(description="Pre-flight: same optimizer steps, prompts, generations and completion cap.")
    measured_matched: bool | None = Field(None, description="Every measured quantity within tolerance of the "
                                                            "reference run; None when nothing was measured.")
    tolerance: dict[str, float] = Field(default_factory=dict, description="Relative tolerance per quantity.")


class ReportSections(Record):
    compute: ComputeSection | None = None
    extra: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Sections registered with report.registry, by name (validated there).")
    dose_response: DoseResponse | None = None
    transfer_matrix: TransferMatrix | None = None
    persistence: PersistenceSection | None = None
    methods: MethodComparison | None = None
    heldout_traits: HeldoutTraitSection | None = None
    heldout_trait_replies: HeldoutTraitSection | None = None
    refusal_tradeoff: RefusalSection | None = None
    persona_persistence: PersonaSection | None = None
    attack_sweep: AttackSweepSection | None = None


class FigureInfo(Record):
    id: str
    title: str
    caption: str = Field(description="What is plotted and which uncertainty the intervals carry.")


class ReportDocument(Record):
    """report.json: every figure and number the HTML shows."""

    format_version: int = REPORT_FORMAT_VERSION
    traitrl_version: str | None
    headline: str
    comparison: Comparison
    sections: ReportSections
    figures: list[FigureInfo]


def report_schema() -> dict:
    """JSON schema of report.json; report.schema.json is this, committed (a test keeps them equal)."""
    return ReportDocument.model_json_schema()
