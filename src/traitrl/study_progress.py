"""Where a study directory stands: per run, training steps and benchmarks done, time spent so far (killed attempts
included) and the time left, priced from what this study itself has measured.

A study of many runs spans several sittings; `traitrl status DIR` answers "how far, and how long to go" without
touching the run. Prices: a training step costs the median step time logged by this study's runs (TRL's
`step_time`); a benchmark costs what its scoring took in this study where it was scored without cache hits, else its
items at the study's mean seconds per scored item (`stats.plan.scored_seconds_per_item`), else at the packaged cost
table's.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from pydantic import BaseModel, Field

from traitrl._util.errors import DataError
from traitrl._util.io import read_json
from traitrl.config import StudyConfig

BASE_RUN = "base"  # the untrained model's folder, arms/base (study.py uses this name too)


class RunProgress(BaseModel):
    run: str
    steps_done: int | None = Field(description="Optimizer steps logged so far; None for the untrained base model.")
    steps_total: int | None
    benchmarks_done: int
    benchmarks_total: int
    seconds_spent: float = Field(description="Training and evaluation time so far, killed attempts included.")
    seconds_left: float
    killed_attempts: int
    peak_rss_gib: dict[str, float] = Field(default_factory=dict, description="Stage → its peak RSS so far (the "
                                           "largest over attempts): what a Ray reservation for it should cover.")


class StudyProgress(BaseModel):
    study: str
    runs: list[RunProgress]
    step_seconds: float | None = Field(description="Median logged step time over this study's runs; None before the "
                                                   "first step, when steps are priced by the cost table.")
    report_written: bool

    def seconds_left(self, workers: int = 1) -> float:
        """Time left with `workers` runs at once: the largest of the busiest run and an even share of the total (the
        base model's evaluation included: with several workers it runs beside the trainings)."""
        left = [r.seconds_left for r in self.runs]
        return max(max(left, default=0.0), sum(left) / workers)


def logged_steps(metrics: Path) -> dict[int, dict]:
    """Step → its last logged row. A resumed run streams again the steps after its checkpoint, so a killed attempt's
    later steps appear twice until the run ends and rewrites the file."""
    from traitrl.train.learning_check import read_metrics

    rows = read_metrics(metrics) if metrics.is_file() else []
    return {row["step"]: row for row in rows if isinstance(row.get("step"), int) and "step_time" in row}


def _stage_totals(run_dir: Path, stages: tuple[str, ...]) -> dict:
    """Seconds and killed attempts summed over `stages`, and each stage's peak RSS."""
    timings = read_json(run_dir / "timings.json") if (run_dir / "timings.json").is_file() else {}
    picked = {s: timings[s] for s in stages if timings.get(s)}
    return {"seconds_spent": sum(t.get("seconds", 0.0) for t in picked.values()),
            "killed_attempts": sum(t.get("killed_attempts", 0) for t in picked.values()),
            "peak_rss_gib": {s: t["peak_rss_gib"] for s, t in picked.items() if "peak_rss_gib" in t}}


def study_progress(out: Path) -> StudyProgress:
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.evals.run import select_benchmarks
    from traitrl.stats.plan import (
        cost_table,
        eval_summaries,
        scored_seconds_per_item,
        train_step_seconds,
    )

    manifest = out / "manifest.json"
    if not manifest.is_file():
        raise DataError(f"{manifest}: not found; give the --out folder of `traitrl run`")
    config = StudyConfig.model_validate(read_json(manifest)["config"])
    names = select_benchmarks(config.eval.suite)
    runs = ([BASE_RUN] if config.eval.include_base else []) + [a.name for a in config.seeded_arms()]
    records = {run: eval_summaries(out / "arms" / run / "evals") for run in runs}
    steps = {run: logged_steps(out / "arms" / run / "train" / "metrics.jsonl") for run in runs}
    step_times = [row["step_time"] for by_step in steps.values() for row in by_step.values()]
    step_seconds = statistics.median(step_times) if step_times else None
    t = config.train
    step_price = step_seconds or train_step_seconds(cost_table(), {
        "prompts_per_step": t.prompts_per_step, "num_generations": t.num_generations,
        "max_completion_tokens": t.max_completion_tokens})
    per_item = (scored_seconds_per_item(r for by_name in records.values() for r in by_name.values())
                or cost_table()["eval_seconds_per_item"])
    scored = {}  # benchmark → seconds of a scoring with no cache hits, in this study
    for by_name in records.values():
        for name, r in by_name.items():
            if r.get("cache_hits", 0) == 0 and r.get("seconds") is not None:
                scored.setdefault(name, r["seconds"])
    data = benchmark_dir(config.benchmark_dir)

    def benchmark_seconds(name: str) -> float:
        if name in scored:
            return scored[name]
        available = len(get_benchmark(name).load_items(data))
        return per_item * (available if config.eval.limit is None else min(config.eval.limit, available))

    progress = []
    for run in runs:
        trained = run != BASE_RUN
        done_steps = max(steps[run], default=0) if trained else None
        if trained and (out / "arms" / run / "train" / "train_summary.json").is_file():
            done_steps = config.train.steps
        left_steps = config.train.steps - done_steps if trained else 0
        left = [n for n in names if n not in records[run]]
        totals = _stage_totals(out / "arms" / run, ("train", "eval")) if trained else \
            _stage_totals(out, ("eval_base",))
        progress.append(RunProgress(
            run=run, steps_done=done_steps, steps_total=config.train.steps if trained else None,
            benchmarks_done=len(names) - len(left), benchmarks_total=len(names),
            seconds_left=left_steps * step_price + sum(map(benchmark_seconds, left)), **totals))
    return StudyProgress(study=config.name, runs=progress, step_seconds=step_seconds,
                         report_written=(out / "report.json").is_file())
