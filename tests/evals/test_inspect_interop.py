"""Inspect interop: traitrl records written as Inspect logs read back with the same scores; an Inspect task run on a
traitrl model becomes a traitrl record with Inspect's per-sample scores."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import run_benchmarks
from traitrl.models import GenParams

pytest.importorskip("inspect_ai")
from inspect_ai.log import read_eval_log  # noqa: E402

TASK = f"inspect:{Path(__file__).with_name('inspect_tiny_task.py')}@tiny_arithmetic"


def test_inspect_logs_read_back_with_the_same_scores(tiny_lm, tmp_path):
    run_benchmarks(tiny_lm.path, "truthfulqa_mc1,capability_arithmetic", tmp_path, limit=3, log_format="inspect",
                   **tiny_lm.kwargs())
    for name in ("truthfulqa_mc1", "capability_arithmetic"):
        summary, items = read_benchmark_record(tmp_path, name)
        log = read_eval_log(str(tmp_path / "inspect" / f"{name}.eval"))
        assert log.eval.task == name and log.eval.model == tiny_lm.path
        assert [s.id for s in log.samples] == [i.item_id for i in items]
        assert [s.scores[summary.metric].value for s in log.samples] == [i.score for i in items]
        assert log.results.scores[0].metrics["mean"].value == pytest.approx(summary.score)
        assert all(s.input for s in log.samples)
    gen_items = read_benchmark_record(tmp_path, "capability_arithmetic")[1]
    log = read_eval_log(str(tmp_path / "inspect" / "capability_arithmetic.eval"))
    assert [s.output.completion for s in log.samples] == [i.response for i in gen_items]


class ScriptedModel:
    """Answers 2 + 2 right, and 3 + 4 with a reply that names the right number only as part of a wrong sum."""

    name = "scripted"
    fingerprint = "scripted"

    def generate(self, conversations, params: GenParams):
        text = conversations[0][-1]["content"]
        return ["It is 4." if "2 + 2" in text else "3 + 4 is 8, not 7... no, 8." if "3 + 4" in text else "no idea"]


def test_inspect_task_scores_become_a_traitrl_record(tmp_path):
    from traitrl.evals.inspect_interop import run_inspect_benchmark

    summary, scores = run_inspect_benchmark(TASK, ScriptedModel(), tmp_path)
    by_id = {s.item_id: s for s in scores}
    assert summary.benchmark == "inspect_tiny_arithmetic" and summary.n_items == 3 and summary.model == "scripted"
    assert by_id["a"].score == 1.0 and by_id["c"].score == 0.0 and by_id["a"].response == "It is 4."
    # Inspect's `includes` scorer is fooled by a wrong answer that contains the target: the record keeps Inspect's
    # verdict (the scorer is the task's, not traitrl's), and the reply is there to audit it.
    assert by_id["b"].score == 1.0 and "8" in by_id["b"].response
    [log_file] = (tmp_path / "inspect").glob("*.eval")
    log = read_eval_log(str(log_file))
    assert {str(s.id): s.scores["includes"].value for s in log.samples} == {"a": "C", "b": "C", "c": "I"}
    assert math.isclose(summary.score, 2 / 3)


def test_inspect_benchmark_runs_in_the_battery_on_a_traitrl_model(tiny_lm, tmp_path):
    [summary] = run_benchmarks(tiny_lm.path, [TASK], tmp_path, **tiny_lm.kwargs())
    _, items = read_benchmark_record(tmp_path, "inspect_tiny_arithmetic")
    assert summary.n_items == 3 and [i.item_id for i in items] == ["a", "b", "c"]
    assert all(i.score in (0.0, 1.0) for i in items) and all(i.response is not None for i in items)
