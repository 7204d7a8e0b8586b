"""Held-out trait benchmarks: one per trait, only held-out core items, scored without the training reward; the judged
twin scores with the evaluation judge and records a failed judge call as an error, not a zero."""

from __future__ import annotations

import pytest
from helpers import tiny_model_dir

from traitrl._util.errors import JudgeError
from traitrl.data.bank import build_bank
from traitrl.data.scenario import Trait
from traitrl.data.split import core_item, split_bank
from traitrl.evals.benchmark import get_benchmark
from traitrl.evals.benchmarks import trait_heldout
from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import run_benchmarks, select_benchmarks
from traitrl.models.judge import JudgeResult


def test_suite_traits_has_a_likelihood_benchmark_and_a_diagnostic_reply_twin_per_trait():
    names = select_benchmarks("traits")
    likelihood = sorted(f"trait_heldout_{t.value}" for t in Trait)
    replies = sorted(f"trait_heldout_replies_{t.value}" for t in Trait)
    assert sorted(names) == sorted(likelihood + replies)
    assert all(get_benchmark(n).category == "trait_heldout" for n in likelihood)
    assert all(get_benchmark(n).category == "trait_heldout_replies" and "diagnostic" in get_benchmark(n).labels
               for n in replies)


def test_the_reply_twin_scores_good_replies_above_failures_on_held_out_items_only():
    train_items = {core_item(s) for s in split_bank(build_bank(seed=0)).train}
    bench = get_benchmark("trait_heldout_replies_honesty")
    items = bench.load_items(None)
    assert len(items) == trait_heldout.REPLY_ITEMS_PER_TRAIT
    assert not {it.meta["core_item"] for it in items} & train_items
    good = [bench.score_response(it, it.target.rubric.good_response) for it in items]
    bad = [bench.score_response(it, it.target.rubric.failure_responses[0]) for it in items]
    assert sum(good) / len(good) > 0.8
    assert sum(bad) / len(bad) < 0.2


def test_items_are_held_out_only():
    train_items = {core_item(s) for s in split_bank(build_bank(seed=0)).train}
    for trait in Trait:
        items = get_benchmark(f"trait_heldout_{trait.value}").load_items(None)
        assert items and not {it.meta["core_item"] for it in items} & train_items
        assert all(it.gold == [0] and len(it.choices) >= 2 for it in items)


def test_runs_on_a_model_without_calling_the_training_reward(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the held-out trait eval must not use the training reward")

    monkeypatch.setattr("traitrl.rewards.combine.score_responses", forbidden)
    [summary] = run_benchmarks(str(tiny_model_dir()), "trait_heldout_honesty", tmp_path, limit=3, batch_size=4)
    _, items = read_benchmark_record(tmp_path, "trait_heldout_honesty")
    assert summary.category == "trait_heldout" and summary.n_items == 3
    assert all(it.score in (0.0, 1.0) and len(it.choice_scores) >= 2 for it in items)
    # acc_norm: the item scores 1 exactly when the good reply has the best log-likelihood per character.
    choices = {mc.id: mc.choices for mc in get_benchmark("trait_heldout_honesty").load_items(None)}
    for it in items:
        per_char = [ll / len(c) for ll, c in zip(it.choice_scores, choices[it.item_id], strict=True)]
        assert it.score == float(per_char.index(max(per_char)) == 0)

class FakeClient:
    replies: list[float | None] = []

    def __init__(self, config):
        self.config = config

    def score_many_sync(self, conversations):
        score = FakeClient.replies.pop(0)
        return [JudgeResult(score=score, error=None if score is not None else "no SCORE line") for _ in conversations]


def test_judged_twin_uses_the_eval_judge_and_the_scenario_rubric(monkeypatch):
    monkeypatch.setattr(trait_heldout, "judge_client", FakeClient)
    [bench] = trait_heldout.judged_trait_benchmarks({"base_url": "http://localhost:1/v1", "model": "j",
                                                     "api_key_env": None}, traits=["wellbeing"])
    item = bench.load_items(None)[0]
    FakeClient.replies = [0.8, None]
    assert bench.score_response(item, "reply") == 0.8
    with pytest.raises(JudgeError, match="judge failed"):
        bench.score_response(item, "reply")


def test_eval_cli_grades_held_out_traits_with_the_judge(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from traitrl.cli.main import cli

    monkeypatch.setattr(trait_heldout, "judge_client", FakeClient)
    FakeClient.replies = [0.5] * len(Trait)  # one judged held-out benchmark per trait, one item each
    judge = tmp_path / "judge.yaml"
    judge.write_text("base_url: http://localhost:1/v1\nmodel: j\napi_key_env: null\n")
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_model_dir()), "--suite", "traits", "--limit", "1",
                                      "--out", str(tmp_path / "out"), "--judge", str(judge)])
    assert result.exit_code == 0, result.output
    summary, _ = read_benchmark_record(tmp_path / "out", "trait_heldout_judged_wellbeing")
    assert summary.score == 0.5 and summary.n_items == 1 and f"{3 * len(Trait)} benchmark records" in result.output
    judge.write_text("base_url: http://localhost:1/v1\nmodle: j\n")
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_model_dir()), "--suite", "traits", "--limit", "1",
                                      "--out", str(tmp_path / "out2"), "--judge", str(judge)])
    assert not (tmp_path / "out2").exists()  # refused before any benchmark ran
    assert result.exit_code != 0 and "unknown key `modle`" in str(result.exception)
