"""Report section "Did each arm learn its reward?": the slope of every trained run's reward curve, with its CI.

No dose or sample size can show an effect of training that did not change what the policy is paid for, so a run
whose slope CI does not lie above 0 is flagged, and the flag leads its arm's headline (`flag_learning`). So is a run
whose replies were mostly cut at the completion cap by the end of training (`learning_check.check_cap`).

With several reward functions, each one's own curve (over the rows it scores) is shown under its run: at dose 0.25 a
trait arm's total reward is mostly the task reward, which can rise while the trait reward stays flat. Those rows are
shown, not flagged: a placebo reward, for one, has nothing to learn.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from traitrl.report.registry import (
    SectionSpec,
    html_text_table,
    markdown_text_table,
    register_section,
)
from traitrl.train.learning_check import (
    CapTrend,
    RewardTrend,
    check_cap,
    check_learning,
    read_metrics,
)


class RewardCurve(BaseModel):
    """One reward curve's RewardTrend, with None where it has no value (fewer than 3 logged steps), so report.json
    stays JSON."""

    model_config = ConfigDict(extra="forbid")
    n_steps: int
    slope_per_step: float | None
    ci_low: float | None
    ci_high: float | None
    first_mean: float | None
    last_mean: float | None
    learned: bool
    samples_only: bool = False  # the curve left out reference replies placed among the completions (guided GRPO)


class LearningRow(RewardCurve):
    """A run's total reward (what GRPO optimises), its cap trend, and each reward function's own curve."""

    flag: str | None
    first_cut: float | None  # share of replies cut at the cap, first and last fifth of the steps (None: not logged)
    last_cut: float | None
    cap_flag: str | None
    by_reward: dict[str, RewardCurve] = {}  # reward function → its curve, when the run has more than one

    def flags(self) -> list[str]:
        return [f for f in (self.flag, self.cap_flag) if f]


class LearningSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runs: dict[str, LearningRow]  # trained run name → trend of its total GRPO reward


def _no_nan(values: dict) -> dict:
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


def _row(trend: RewardTrend, cap: CapTrend, by_reward: dict[str, RewardTrend]) -> LearningRow:
    values = {**trend.model_dump(include=set(LearningRow.model_fields)), "first_cut": cap.first_cut,
              "last_cut": cap.last_cut, "cap_flag": cap.flag}
    curves = {name: RewardCurve(**_no_nan(t.model_dump(include=set(RewardCurve.model_fields))))
              for name, t in by_reward.items()}
    return LearningRow(**_no_nan(values), by_reward=curves)


def reward_names(rows: list[dict]) -> list[str]:
    """The reward functions a run logged (TRL's 'rewards/<name>/mean'), in the order TRL logs them."""
    return list(dict.fromkeys(k.split("/")[1] for row in rows for k in row
                              if k.startswith("rewards/") and k.endswith("/mean")))


def learning_section(run_dirs: dict[str, Path]) -> LearningSection:
    """Trend of the total reward (what GRPO optimises) and of the replies cut at the cap, for each run name → its
    train folder; when more than one reward function scored its rows, each one's own trend too."""
    runs = {}
    for name, path in run_dirs.items():
        rows = read_metrics(path)
        scored = {r: t for r in reward_names(rows) if (t := check_learning(rows, r, arm=name)).n_steps}
        runs[name] = _row(check_learning(rows, "reward", arm=name), check_cap(rows, arm=name),
                          scored if len(scored) > 1 else {})
    return LearningSection(runs=runs)


def flag_learning(comparison, section: LearningSection, group_of: dict[str, str]) -> None:
    """Put "arm X did not learn its reward" (and "replies of arm X ran into the completion cap") for each flagged run
    into its arm's headline (and the study's); `group_of` maps a run name to the arm label the comparison reports
    (seeded runs share one label)."""
    flagged = {r: t.flags() for r, t in section.runs.items() if t.flags()}
    if not flagged:
        return
    reference = [f for r, fs in flagged.items() if group_of[r] == comparison.reference_name for f in fs]
    for arm in comparison.arms:
        own = [f for r, fs in flagged.items() if group_of[r] == arm.name for f in fs]
        if own or reference:
            # After the smoke-test warning, which always comes first, and before every result.
            smoke, head = arm.summary.smoke, arm.summary.headline
            lead = smoke if smoke and head.startswith(smoke) else ""
            arm.summary.headline = (lead + " " if lead else "") + "; ".join([*own, *reference]) + ". " + \
                head[len(lead):].lstrip()
    comparison.headline = comparison.arms[0].summary.headline


def _rows(section: LearningSection) -> list[list[str]]:
    def num(x: float | None, fmt: str = "+.4f") -> str:
        return "–" if x is None else format(x, fmt)

    def curve(label: str, t: RewardCurve, learned: str) -> list[str]:
        return [label + (" (guided: part imitation; samples' reward)" if t.samples_only else ""), str(t.n_steps),
                f"{num(t.first_mean, '.3f')} → {num(t.last_mean, '.3f')}", num(t.slope_per_step),
                f"{num(t.ci_low)} to {num(t.ci_high)}", learned]

    rows = []
    for name, t in section.runs.items():
        rows.append(curve(name, t, "yes" if t.learned else "NO")
                    + [f"{num(t.first_cut, '.0%')} → {num(t.last_cut, '.0%')}" + (" (FLAGGED)" if t.cap_flag else "")])
        rows += [curve(f"{name} · {reward}", c, "yes" if c.learned else "no") + ["–"]
                 for reward, c in t.by_reward.items()]
    return rows


HEADERS = ["run", "steps", "reward first → last fifth", "slope / step", "95 % CI", "learned",
           "replies cut at the cap, first → last fifth"]


def learning_html(section: LearningSection) -> str:
    return html_text_table(HEADERS, _rows(section),
                           "Least-squares slope of the total training reward per step, with its t interval. A run "
                           "whose interval reaches 0 did not learn its reward, and its arm's headline says so. So does "
                           "a run whose replies were mostly (over half) cut at the completion cap in its last fifth of "
                           "steps. Where reference replies were placed among the completions (guided GRPO), the "
                           "curve is the sampled completions' reward alone. Rows 'run · reward' give each reward "
                           "function's own curve over the rows it scores (a trait arm's total is mostly its task "
                           "reward); they are shown, not flagged.")


def learning_markdown(section: LearningSection) -> list[str]:
    return markdown_text_table(HEADERS, _rows(section))


register_section(SectionSpec("learning", "Did each arm learn its reward?", LearningSection, html=learning_html,
                             markdown=learning_markdown))
