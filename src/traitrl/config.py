"""StudyConfig: one YAML file drives a whole study (data → train arms → evals → persist → compare → report)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from traitrl.data.mix import trait_counts_per_step
from traitrl.data.scenario import Domain, Trait
from traitrl.models.judge import JudgeConfig, assert_distinct_judges
from traitrl.persist.config import PersistConfig
from traitrl.stats.settings import StatsSettings
from traitrl.train.config import TrainConfig
from traitrl.train.constitution import ConstitutionConfig


class ArmConfig(BaseModel):
    """One trained arm. The compute-matched baseline is an arm with `dose: 0`."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    dose: float = Field(0.05, ge=0.0, le=1.0, description="Share of RL prompts given to trait data (paper: 0.05).")
    method: Literal["trait", "constitution", "helpfulness", "placebo"] = Field(
        "trait", description="How the dosed share is trained: the trait reward, a constitution, or a control reward "
                            "on the same rows (generic helpfulness; placebo = trait-reward distribution, no content).")
    domains: list[Domain] | None = Field(None, description="Keep only trait scenarios from these domains.")
    exclude_domains: list[Domain] | None = Field(None, description="Drop trait scenarios from these domains.")
    traits: list[Trait] | None = Field(None, description="Keep only these traits; None keeps all.")
    seed: int | None = Field(None, description="Training seed; None uses the study seed.")
    seeds: list[int] | None = Field(None, min_length=1, description="With the study's `seeds`: run this arm at "
                                    "these seeds only (a subset), e.g. a control at one seed. None runs it at all.")


class DataConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_seed: int = Field(0, description="Seed of the parametric scenario generators.")
    n_tasks: int = Field(4000, ge=1, description="Size of the regular verifiable-task pool.")
    task_seed: int = Field(0, description="Seed of the regular task generators and of the task order.")
    eval_only_traits: list[Trait] = Field(default_factory=list, description="Traits never trained on (the paper's "
                                          "held-out evaluation traits); every trait's held-out core items are "
                                          "excluded from training regardless (data.split).")


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suite: str | list[str] = Field("all", description="'all', a category, a benchmark name, or a list of them.")
    limit: int | None = Field(40, ge=1, description="Items per benchmark (seeded sample); None = all items.")
    batch_size: int = Field(16, ge=1)
    include_base: bool = Field(True, description="Also evaluate the untrained base model.")
    custom: list[str] = Field(default_factory=list, description="YAML specs of user benchmarks (docs/battery.md).")
    log_format: Literal["traitrl", "inspect"] = Field("traitrl", description="'inspect' also writes Inspect eval "
                                                      "logs per benchmark and model (needs inspect-ai).")
    bf16_benchmarks: list[str] = Field(default_factory=list, description="Multiple-choice benchmarks scored with bf16 "
                                       "log-likelihoods (1.7-1.8x faster than fp32 on TruthfulQA on a 2-core CPU); "
                                       "list only those that kept fp32 accuracy in bench/mc_parity.py "
                                       "(docs/battery.md). The rest stay fp32.")


