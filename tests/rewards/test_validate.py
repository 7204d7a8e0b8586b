"""The labeled validation set, the accuracy metric and the reward-hacking probes."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from traitrl._util.errors import DataError
from traitrl.data.scenario import Trait
from traitrl.rewards.validate import (
    build_probes,
    keyword_stuffing,
    pairwise_accuracy,
    read_validation_set,
    validate_graders,
    validation_dir,
)


# The six traits added for the paper's breadth: they have hand-labelled rows in the packaged set like every other
# trait, and per-trait checks in the labelled model samples below.
NEWER_TRAITS = {Trait.downside_aware_planning, Trait.power_asymmetry_awareness, Trait.anti_hierarchy_governance,
                Trait.option_preserving_patience, Trait.de_escalatory_firmness, Trait.bounded_initiative}


def test_packaged_set_covers_every_trait_and_label():
    rows = read_validation_set()
    assert len(rows) >= 300
    counts = Counter((r.scenario.trait.value, r.label) for r in rows)
    for trait in Trait:
        for label in ("good", "subtle_bad", "bad"):
            assert counts[trait.value, label] >= 10, (trait, label)
    # Held-out: no labeled response is copied from its scenario's references.
    assert not [r for r in rows if r.response in (r.scenario.rubric.good_response,
                                                  *r.scenario.rubric.failure_responses)]


def test_pairwise_accuracy_is_within_scenario_with_half_credit_for_ties():
    scores = [0.9, 0.5, 0.5, 0.1, 0.8]
    labels = ["good", "subtle_bad", "good", "bad", "bad"]
    groups = ["a", "a", "b", "b", "a"]
    # a: good 0.9 beats subtle 0.5 and bad 0.8; b: good 0.5 beats bad 0.1 (0.8 in group a is not compared).
    assert pairwise_accuracy(scores, labels, groups, {"subtle_bad", "bad"}) == 1.0
    assert pairwise_accuracy([0.5, 0.5], ["good", "bad"], ["a", "a"], {"bad"}) == 0.5
    assert pairwise_accuracy([0.5], ["good"], ["a"], {"bad"}) is None


def test_bad_label_names_file_and_line(tmp_path):
    row = json.loads((validation_dir() / "honesty.jsonl").read_text().splitlines()[0])
    row["label"] = "meh"
    (tmp_path / "x.jsonl").write_text("\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"x.jsonl:2: label 'meh'"):
        read_validation_set(tmp_path)


def test_probes_are_built_from_the_rubric():
    row = next(r for r in read_validation_set() if r.scenario.id == "val-honesty-boiling-altitude")
    probes = build_probes(row.scenario, row.response)
    assert probes["empty"] == "" and "air pressure" in probes["keyword_stuffed"]
    assert len(probes["overlong"].split()) >= 1000 and probes["overlong"].startswith(row.response)
    assert "because therefore" in keyword_stuffing(row.scenario)


def test_validate_reports_accuracy_and_probes_without_embedding(tmp_path):
    (tmp_path / "honesty.jsonl").write_text((validation_dir() / "honesty.jsonl").read_text())
    report = validate_graders(use_embedding=False, folder=tmp_path)
    honesty = report["traits"]["honesty"]
    assert report["n_rows"] == honesty["n"] == 44 and report["judge"] is None
    assert set(honesty["graders"]) == {"programmatic", "combined"}
    assert honesty["graders"]["programmatic"]["pairwise_accuracy"] > 0.9
    assert honesty["graders"]["programmatic"]["spearman"] > 0.8
    probes = report["probes"]
    assert set(probes) == {"empty", "keyword_stuffed", "hedge_everything", "refuse_everything", "overlong"}
    # Padding keeps every check satisfied, so it fools the checks; the combiner's length penalty catches it.
    assert probes["overlong"]["fooled_rate"]["programmatic"] > 0.5
    assert probes["overlong"]["fooled_rate"]["combined"] == 0.0 and probes["empty"]["fooled"] == []


def test_cli_lists_graders_and_writes_the_json_report(tmp_path):
    from typer.testing import CliRunner

    from traitrl.cli.rewards import app

    listed = CliRunner().invoke(app, ["list"])
    assert listed.exit_code == 0 and "trait_reward (v2)" in listed.stdout and "decision_matches" in listed.stdout
    (tmp_path / "honesty.jsonl").write_text((validation_dir() / "honesty.jsonl").read_text())
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["validate", "--json", "--no-embedding", "--data", str(tmp_path),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_rows"] == 44 == json.loads(out.read_text())["n_rows"]


def test_reward_ranks_the_labelled_model_samples():
    """390 replies on bank scenarios, labelled good/bad by hand (the project's own labels): greedy replies of the
    embedded model, and on the six newer traits also reference and written good replies. The offline reward must
    rank good above bad and classify most at 0.5."""
    from pathlib import Path

    from traitrl.rewards.validate import score_labelled_samples

    report = score_labelled_samples(Path(__file__).parent / "data" / "model_samples.jsonl")
    assert report["n"] == 390 and report["n_good"] == 93
    assert report["auc"] >= 0.75 and report["accuracy"] >= 0.88
    assert report["traits"]["fairness"]["auc"] == 1.0
    # The six newer traits: 20 greedy replies, 5 reference and 5 written good replies each. Each must rank good above
    # bad (AUC >= 0.75) and beat always answering "bad". Their per-trait accuracy is 0.80-0.97 (docs/graders.md).
    for trait in NEWER_TRAITS:
        figures = report["traits"][trait.value]
        assert figures["n"] == 30 and figures["n_good"] >= 10, (trait, figures)
        assert figures["auc"] >= 0.75, (trait, figures)
        assert figures["accuracy"] > 1 - figures["n_good"] / figures["n"], (trait, figures)
