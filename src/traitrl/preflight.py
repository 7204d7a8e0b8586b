"""Pre-flight of `traitrl run` and `traitrl sweep`: every input is checked before any work, not hours in.

Pydantic already typed every section (persist, judges, arms, dose); this checks what needs the outside world: the
model resolves (a hub id fails at once when offline), the benchmark data and names exist, custom benchmark rows
parse, `train.trl_overrides` are GRPOConfig fields that TRL accepts, and each judge has its key and answers one
cheap request.
"""

from __future__ import annotations

from traitrl.config import StudyConfig
from traitrl.models.judge import JudgeConfig, check_judge


def check_study(config: StudyConfig) -> None:
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.train.grpo import check_trl_overrides
    from traitrl.models.store import resolve_model
    from traitrl.rewards.registry import get_grader

    resolve_model(config.model)
    data = benchmark_dir(config.benchmark_dir)
    check_trl_overrides(config.train)
    check_benchmarks(config, data)
    for spec in config.rewards:  # a bad name or package.module:function fails here, not at the first step
        get_grader(spec.name, **spec.kwargs)
    for where, judge in study_judges(config):
        check_judge(judge, where)
    if any(a.method == "constitution" for a in config.arms):
        from traitrl.train.constitution import check_constitution_study

        check_constitution_study(config)


def check_benchmarks(config: StudyConfig, data) -> None:
    """Suite names resolve; every row of every custom benchmark parses (a bad row names its file:line); the bf16
    benchmarks are selected multiple-choice ones."""
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.custom import register_custom
    from traitrl.evals.run import check_bf16_benchmarks, select_benchmarks

    for spec in config.eval.custom:
        get_benchmark(register_custom(spec)).load_items(data)
    check_bf16_benchmarks(config.eval.bf16_benchmarks, select_benchmarks(config.eval.suite))


def study_judges(config: StudyConfig) -> list[tuple[str, JudgeConfig]]:
    """Every endpoint the study will call, with the config key that sets it."""
    from traitrl._util.config import validate_config

    judges = [("judge", config.judge), ("train_judge", config.train_judge)]
    if config.persist is not None:
        if config.persist.judge:
            judges.append(("persist.judge", validate_config(JudgeConfig, config.persist.judge, "persist.judge")))
        red_team = config.persist.red_team
        if red_team.enabled and red_team.attacker == "endpoint" and red_team.endpoint:
            judges.append(("persist.red_team.endpoint",
                           validate_config(JudgeConfig, red_team.endpoint, "persist.red_team.endpoint")))
    return [(where, judge) for where, judge in judges if judge is not None]
