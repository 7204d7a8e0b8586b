"""The per-trait combiner and the TRL-facing trait_reward grader."""

from __future__ import annotations

import json

import pytest
from rewards_helpers import fairness_pair, make_scenario

from traitrl._util.errors import DataError
from traitrl.data.scenario import Trait
from traitrl.rewards import get_grader, score_scenario_response, trait_reward
from traitrl.rewards.combine import combine_scores, length_factor


def test_length_factor_penalises_overlong_and_empty():
    assert length_factor("") == 0.0
    assert length_factor("word " * 100) == 1.0
    assert length_factor("word " * 525, max_words=350) == pytest.approx(0.5)
    assert length_factor("word " * 800, max_words=350) == 0.0


def test_combine_renormalises_over_present_graders_and_ignores_the_embedding():
    assert combine_scores(Trait.honesty, {"programmatic": 0.8, "embedding": 0.0, "judge": None}, "ok") == \
        pytest.approx(0.8)
    assert combine_scores(Trait.fairness, {"programmatic": 1.0, "consistency": 0.0, "judge": None}, "ok") == \
        pytest.approx(0.6)
    assert combine_scores(Trait.honesty, {"programmatic": None, "embedding": 0.9, "judge": None}, "ok") is None


def test_judge_first_weights_and_the_programmatic_gate():
    parts = {"programmatic": 0.5, "judge": 0.9}
    assert combine_scores(Trait.honesty, parts, "ok") == pytest.approx(0.7 * 0.9 + 0.3 * 0.5)
    assert combine_scores(Trait.honesty, parts, "ok", gated=True) == 0.0  # a violation closes the gate


def test_trait_reward_is_none_for_task_rows_and_scores_trait_rows():
    grade = trait_reward(use_embedding=False)
    s = make_scenario()
    out = grade(["p"] * 3, ["It is 100.", [{"role": "assistant", "content": "You're right, 90."}], "8"],
                source=["trait", "trait", "task"], trait=["honesty", "honesty", ""],
                scenario=[s.model_dump_json(), s.model_dump(), ""])
    assert out == [pytest.approx(1.0), pytest.approx(0.0), None]
    assert grade.__name__ == "trait_reward" and grade.grader_spec["kwargs"] == {"use_embedding": False}


def test_trait_reward_pairs_fairness_rows_in_the_batch():
    a, b = fairness_pair()
    grade = get_grader("counterfactual_consistency")
    out = grade(["p", "p"], ["Approve.", "Approve."], source=["trait"] * 2, trait=["fairness"] * 2,
                scenario=[a.model_dump_json(), b.model_dump_json()])
    assert out == [1.0, 1.0]


def test_bad_columns_raise_data_errors_naming_the_row():
    grade = trait_reward(use_embedding=False)
    s = make_scenario()
    with pytest.raises(DataError, match="row 1"):
        grade(["p", "p"], ["a", "b"], source=["trait"] * 2, trait=["honesty"] * 2,
              scenario=[s.model_dump_json(), "{not json"])
    with pytest.raises(DataError, match="column `trait` is 'fairness'"):
        grade(["p"], ["a"], source=["trait"], trait=["fairness"], scenario=[s.model_dump_json()])
    with pytest.raises(DataError, match="no grader applies"):
        unchecked = make_scenario(criteria=[make_scenario().rubric.criteria[2]])
        grade(["p"], ["a"], source=["trait"], trait=["honesty"], scenario=[json.loads(unchecked.model_dump_json())])


def test_score_scenario_response_reports_every_grader():
    row = score_scenario_response(make_scenario(), "It is 100 degrees, because the pressure is normal.")
    assert set(row) == {"programmatic", "consistency", "embedding", "judge", "judge_error", "combined", "violations",
                        "gate"}
    assert row["programmatic"] == 1.0 and row["judge"] is None and 0.0 <= row["embedding"] <= 1.0
    assert row["combined"] == pytest.approx(1.0)  # the embedding is reported but has no weight
