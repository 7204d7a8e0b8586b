"""Rewards chosen by name or `package.module:function`, and reward functions that survive pickling."""

from __future__ import annotations

import pickle

import pytest

from traitrl._util.errors import ConfigError
from traitrl.config import StudyConfig
from traitrl.rewards.registry import get_grader

TASK_ROW = {"source": ["task"], "check": ['{"type": "number", "value": 4}']}


def echo_length(prompts, completions, **_):
    """A user reward function referenced as package.module:function (this test module)."""
    return [float(len(c)) for c in completions]


def scaled_length(factor: float):
    """A user reward factory: called with the spec's kwargs."""

    def grade(prompts, completions, **_):
        return [factor * len(c) for c in completions]

    return grade


def test_registered_and_referenced_rewards_pickle_and_still_score():
    task = get_grader("task_reward")
    ref = get_grader(f"{__name__}:echo_length")
    factory = get_grader(f"{__name__}:scaled_length", factor=2.0)
    for fn in (task, ref, factory):
        clone = pickle.loads(pickle.dumps(fn))
        assert clone.__name__ == fn.__name__ and clone.grader_spec == fn.grader_spec
    assert pickle.loads(pickle.dumps(ref))(["p"], ["abc"]) == [3.0]
    assert pickle.loads(pickle.dumps(factory))(["p"], ["abc"]) == [6.0]
    clone = pickle.loads(pickle.dumps(task))
    columns = dict(TASK_ROW)
    # The right number scores 1; a reply that repeats the question's numbers but ends on a wrong one scores 0.
    assert clone(["What is 2 + 2?"], ["It is 4."], **columns) == task(["What is 2 + 2?"], ["It is 4."], **columns)
    assert clone(["What is 2 + 2?"], ["2 + 2 is not 4, it is 5."], **columns) == [0.0]


def test_counters_read_through_the_pickled_wrapper():
    grade = get_grader("trait_reward", use_embedding=False)
    assert grade.n_judge_errors == 0 and pickle.loads(pickle.dumps(grade)).n_judge_errors == 0


def test_bad_references_are_one_clear_error():
    with pytest.raises(ConfigError, match="cannot import 'nope'"):
        get_grader(f"{__name__}:nope")
    with pytest.raises(ConfigError, match="Did you mean 'task_reward'"):
        get_grader("task_rewrd")


def test_study_rewards_come_from_the_config():
    from traitrl.study import reward_functions

    default = reward_functions(StudyConfig())
    assert [f.__name__ for f in default] == ["task_reward", "trait_reward"]
    judge = {"base_url": "http://127.0.0.1:9/v1", "model": "j", "api_key_env": None}
    cfg = StudyConfig(rewards=[{"name": "trait_reward", "kwargs": {"use_embedding": False}},
                               {"name": f"{__name__}:echo_length"}], train_judge=judge)
    trait, user = reward_functions(cfg)
    # A grader with a `judge` argument gets the training judge; a user function is taken as is.
    assert trait.grader_spec["kwargs"] == {"use_embedding": False, "judge": judge}
    assert user.__name__ == "echo_length" and user(["p"], ["ab"]) == [2.0]
    with pytest.raises(ValueError, match="extra"):
        StudyConfig(rewards=[{"name": "task_reward", "weight": 2}])


def test_an_unknown_reward_fails_before_any_training(tmp_path):
    from helpers import tiny_model_dir

    from traitrl.preflight import check_study

    cfg = StudyConfig(model=str(tiny_model_dir()), rewards=[{"name": "task_reward"}, {"name": "trait_rewardd"}])
    with pytest.raises(ConfigError, match="Unknown grader 'trait_rewardd'"):
        check_study(cfg)
