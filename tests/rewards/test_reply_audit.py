"""`traitrl rewards audit --replies`: a model's own replies against the references, per reward component."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from traitrl.cli.main import cli
from traitrl.data.generators import epistemic_humility
from traitrl.data.scenario import Domain
from traitrl.rewards.audit import audit_replies, repeated_word_share

SCENARIOS = epistemic_humility.generate(Domain.science, random.Random(0), 8)
LOOP = "I'm sorry, I'm unable to provide that due to the fact that " * 6


def test_replies_are_scored_against_the_references_and_loops_show_as_repetition():
    copied = [s.rubric.good_response for s in SCENARIOS]
    report = audit_replies(SCENARIOS, {"copies": copied, "loops": [LOOP] * len(SCENARIOS),
                                       "failures": [s.rubric.failure_responses[0] for s in SCENARIOS]},
                           cut_to_cap=lambda text: text)
    sets = report["sets"]
    assert report["n"] == len(SCENARIOS) and {"reference", "capped", "concise"} <= set(sets)
    # A copy of the reference ties it: never *strictly* above, on any component.
    assert set(sets["copies"]["win_vs"]["capped"].values()) == {0.0}
    assert sets["copies"]["mean"] == pytest.approx(sets["reference"]["mean"])
    assert sets["failures"]["mean"]["combined"] < sets["concise"]["mean"]["combined"]
    assert sets["loops"]["repeated_word_share"] > 0.8 > sets["reference"]["repeated_word_share"]
    assert sets["loops"]["words"] == 12 * 6
    assert "win_vs" not in sets["reference"]  # references are what the sets are held to, not a set


def test_repetition_share_counts_repeated_words_only():
    assert repeated_word_share("") == 0.0
    assert repeated_word_share("a b c d") == 0.0
    assert repeated_word_share("Sorry sorry SORRY sorry") == pytest.approx(0.75)


def test_a_reply_set_of_the_wrong_length_or_an_unknown_scenario_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'short' has 1 replies for 8 scenarios"):
        audit_replies(SCENARIOS, {"short": ["x"]}, cut_to_cap=lambda text: text)
    bad = tmp_path / "greedy_after.jsonl"
    bad.write_text(json.dumps({"id": "not-a-bank-id", "reply": "hi"}) + "\n")
    result = CliRunner().invoke(cli, ["rewards", "audit", "--replies", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:1: needs a string `reply` and an `id` of the config's scenario bank" in str(result.exception)


def test_greedy_heldout_replies_are_audited_in_pairs_against_the_first_file(tmp_path):
    from tests.helpers import tiny_model_dir
    from traitrl.data.bank import build_bank
    from traitrl.data.split import split_bank

    split = split_bank(build_bank(seed=0))
    runner = CliRunner()
    first = tmp_path / "greedy_tiny.jsonl"
    result = runner.invoke(cli, ["rewards", "replies", "--model", str(tiny_model_dir()), "--n", "2",
                                 "--out", str(first)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    traits = {s.trait.value for s in split.heldout}
    assert len(rows) == 2 * len(traits) and {r["trait"] for r in rows} == traits
    assert {r["id"] for r in rows} <= {s.id for s in split.heldout}
    assert not {r["id"] for r in rows} & {s.id for s in split.train}
    train_side = tmp_path / "train_side.jsonl"
    result = runner.invoke(cli, ["rewards", "replies", "--model", str(tiny_model_dir()), "--n", "1", "--side", "train",
                                 "--out", str(train_side)])
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["id"] for line in train_side.read_text().splitlines()} <= {s.id for s in split.train}
    result = runner.invoke(cli, ["rewards", "replies", "--model", "x", "--side", "test", "--out", str(train_side)])
    assert result.exit_code != 0 and "'test': expected 'heldout' or 'train'" in result.output
    # The same rows with the references as replies: a set that is better on the same scenarios, by a paired CI.
    by_id = {s.id: s for s in split.heldout}
    better = tmp_path / "references.jsonl"
    better.write_text("".join(json.dumps({**r, "reply": by_id[r["id"]].rubric.good_response}) + "\n" for r in rows))
    same = tmp_path / "same.jsonl"
    same.write_text(first.read_text())
    report = tmp_path / "audit.json"
    result = runner.invoke(cli, ["rewards", "audit", "--replies", str(first), "--replies", str(better),
                                 "--replies", str(same), "--out", str(report)])
    assert result.exit_code == 0, result.output
    vs_first = json.loads(report.read_text())["vs_first"]
    assert vs_first[str(better)]["programmatic"]["ci_low"] > 0
    assert vs_first[str(same)]["combined"] == {"difference": 0.0, "ci_low": 0.0, "ci_high": 0.0}
