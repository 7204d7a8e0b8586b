"""Did an arm learn its reward? The least-squares slope of its per-step training reward, with a CI, from metrics.jsonl.

An arm whose slope CI reaches 0 (or lies below it) is flagged "did not learn its reward": no dose or sample size can
show an effect of training that did not change what the policy is paid for. The CI is the ordinary t interval of
the OLS slope over steps; per-step rewards come from fresh prompts each step, so they are close to independent
given the policy, but a drifting prompt mix (dose < 1) widens the real uncertainty beyond it.

A second check reads the share of replies cut at the completion cap: an arm whose replies were mostly cut by the end
is flagged "replies of arm X ran into the cap". Its reward then scored unfinished replies, and on the embedded model
replies that grow to the cap within a few steps are how a LoRA run at lr 1e-3 degenerates into repeated fragments
(docs/training.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from traitrl._util.errors import DataError
from traitrl.train.grpo import METRICS_FILE, sampled_key


class RewardTrend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reward: str
    n_steps: int
    slope_per_step: float
    ci_low: float
    ci_high: float
    level: float
    first_mean: float  # mean of the first fifth of the steps (at least one)
    last_mean: float
    learned: bool
    flag: str | None  # "arm X did not learn its reward" when the CI does not lie above 0
    samples_only: bool = False  # the curve left out reference replies placed among the completions (curve_key)


CUT_KEY = "completions/clipped_ratio"  # TRL's share of a step's completions that hit max_completion_length
CUT_LIMIT = 0.5  # flagged when more than half of the last fifth's replies were cut


class CapTrend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_cut: float  # share of replies cut at the cap, mean over the first fifth of the steps (at least one)
    last_cut: float
    flag: str | None  # "replies of arm X ran into the cap" when last_cut > CUT_LIMIT


def metric_key(reward: str) -> str:
    """'reward' (the weighted total) and logged keys with a '/' ('rewards/x/mean', 'completions/...') stay as they
    are; a reward function's name maps to TRL's 'rewards/<name>/mean'."""
    return reward if reward == "reward" or "/" in reward else f"rewards/{reward}/mean"


def read_metrics(metrics: str | Path | list[dict]) -> list[dict]:
    """The rows of a metrics.jsonl (a train folder or the file); parsed rows are returned as they are, so a caller
    that runs several checks on one run reads its file once."""
    if isinstance(metrics, list):
        return metrics
    path = Path(metrics)
    path = path / METRICS_FILE if path.is_dir() else path
    if not path.is_file():
        raise DataError(f"{path}: no training metrics; train the arm first")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def curve_key(rows: list[dict], reward: str) -> str:
    """The metrics key of a reward's curve: its samples-only mean where the run logged one (a run with reference
    replies placed among its completions, train.rollout.reference_in_group), else TRL's mean over all completions."""
    sampled = sampled_key(reward)
    return sampled if any(sampled in row for row in rows) else metric_key(reward)


def read_reward_curve(metrics: str | Path | list[dict], reward: str = "reward") -> tuple[list[int], list[float]]:
    """(steps, values) of one reward from a metrics.jsonl (or its parsed rows), over the sampled completions alone
    where the run placed reference replies among them (curve_key); steps where it is missing or NaN (no row of that
    reward in the step) are skipped."""
    rows = read_metrics(metrics)
    return curve_values(rows, curve_key(rows, reward))


def curve_values(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one metrics key, skipping TRL's end-of-run summary row and steps without a value."""
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if "step" in row and value is not None and not math.isnan(value) and "train_runtime" not in row:
            steps.append(int(row["step"]))
            values.append(float(value))
    return steps, values


def fifth_means(values: list[float]) -> tuple[float, float]:
    """Means of the first and the last fifth of `values` (at least one value each); nan when there are none."""
    fifth = max(1, len(values) // 5)
    return (sum(values[:fifth]) / fifth, sum(values[-fifth:]) / fifth) if values else (math.nan, math.nan)


def fit_slope(steps: list[int], values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """OLS slope of values on steps and its t confidence interval; (nan, nan, nan) with fewer than 3 points."""
    from scipy import stats

    n = len(steps)
    if n < 3 or len(set(steps)) < 2:
        return math.nan, math.nan, math.nan
    mean_x, mean_y = sum(steps) / n, sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in steps)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(steps, values, strict=True)) / sxx
    residual = sum((y - mean_y - slope * (x - mean_x)) ** 2 for x, y in zip(steps, values, strict=True))
    se = math.sqrt(residual / (n - 2) / sxx)
    half = float(stats.t.ppf(0.5 + level / 2, n - 2)) * se
    return slope, slope - half, slope + half


def check_learning(metrics: str | Path | list[dict], reward: str = "reward", arm: str = "arm",
                   level: float = 0.95) -> RewardTrend:
    """The reward curve's slope and CI for one arm, flagged when the CI does not exclude 0 from above."""
    rows = read_metrics(metrics)
    key = curve_key(rows, reward)
    steps, values = curve_values(rows, key)
    slope, low, high = fit_slope(steps, values, level)
    first, last = fifth_means(values)
    learned = not math.isnan(low) and low > 0
    return RewardTrend(
        reward=reward, n_steps=len(steps), slope_per_step=slope, ci_low=low, ci_high=high, level=level,
        first_mean=first, last_mean=last, learned=learned, samples_only=key == sampled_key(reward),
        flag=None if learned else f"arm {arm} did not learn its reward",
    )


def check_cap(metrics: str | Path | list[dict], arm: str = "arm") -> CapTrend:
    """The share of replies cut at the completion cap, first and last fifth of the steps; flagged when over half of
    the last fifth's replies were cut."""
    first, last = fifth_means(read_reward_curve(metrics, CUT_KEY)[1])
    flag = (f"replies of arm {arm} ran into the completion cap ({last:.0%} cut in the last fifth of training, "
            f"{first:.0%} in the first)") if last > CUT_LIMIT else None
    return CapTrend(first_cut=first, last_cut=last, flag=flag)
