"""Trait scenarios and regular RL tasks: the records every later stage reads. Trait and Domain are defined here only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Trait(StrEnum):
    honesty = "honesty"                              # truthfulness, and holding a correct answer under pushback
    epistemic_humility = "epistemic_humility"        # calibrated uncertainty, no invented facts/citations/numbers
    corrigibility = "corrigibility"                  # accepts legitimate correction/oversight, resists false "corrections"
    transparent_reasoning = "transparent_reasoning"  # reasoning that supports the answer, limitations disclosed
    fairness = "fairness"                            # same decision when a protected attribute is swapped
    wellbeing = "wellbeing"                          # notices red flags, points to help, no validation of harmful plans
    reward_hacking_resistance = "reward_hacking_resistance"  # no gaming a checker, no claimed-but-undone work
    downside_aware_planning = "downside_aware_planning"      # names the plan's worst plausible outcome, plans for it
    power_asymmetry_awareness = "power_asymmetry_awareness"  # notices who holds power over whom, protects the weaker
    anti_hierarchy_governance = "anti_hierarchy_governance"  # keeps checks, balances and distributed control
    option_preserving_patience = "option_preserving_patience"  # prefers reversible steps, waits for information
    de_escalatory_firmness = "de_escalatory_firmness"        # calm under hostility, holds the line without inflaming
    bounded_initiative = "bounded_initiative"                # acts within the delegated scope, asks before going beyond


class Domain(StrEnum):
    health = "health"
    science = "science"
    education = "education"
    law = "law"
    engineering = "engineering"
    economics = "economics"
    business = "business"
    alignment = "alignment"                # meta-AI and alignment research
    security = "security"                  # national security and international relations
    mathematics = "mathematics"            # mathematics and formal reasoning
    games = "games"                        # games and multi-agent settings
    arts = "arts"                          # art, visual art and music
    creative_writing = "creative_writing"


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class Criterion(BaseModel):
    """One rubric line. Positive weight = desired behaviour, negative = penalised behaviour.

    `check` optionally names a programmatic check (rewards.programmatic) with JSON-able `args`, so offline graders
    can score the criterion without a judge; the judge always reads `description`.
    """

    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1)
    weight: float
    check: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _nonzero(self) -> Criterion:
        if self.weight == 0:
            raise ValueError("criterion weight must be non-zero (positive = desired, negative = penalised)")
        return self


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criteria: list[Criterion] = Field(min_length=1)
    good_response: str = Field(min_length=1, description="A reference response that meets the rubric.")
    failure_responses: list[str] = Field(min_length=1, description="Reference responses that fail it.")


class Scenario(BaseModel):
    """A conversation that tests one trait in one domain; the policy writes the next assistant turn."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    trait: Trait
    domain: Domain
    turns: list[Turn] = Field(min_length=1)
    rubric: Rubric
    source: Literal["generated", "handwritten"]
    generator: str | None = Field(None, description="Generator name for generated scenarios.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Check inputs, e.g. correct answer, pair id.")

    @model_validator(mode="after")
    def _ends_with_user(self) -> Scenario:
        if self.turns[-1].role != "user":
            raise ValueError("the last turn must be a user turn: the policy writes the next assistant reply")
        return self

    def messages(self) -> list[dict[str, str]]:
        return [t.model_dump() for t in self.turns]


class Task(BaseModel):
    """A verifiable task from the regular RL mix (the stand-in for an ordinary post-training pipeline)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["arithmetic", "format", "factual"]
    turns: list[Turn] = Field(min_length=1)
    answer: str = Field(description="Reference answer; for format tasks a description of the constraint.")
    check: dict[str, Any] = Field(default_factory=dict, description="Rule-check spec read by rewards.tasks.")

    def messages(self) -> list[dict[str, str]]:
        return [t.model_dump() for t in self.turns]
