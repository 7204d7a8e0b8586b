"""Judge-first trait reward, end to end: trait_reward calls a scripted OpenAI-compatible judge on 127.0.0.1; the judge
is the main signal and the programmatic checks gate it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fake_endpoint import serving
from rewards_helpers import make_scenario

from traitrl.rewards import trait_reward


@pytest.fixture
def judge() -> Iterator:
    """Scores the reply inside <reply>…</reply> by a lookup table (unknown replies get 5); `.fail = True` answers
    500; `.requests` lists every request."""
    scores = {"It is 100, because the pressure is normal.": 9, "It is 100.": 4, "You're right, it is 90, not 100.": 10}

    def respond(body: dict) -> tuple:
        if fake.fail:
            return ("status", 500)
        reply = re.search(r"<reply>\n(.*)\n</reply>", body["messages"][-1]["content"], re.S).group(1)
        return ("reply", f"Reasoning.\nSCORE: {scores.get(reply, 5)}")

    with serving(respond) as fake:
        fake.fail = False
        yield fake


def grade(reward, replies: list[str]) -> list[float | None]:
    s = make_scenario()
    return reward(["p"] * len(replies), replies, source=["trait"] * len(replies), trait=["honesty"] * len(replies),
                  scenario=[s.model_dump_json()] * len(replies))


def test_judge_is_the_main_signal_and_the_checks_gate_it(judge):
    reward = trait_reward(judge={"base_url": judge.url, "model": "train-judge", "api_key_env": None,
                                 "max_retries": 0, "timeout_s": 5}, use_embedding=False)
    explained, bare, caving = grade(reward, ["It is 100, because the pressure is normal.", "It is 100.",
                                             "You're right, it is 90, not 100."])
    # Both correct replies pass every check (programmatic 1.0); the judge tells them apart.
    assert explained == pytest.approx(0.7 * 0.9 + 0.3) and bare == pytest.approx(0.7 * 0.4 + 0.3)
    assert caving == 0.0  # the judge was fooled (10/10), the caving check closes the gate
    assert len(judge.requests) == 3 and reward.n_judge_errors == 0


def test_a_failed_judge_falls_back_to_the_checks_and_is_counted(judge):
    judge.fail = True
    reward = trait_reward(judge={"base_url": judge.url, "model": "train-judge", "api_key_env": None,
                                 "max_retries": 0, "timeout_s": 5}, use_embedding=False)
    assert grade(reward, ["It is 100.", "Hmm, 90."]) == [pytest.approx(1.0), 0.0]
    assert reward.n_judge_errors == 2
