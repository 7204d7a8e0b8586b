"""Sweeps: a matrix of arms (dose × trait-domain subset × seed × method), run as one compute-matched study.

A sweep config is a study config plus `matrix:`; it expands into ordinary arms (each a normal run directory under
DIR/arms/) with one dose-0 baseline per seed. Arms run one after another, or as Ray tasks (`--ray`,
traitrl.scheduling); the seeds and thread counts are the same either way, so per-arm results are too.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from traitrl._util.config import apply_overrides, load_yaml, parse_overrides, validate_config
from traitrl._util.errors import ConfigError
from traitrl.config import ArmConfig, StudyConfig
from traitrl.data.scenario import Domain
from traitrl.scheduling import TaskMemory


class DomainSubset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    domains: list[Domain] | None = None
    exclude_domains: list[Domain] | None = None


class SweepMatrix(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doses: list[float] = Field([0.05], min_length=1, description="Non-zero doses; the 0 % baseline is added.")
    domain_subsets: list[DomainSubset] = Field(default_factory=lambda: [DomainSubset(name="all")])
    seeds: list[int] = Field([0], min_length=1)
    methods: list[Literal["trait", "constitution"]] = Field(["trait"], min_length=1,
                                                            description="'trait' and/or 'constitution'.")

    @model_validator(mode="after")
    def _check(self) -> SweepMatrix:
        if any(not 0 < d <= 1 for d in self.doses):
            raise ValueError(f"doses must be in (0, 1]; the 0 % baseline is added for you (got {self.doses})")
        return self


def expand_arms(matrix: SweepMatrix) -> list[ArmConfig]:
    arms = [ArmConfig(name=f"baseline-s{seed}", dose=0.0, seed=seed) for seed in matrix.seeds]
    for method, subset, dose, seed in itertools.product(matrix.methods, matrix.domain_subsets, matrix.doses,
                                                        matrix.seeds):
        arms.append(ArmConfig(name=f"{method}-{subset.name}-d{dose:g}-s{seed}", dose=dose, method=method,
                              domains=subset.domains, exclude_domains=subset.exclude_domains, seed=seed))
    return arms


def load_sweep_config(path: Path, overrides: list[str] | None = None) -> tuple[StudyConfig, SweepMatrix]:
    data = apply_overrides(load_yaml(path), parse_overrides(overrides))
    if "matrix" not in data:
        raise ConfigError(f"{path}: a sweep config needs a `matrix:` block (doses, domain_subsets, seeds, methods)")
    if "arms" in data:
        raise ConfigError(f"{path}: `arms` is derived from `matrix` in a sweep config; remove `arms`")
    matrix = validate_config(SweepMatrix, data.pop("matrix"), source=f"{path} (matrix)")
    data["arms"] = [a.model_dump(mode="json") for a in expand_arms(matrix)]
    data.setdefault("reference_arm", f"baseline-s{matrix.seeds[0]}")
    return validate_config(StudyConfig, data, source=str(path)), matrix


def run_sweep(spec: tuple[StudyConfig, SweepMatrix], out: str | Path, ray: bool = False,
              ray_address: str | None = None, resume: bool = True, memory: TaskMemory | None = None) -> dict[str, Path]:
    """Run every arm of the expanded matrix as one study (the dose-response and transfer sections come with it);
    `memory`: what each Ray task reserves (traitrl.scheduling)."""
    from traitrl.study import run_study

    config, _ = spec
    return run_study(config, out, resume=resume, use_ray=ray, ray_address=ray_address, memory=memory)
