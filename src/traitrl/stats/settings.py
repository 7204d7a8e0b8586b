"""StatsSettings: the analysis plan, fixed in the config before the run (`stats:` in a study config)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENDPOINT = re.compile(r"^(pooled_mean_delta|category:[A-Za-z0-9_]+|benchmark:[A-Za-z0-9_.-]+)$")


class ComputeTolerance(BaseModel):
    """Largest relative difference from the reference arm before a measured quantity counts as mismatched."""

    model_config = ConfigDict(extra="forbid")
    optimizer_steps: float = Field(0.0, ge=0, description="Steps must be equal.")
    prompt_tokens: float = Field(0.10, ge=0)
    generated_tokens: float = Field(0.10, ge=0)
    grad_norm: float = Field(0.25, ge=0, description="Mean gradient norm over logged steps.")
    zero_std_fraction: float = Field(0.25, ge=0, description="Share of prompt groups with no reward spread.")
    kl: float = Field(0.50, ge=0, description="Mean KL to the base model (only when both arms log it).")
    wall_seconds: float = Field(0.50, ge=0, description="Training wall time; loose, machines are shared.")


class StatsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary_endpoint: str = Field(
        "pooled_mean_delta", description="Pre-registered: 'pooled_mean_delta' (mean Δ over assessable binary-scored "
                                         "benchmarks), 'category:<name>' or 'benchmark:<name>'.")
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1, description="Power at which the MDE is quoted.")
    correction: Literal["holm", "bh"] = Field("bh", description="Per-benchmark multiple-comparison correction.")
    ni_margin_pp: float = Field(-3.0, lt=0, description="Capability non-inferiority margin in pp.")
    smoke_mde_pp: float = Field(10.0, gt=0, description="Primary-endpoint MDE above which the run is a smoke test.")
    compute_tolerance: ComputeTolerance = Field(default_factory=ComputeTolerance)

    @field_validator("primary_endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not _ENDPOINT.match(value):
            raise ValueError(f"primary_endpoint {value!r}: use 'pooled_mean_delta', 'category:<name>' or "
                             "'benchmark:<name>'")
        return value
