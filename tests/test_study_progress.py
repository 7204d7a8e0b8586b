"""`traitrl status DIR`: how far a study is, priced from what it measured, read from its files alone."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from traitrl._util.io import write_json_atomic
from traitrl.cli.main import cli
from traitrl.config import StudyConfig
from traitrl.study_progress import RunProgress, StudyProgress, logged_steps, study_progress

BENCHMARKS = ["truthfulqa_mc1", "pubmedqa"]


def write_study(root, steps: int = 10) -> StudyConfig:
    config = StudyConfig.model_validate({
        "name": "mini", "model": "smollm2-135m-instruct", "seeds": [0, 1], "reference_arm": "baseline",
        "arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.25}],
        "train": {"steps": steps}, "eval": {"suite": ",".join(BENCHMARKS), "limit": 50}})
    write_json_atomic(root / "manifest.json", {"config": config.model_dump(mode="json")})
    return config


def write_record(evals, name: str, seconds: float, cache_hits: int = 0) -> None:
    """A completed record: the items file, then the summary (evals.record.write_benchmark_record's order)."""
    evals.mkdir(parents=True, exist_ok=True)
    (evals / f"{name}.jsonl").write_text("")
    write_json_atomic(evals / f"{name}.json", {"benchmark": name, "n_items": 50, "seconds": seconds,
                                               "cache_hits": cache_hits})


def write_steps(train, steps: list[int], step_time: float) -> None:
    train.mkdir(parents=True, exist_ok=True)
    (train / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "step_time": step_time, "loss": 0.1}) + "\n"
                                                 for s in steps))


def test_a_resumed_runs_repeated_steps_count_once_and_time_left_is_priced_from_the_study(tmp_path):
    write_study(tmp_path)
    arms = tmp_path / "arms"
    for name in BENCHMARKS:  # the base model's items came from the cache: they say nothing of the price
        write_record(arms / "base" / "evals", name, seconds=0.01, cache_hits=50)
    # baseline-s0: killed after step 6, resumed from its step-4 checkpoint; now at step 7. The repeated steps 5-6 of
    # the killed attempt must not count twice.
    write_steps(arms / "baseline-s0" / "train", [1, 2, 3, 4, 5, 6, 5, 6, 7], step_time=20.0)
    write_json_atomic(arms / "baseline-s0" / "timings.json", {"train": {"seconds": 200.0, "killed_attempts": 1}})
    # trait-s0: trained, one benchmark scored in 30 s without cache hits.
    write_steps(arms / "trait-s0" / "train", list(range(1, 9)), step_time=40.0)  # last rows not streamed yet
    (arms / "trait-s0" / "train" / "train_summary.json").write_text("{}")
    write_record(arms / "trait-s0" / "evals", "truthfulqa_mc1", seconds=30.0)
    write_json_atomic(arms / "trait-s0" / "evals" / "manifest.json", {"stage": "evals"})  # not a record

    progress = study_progress(tmp_path)
    runs = {r.run: r for r in progress.runs}
    assert list(runs) == ["base", "baseline-s0", "trait-s0", "baseline-s1", "trait-s1"]
    assert runs["base"].benchmarks_done == 2 and runs["base"].seconds_left == 0
    assert runs["baseline-s0"].steps_done == 7 and runs["baseline-s0"].killed_attempts == 1
    assert progress.step_seconds == 40.0  # median of 7 steps at 20 s and 8 at 40 s; 20 s if repeats counted
    # Left for baseline-s0: 3 steps × 40 s; truthfulqa_mc1 at its measured 30 s; pubmedqa, never scored without the
    # cache, at 50 items × 30 s / 50 items (the study's seconds per scored item).
    assert runs["baseline-s0"].seconds_left == pytest.approx(3 * 40 + 30 + 50 * 0.6)
    assert runs["trait-s0"].steps_done == 10 and runs["trait-s0"].benchmarks_done == 1
    assert runs["trait-s0"].seconds_left == pytest.approx(30.0)
    fresh = 10 * 40 + 30 + 30
    assert runs["trait-s1"].seconds_left == pytest.approx(fresh)
    total = 180 + 30 + 2 * fresh
    assert progress.seconds_left(1) == pytest.approx(total)
    assert progress.seconds_left(2) == pytest.approx(total / 2)
    assert progress.seconds_left(8) == pytest.approx(fresh)  # never less than the longest run left


def test_the_base_models_evaluation_shares_the_workers_instead_of_going_first():
    # With --ray the base evaluation runs beside the trainings: 300 s of work on 2 workers is 150 s, not 100 + 100.
    def run(name: str, left: float) -> RunProgress:
        return RunProgress(run=name, steps_done=None, steps_total=None, benchmarks_done=0, benchmarks_total=1,
                           seconds_spent=0.0, seconds_left=left, killed_attempts=0)

    progress = StudyProgress(study="s", runs=[run("base", 100.0), run("baseline-s0", 100.0), run("trait-s0", 100.0)],
                             step_seconds=None, report_written=False)
    assert (progress.seconds_left(1), progress.seconds_left(2), progress.seconds_left(3)) == (300.0, 150.0, 100.0)


def test_the_status_command_reads_a_study_and_refuses_a_folder_that_is_not_one(tmp_path):
    write_study(tmp_path)
    result = CliRunner().invoke(cli, ["status", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert [r["run"] for r in json.loads(result.output)["runs"]][:2] == ["base", "baseline-s0"]
    table = CliRunner().invoke(cli, ["status", str(tmp_path), "--workers", "2"])
    assert "0/10" in table.output and "with 2 run(s) at once" in table.output
    missing = CliRunner().invoke(cli, ["status", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "manifest.json: not found" in str(missing.exception)


def test_logged_steps_skips_trl_summary_rows(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"step": 3, "step_time": 1.0}) + "\n" + json.dumps({"train_runtime": 9.0}) + "\n\n")
    assert list(logged_steps(path)) == [3]
    assert logged_steps(tmp_path / "absent.jsonl") == {}
