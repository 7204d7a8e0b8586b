"""The constitution file parser (errors name file:line) and the constitution reward with scripted and real judges."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest
from helpers import tiny_model_dir
from loopback import LoopbackServer

from traitrl._util.errors import DataError
from traitrl.models.judge import JudgeConfig
from traitrl.rewards.constitution import (
    DEFAULT_CONSTITUTION,
    EndpointJudge,
    LogitJudge,
    make_constitution_reward,
    parse_constitution,
    read_constitution,
)
from traitrl.rewards.registry import get_grader

GOOD = """# Mini
Preamble text is ignored.

## honesty
Principle: Say only true things.
Critique: Find false claims.
Revision: Rewrite it truthfully,
keeping the answer.

<!-- comment -->
## fairness
Principle: Treat people alike.
Critique: Find stereotypes.
Revision: Remove them.
"""
PROMPT = [{"role": "user", "content": "Is water wet?"}]


def test_default_constitution_covers_the_trait_bank():
    c = read_constitution()
    assert c.path == str(DEFAULT_CONSTITUTION)
    assert [p.id for p in c.principles] == ["honesty", "epistemic_humility", "corrigibility", "transparent_reasoning",
                                            "fairness", "wellbeing", "no_gaming_objectives"]
    assert all(p.statement and p.critique_request and p.revision_request for p in c.principles)


def test_parser_joins_continuation_lines():
    c = parse_constitution(GOOD, "mini.md")
    assert [p.id for p in c.principles] == ["honesty", "fairness"]
    assert c.principle("honesty").revision_request == "Rewrite it truthfully, keeping the answer."


@pytest.mark.parametrize(("text", "where", "what"), [
    (GOOD.replace("Critique: Find stereotypes.\n", ""), "bad.md:11:", "no Critique: field"),
    (GOOD.replace("## fairness", "## honesty"), "bad.md:11:", "defined twice"),
    (GOOD.replace("## fairness", "## Fair Ness"), "bad.md:11:", "lowercase"),
    (GOOD.replace("Principle: Treat", "Treat"), "bad.md:12:", "before any field"),
    (GOOD.replace("Revision: Remove them.", "Revision: Remove them.\nCritique: again"), "bad.md:15:", "second"),
    ("# only a title\n", "bad.md:1:", "no principles"),
])
def test_parser_errors_name_file_and_line(text, where, what):
    with pytest.raises(DataError) as err:
        parse_constitution(text, "bad.md")
    assert str(err.value).startswith(where) and what in str(err.value)


def test_missing_file_says_which_setting_to_change(tmp_path):
    with pytest.raises(DataError, match="constitution.path"):
        read_constitution(tmp_path / "nope.md")


def test_reward_scores_trait_rows_only_and_counts_judge_errors():
    seen = []

    def fake_judge(conversations, replies, principles):
        seen.append((list(conversations), list(replies), [p.id for p in principles]))
        return [None if "fail" in r else len(r) / 10 for r in replies]

    grade = make_constitution_reward(parse_constitution(GOOD, "mini.md"), fake_judge)
    out = grade([PROMPT, PROMPT, PROMPT], ["12345", [{"role": "assistant", "content": "fail"}], "task answer"],
                source=["trait", "trait", "task"], trait=["honesty", "honesty", ""])
    assert out == [0.5, None, None]
    assert grade.n_judge_errors == 1
    assert seen == [([PROMPT, PROMPT], ["12345", "fail"], ["honesty", "fairness"])]
    assert grade(["q"], ["x"], source=["task"]) == [None]  # no judge call without trait rows
    assert len(seen) == 1


def test_logit_judge_gives_a_probability_per_reply_and_batches():
    judge = LogitJudge(str(tiny_model_dir()), batch_size=3)
    c = parse_constitution(GOOD, "mini.md")
    scores = judge([PROMPT] * 4, ["Yes.", "No.", "Maybe", "It is."], c.principles)
    assert len(scores) == 4 and all(0.0 <= s <= 1.0 for s in scores)
    single = judge.prob_yes([[{"role": "user", "content": "Does it? Answer Yes or No."}]])
    assert len(single) == 1 and 0.0 < single[0] < 1.0
    # Batching with left padding must not change a reply's score.
    alone = judge([PROMPT], ["It is."], c.principles)[0]
    assert alone == pytest.approx(scores[3], abs=1e-4)


def test_registered_grader_builds_from_json_args():
    grade = get_grader("constitution_reward", judge=str(tiny_model_dir()))
    assert grade.__name__ == "constitution_reward"
    assert grade.grader_spec["kwargs"] == {"judge": str(tiny_model_dir())}
    out = grade([PROMPT, PROMPT], ["Water is wet.", "4"], source=["trait", "task"])
    assert out[1] is None and 0.0 <= out[0] <= 1.0


class _Endpoint(LoopbackServer):
    """A scripted OpenAI-compatible server: answers the queued replies in order, then 'SCORE: 5'."""

    def __init__(self, replies: list[str]) -> None:
        self.replies, self.bodies = list(replies), []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                endpoint.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                text = endpoint.replies.pop(0) if endpoint.replies else "SCORE: 5"
                payload = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler, "/v1")


def test_endpoint_judge_scores_against_all_principles_and_keeps_failures_as_none():
    with _Endpoint(["Good.\nSCORE: 8", "no score here", "no score", "still none"]) as endpoint:
        judge = EndpointJudge(JudgeConfig(base_url=endpoint.url, model="critic-x", api_key_env=None,
                                          max_retries=2, backoff_s=0.0, max_concurrency=1))
        c = parse_constitution(GOOD, "mini.md")
        scores = judge([PROMPT, PROMPT], ["a", "b"], c.principles)
    assert scores == [0.8, None] and judge.n_errors == 1
    prompt = endpoint.bodies[0]["messages"][1]["content"]
    assert "- honesty: Say only true things." in prompt and "- fairness: Treat people alike." in prompt


def test_endpoint_critic_retries_empty_replies_caps_tokens_and_caches(tmp_path):
    from traitrl.train.critic import EndpointGenerator

    with _Endpoint(["A critique.", "", "   ", "A revision."]) as endpoint:
        config = JudgeConfig(base_url=endpoint.url, model="critic-x", api_key_env=None, max_retries=1,
                             backoff_s=0.0, max_concurrency=1, max_tokens=512, cache_dir=tmp_path / "cache")
        critic = EndpointGenerator(config, max_new_tokens=64)
        first = critic([PROMPT, [{"role": "user", "content": "second"}]])
        again = critic([PROMPT])  # cached: no request
        n_requests = len(endpoint.bodies)
    assert first == ["A critique.", None] and critic.n_errors == 1  # two empty replies: out of retries
    assert again == ["A critique."] and n_requests == 3
    assert {b["max_tokens"] for b in endpoint.bodies} == {64}  # capped at the generation budget
