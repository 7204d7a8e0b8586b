"""traitrl: beneficial-trait RL (Jagadeesh et al. 2026) — dose trait data into GRPO, evaluate broadly, report honestly.

The public API, one import per stage (data → rewards → train → evals → persist → stats → report); heavy
dependencies (torch, transformers, trl) load only when a function that needs them runs.
"""

from traitrl.config import ArmConfig, StudyConfig
from traitrl.data import Domain, Scenario, Task, Trait, build_bank, mix_dose
from traitrl.evals.benchmark import Benchmark, GenItem, MCItem, benchmark
from traitrl.evals.record import BenchmarkSummary, ItemScore
from traitrl.rewards import grader, score_scenario_response, task_reward, trait_reward
from traitrl.study import run_study
from traitrl.sweep import run_sweep
from traitrl.train.config import TrainConfig

__version__ = "0.1.0"

__all__ = [
    "ArmConfig", "Benchmark", "BenchmarkSummary", "Domain", "GenItem", "ItemScore", "MCItem", "Scenario",
    "StudyConfig", "Task", "TrainConfig", "Trait", "benchmark", "build_bank", "grader", "mix_dose", "run_study",
    "run_sweep", "score_scenario_response", "task_reward", "trait_reward",
]