class RewardSpec(BaseModel):
    """One reward function for GRPO: a grader registry name (`traitrl rewards list`) or `package.module:function`,
    with its keyword arguments."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, description="Registry name or package.module:function.")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Arguments of the grader factory; a grader "
                                   "with a `judge` argument and none given here gets the study's `train_judge`.")


class ReportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_boot: int = Field(2000, ge=100, description="Paired-bootstrap resamples per benchmark.")


class StudyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "study"
    model: str = Field("smollm2-135m-instruct", description="Built-in name, local HF folder, or hub id.")
    seed: int = 0
    seeds: list[int] | None = Field(None, min_length=1, description="Run every arm at each seed ('trait' runs as "
                                    "'trait-s0', 'trait-s1', …); trait seed i is paired with baseline seed i.")
    threads: int = Field(2, ge=1, description="torch CPU threads per arm (also the CPUs a Ray task declares).")
    benchmark_dir: str | None = Field(None, description="Benchmark data folder (else $TRAITRL_BENCHMARK_DIR).")
    reference_arm: str = Field("baseline", description="The compute-matched baseline every arm is compared with.")
    arms: list[ArmConfig] = Field(default_factory=lambda: [ArmConfig(name="baseline", dose=0.0),
                                                           ArmConfig(name="trait", dose=0.05)])
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    judge: JudgeConfig | None = Field(None, description="Evaluation judge (OpenAI-compatible); None = offline.")
    train_judge: JudgeConfig | None = Field(None, description="Training judge; must differ from `judge`.")
    rewards: list[RewardSpec] = Field(
        default_factory=lambda: [RewardSpec(name="task_reward"), RewardSpec(name="trait_reward")],
        description="GRPO reward functions (trait arms); weights come from train.reward_weights by name.")
    persist: PersistConfig | None = Field(None, description="Persistence suite settings; None skips it.")
    constitution: ConstitutionConfig = Field(default_factory=ConstitutionConfig,
                                             description="Settings of `method: constitution` arms.")
    report: ReportConfig = Field(default_factory=ReportConfig)
    stats: StatsSettings = Field(default_factory=StatsSettings, description="The pre-registered analysis plan.")

    @model_validator(mode="after")
    def _check_arms(self) -> StudyConfig:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique, got {names}")
        if "base" in names:
            raise ValueError("arm name 'base' is reserved for the untrained model")
        by_name = {a.name: a for a in self.arms}
        if self.reference_arm not in by_name:
            raise ValueError(f"reference_arm {self.reference_arm!r} is not one of the arms {names}")
        if by_name[self.reference_arm].dose != 0.0:
            raise ValueError(f"reference_arm {self.reference_arm!r} must have dose 0 (the compute-matched baseline)")
        if self.judge and self.train_judge and self.judge == self.train_judge:
            raise ValueError("`train_judge` equals `judge`: training must never use the evaluation judge config")
        if self.judge and self.train_judge:  # the same model at another URL or temperature is the same judge
            assert_distinct_judges(self.train_judge, self.judge)
        steps, per_step = self.train.steps, self.train.prompts_per_step
        for i, arm in enumerate(self.arms):
            if arm.dose > 0 and sum(trait_counts_per_step(steps, per_step, arm.dose)) == 0:
                raise ValueError(f"arms.{i} ({arm.name!r}): dose {arm.dose} of {steps * per_step} training rows "
                                 f"(train.steps × train.prompts_per_step) rounds to 0 trait prompts, which would "
                                 f"train a copy of the baseline; raise the dose above {0.5 / (steps * per_step):.3g} "
                                 "or train for more steps")
        if self.seeds is not None:
            if len(set(self.seeds)) != len(self.seeds) or any(a.seed is not None for a in self.arms):
                raise ValueError(f"seeds {self.seeds}: give distinct seeds, and no per-arm `seed` alongside them")
        for i, arm in enumerate(self.arms):
            if arm.seeds is not None and not set(arm.seeds) <= set(self.seeds or []):
                raise ValueError(f"arms.{i}.seeds {arm.seeds} ({arm.name!r}): must be a subset of the study's "
                                 f"`seeds` {self.seeds}")
        if self.seeds is not None and by_name[self.reference_arm].seeds not in (None, self.seeds):
            raise ValueError(f"reference_arm {self.reference_arm!r} runs at every seed: every arm is paired with it "
                             "seed by seed, so leave its `seeds` unset")
        return self

    def seeded_arms(self) -> list[ArmConfig]:
        """The arms as trained: with `seeds`, one copy of every arm per seed, named '<arm>-s<seed>'."""
        if self.seeds is None:
            return self.arms
        return [a.model_copy(update={"name": f"{a.name}-s{s}", "seed": s, "seeds": None}) for s in self.seeds
                for a in self.arms if a.seeds is None or s in a.seeds]

    def first_seed_arms(self) -> list[ArmConfig]:
        """The runs of the first seed (all arms without `seeds`): the models the persistence suite compares."""
        if self.seeds is None:
            return self.arms
        return [a for a in self.seeded_arms() if a.seed == self.seeds[0]]

    def reference_run(self) -> str:
        """The reference arm's first trained run (persistence compares against it)."""
        return self.reference_arm if self.seeds is None else f"{self.reference_arm}-s{self.seeds[0]}"

    def arm(self, name: str) -> ArmConfig:
        return next(a for a in self.seeded_arms() if a.name == name)
