"""Pre-flight of `traitrl run` and `traitrl sweep`: every input is checked before any work, not hours in.

Pydantic already typed every section (persist, judges, arms, dose); this checks what needs the outside world: the
model resolves (a hub id fails at once when offline), the benchmark data and names exist, custom benchmark rows
parse, `train.trl_overrides` are GRPOConfig fields that TRL accepts, and each judge has its key and answers one
cheap request.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from traitrl._util.errors import ConfigError
from traitrl._util.judge import JudgeConfig
from traitrl.config import StudyConfig


def check_study(config: StudyConfig) -> None:
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.train.grpo import check_trl_overrides
    from traitrl.train.model import resolve_model

    resolve_model(config.model)
    data = benchmark_dir(config.benchmark_dir)
    check_trl_overrides(config.train)
    check_benchmarks(config, data)
    for where, judge in study_judges(config):
        check_judge(judge, where)
    if any(a.method == "constitution" for a in config.arms):
        from traitrl.train.constitution import check_constitution_study

        check_constitution_study(config)


def check_benchmarks(config: StudyConfig, data) -> None:
    """Suite names resolve; every row of every custom benchmark parses (a bad row names its file:line)."""
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.custom import register_custom
    from traitrl.evals.run import select_benchmarks

    for spec in config.eval.custom:
        get_benchmark(register_custom(spec)).load_items(data)
    select_benchmarks(config.eval.suite)


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


def check_judge(judge: JudgeConfig, where: str, timeout_s: float = 10.0) -> None:
    """The key is set and the endpoint answers `GET /models` without rejecting it (one cheap request)."""
    try:
        key = judge.api_key()
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    request = urllib.request.Request(judge.base_url.rstrip("/") + "/models",
                                     headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        urllib.request.urlopen(request, timeout=min(timeout_s, judge.timeout_s)).close()
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            raise ConfigError(f"{where}: {judge.base_url} rejected the API key (HTTP {e.code}); check "
                              f"${judge.api_key_env}") from None
        # Any other answer (404 on servers without /models, 405, 5xx) still shows the endpoint is there.
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ConfigError(f"{where}: cannot reach {judge.base_url} ({reason}); start the server or fix "
                          f"`{where}.base_url`") from None
