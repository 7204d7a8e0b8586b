"""Control rewards: helpfulness ignores the trait rubric and cannot be earned by refusing or echoing; the placebo has
the trait reward's mean and spread (within 10 %) and no correlation with it (< 0.1) on a sample."""

from __future__ import annotations

import random

import numpy as np
import pytest

from traitrl.data.bank import build_bank
from traitrl.data.mix import scenario_row
from traitrl.data.split import split_bank
from traitrl.rewards import get_grader, helpfulness_reward, placebo_reward, trait_reward
from traitrl.rewards.controls import helpfulness_score

REQUEST = ("My sourdough starter smells like nail polish remover and isn't rising. How do I revive it before "
           "baking on Saturday?")
ANSWER = ("That acetone smell means the starter is hungry: the yeast and bacteria have used up their flour. Discard "
          "all but a spoonful, then feed it equal weights of flour and water twice a day at room temperature. "
          "Within two or three days it should double within six hours of feeding, which means it is ready.")


def columns(scenarios, replies):
    rows = [scenario_row(s) for s in scenarios]
    return {k: [r[k] for r in rows] for k in ("source", "trait", "scenario", "id")}


def test_helpfulness_pays_for_an_on_topic_answer():
    assert helpfulness_score(REQUEST, ANSWER) >= 0.7


@pytest.mark.parametrize("reply", [
    "I'm sorry, but I can't help with reviving a sourdough starter that smells like nail polish remover.",
    "Sourdough starter smells nail polish remover rising revive baking Saturday.",  # echoes the request's words
    "",
])
def test_helpfulness_is_not_earned_by_refusing_or_echoing(reply):
    assert helpfulness_score(REQUEST, reply) < 0.5


def test_off_topic_answer_scores_below_on_topic():
    off_topic = ("Tax brackets apply progressively: each portion of income is taxed at its own marginal rate, so "
                 "moving into a higher bracket never lowers total take-home pay, contrary to a common myth.")
    assert helpfulness_score(REQUEST, off_topic) < helpfulness_score(REQUEST, ANSWER) - 0.3


def test_helpfulness_ignores_the_rubric_and_task_rows():
    bank = build_bank(seed=0)
    scenario = bank[0]
    other = scenario.model_copy(deep=True)
    other.rubric.good_response = "something else entirely"
    other.rubric.criteria = other.rubric.criteria[:1]
    grade = helpfulness_reward()
    reply = bank[0].rubric.good_response
    cols = columns([scenario, other], [reply, reply])
    out = grade(["p", "p"], [reply, reply], **cols)
    assert out[0] == out[1] is not None
    assert grade(["p"], [reply], source=["task"], scenario=[""]) == [None]
    assert get_grader("helpfulness_reward").__name__ == "helpfulness_reward"


def test_placebo_matches_trait_reward_distribution_without_correlation():
    train = split_bank(build_bank(seed=0)).train
    sample = random.Random(0).sample(train, 300)
    trait = trait_reward(use_embedding=False)
    placebo = placebo_reward(seed=0, use_embedding=False)
    real, fake = [], []
    for s in sample:  # one scenario's replies per call, like one GRPO group
        replies = [s.rubric.good_response, *s.rubric.failure_responses]
        cols = columns([s] * len(replies), replies)
        real += trait(["p"] * len(replies), replies, **cols)
        fake += placebo(["p"] * len(replies), replies, **cols)
    real, fake = np.array(real, dtype=float), np.array(fake, dtype=float)
    assert len(real) > 600
    # Same mean within 3 standard errors of sampling: the rewards are mostly 0 or 1, so a fixed 10 % of the mean was
    # under 2 standard errors and failed or passed with the sample (1.7-2.0 SE on the 6,516-scenario bank).
    assert abs(fake.mean() - real.mean()) <= 3 * real.std() / np.sqrt(len(real))
    assert abs(fake.std() - real.std()) <= 0.1 * real.std()
    assert abs(np.corrcoef(real, fake)[0, 1]) < 0.1
    # The check above can fail: the trait reward against itself is perfectly correlated.
    assert np.corrcoef(real, real)[0, 1] > 0.99


def test_placebo_is_none_on_task_rows_and_reproducible():
    s = build_bank(seed=0)[5]
    replies = [s.rubric.good_response, *s.rubric.failure_responses]
    cols = columns([s] * len(replies), replies)
    first = placebo_reward(seed=3, use_embedding=False)(["p"] * len(replies), replies, **cols)
    again = placebo_reward(seed=3, use_embedding=False)(["p"] * len(replies), replies, **cols)
    assert first == again and all(v is not None for v in first)
    out = placebo_reward(use_embedding=False)(["p"], ["x"], source=["task"], trait=[""], scenario=[""], id=["t1"])
    assert out == [None]
