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
