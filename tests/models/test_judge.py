"""The judge client against a scripted local OpenAI-compatible server: retries, strict parsing, cache."""

from __future__ import annotations

import time

import pytest
from fake_endpoint import FakeJudge, fake_judge  # noqa: F401  (fixture)

from traitrl._util.errors import ConfigError, JudgeError
from traitrl.models.judge import JudgeClient, JudgeConfig, assert_distinct_judges, parse_score

MESSAGES = [{"role": "user", "content": "Grade this reply."}]


def config(fake: FakeJudge, **kwargs: object) -> JudgeConfig:
    base = {"base_url": fake.url, "model": "fake-judge", "api_key_env": None, "timeout_s": 0.5, "max_retries": 2,
            "backoff_s": 0.01}
    return JudgeConfig(**(base | kwargs))


def test_success_parses_score_line_and_sends_openai_body(fake_judge):
    [result] = JudgeClient(config(fake_judge)).score_many_sync([MESSAGES])
    assert result.score == pytest.approx(0.7) and result.error is None and result.attempts == 1
    request = fake_judge.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "fake-judge" and request["body"]["messages"] == MESSAGES


def test_timeout_is_retried(fake_judge):
    fake_judge.script = [("sleep", 1.5, "SCORE: 9")]
    [result] = JudgeClient(config(fake_judge)).score_many_sync([MESSAGES])
    assert result.score == pytest.approx(0.7) and result.attempts == 2


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_retried(fake_judge, status):
    fake_judge.script = [("status", status), ("reply", '{"score": 4}')]
    client = JudgeClient(config(fake_judge))
    [result] = client.score_many_sync([MESSAGES])
    assert result.score == pytest.approx(0.4) and result.attempts == 2 and client.n_requests == 2


def test_garbage_reply_is_retried_then_an_error_not_a_zero(fake_judge):
    fake_judge.script = [("reply", "I think it is pretty good!")] * 3
    client = JudgeClient(config(fake_judge))
    [result] = client.score_many_sync([MESSAGES])
    assert result.score is None and "SCORE" in result.error and result.attempts == 3 and client.n_requests == 3


def test_cache_hit_sends_no_second_request(fake_judge, tmp_path):
    cfg = config(fake_judge, cache_dir=tmp_path)
    first = JudgeClient(cfg).score_many_sync([MESSAGES])[0]
    client = JudgeClient(cfg)
    second = client.score_many_sync([MESSAGES])[0]
    assert (first.score, second.score, second.cached) == (pytest.approx(0.7), pytest.approx(0.7), True)
    assert client.n_requests == 0 and len(fake_judge.requests) == 1
    # A different model is a different judge: no cache hit.
    JudgeClient(config(fake_judge, cache_dir=tmp_path, model="other")).score_many_sync([MESSAGES])
    assert len(fake_judge.requests) == 2


def test_client_error_status_fails_that_item_not_the_batch(fake_judge):
    fake_judge.script = [("status", 400)]
    client = JudgeClient(config(fake_judge, max_concurrency=1))
    results = client.score_many_sync([MESSAGES] * 3)
    assert results[0].score is None and "HTTP 400" in results[0].error
    assert [r.score for r in results[1:]] == pytest.approx([0.7, 0.7])
    assert client.n_requests == 3 and (client.n_items, client.n_failed) == (3, 1)  # a 400 is not retried


def test_slow_drip_reply_is_cut_at_the_total_timeout(fake_judge):
    # 0.1 s per byte: each read is fast, but the whole body would take several seconds.
    fake_judge.script = [("drip", 0.1, "SCORE: 9")]
    started = time.perf_counter()
    [result] = JudgeClient(config(fake_judge, timeout_s=0.5, max_retries=0)).score_many_sync([MESSAGES])
    assert result.score is None and "timeout_s" in result.error
    assert time.perf_counter() - started < 2.0


def test_deadline_bounds_an_item_over_all_its_retries(fake_judge):
    fake_judge.script = [("sleep", 0.4, "SCORE: 1")] * 5
    started = time.perf_counter()
    [result] = JudgeClient(config(fake_judge, timeout_s=0.3, max_retries=4, deadline_s=0.8)).score_many_sync(
        [MESSAGES])
    assert result.score is None and "deadline_s" in result.error
    assert time.perf_counter() - started < 1.5


def test_error_rate_above_the_limit_aborts():
    # Nothing listens on port 9: every item fails. Under the limit (1 of 40) the batch comes back; above it, abort.
    dead = JudgeConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key_env=None, max_retries=0, timeout_s=0.5)
    with pytest.raises(JudgeError, match="max_error_rate=0.05"):
        JudgeClient(dead).score_many_sync([MESSAGES] * 4)
    lenient = JudgeClient(dead.model_copy(update={"max_error_rate": 1.0}))
    assert [r.score for r in lenient.score_many_sync([MESSAGES] * 4)] == [None] * 4


def test_judge_client_is_shared_per_spec_and_counts_errors():
    from traitrl.models.judge import judge_client, judge_error_counts

    cfg = JudgeConfig(base_url="http://127.0.0.1:9/v1", model="counted", api_key_env=None, max_retries=0,
                      timeout_s=0.5, max_error_rate=1.0)
    before = judge_error_counts()
    assert judge_client(cfg) is judge_client(cfg.model_copy())
    judge_client(cfg).score_many_sync([MESSAGES] * 2)
    after = judge_error_counts()
    assert after["judge_items"] - before["judge_items"] == 2 and after["judge_errors"] - before["judge_errors"] == 2


def test_batch_keeps_order_under_concurrency(fake_judge):
    fake_judge.script = [("reply", f"SCORE: {i}") for i in range(5)]
    results = JudgeClient(config(fake_judge, max_concurrency=1)).score_many_sync([MESSAGES] * 5)
    assert [r.score for r in results] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])


def test_missing_api_key_env_is_a_config_error(monkeypatch, fake_judge):
    monkeypatch.delenv("TRAITRL_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="TRAITRL_TEST_KEY"):
        JudgeClient(config(fake_judge, api_key_env="TRAITRL_TEST_KEY")).score_many_sync([MESSAGES])


@pytest.mark.parametrize("reply, expected", [("ok\nSCORE: 8", 0.8), ("**SCORE:** 10", 1.0), ('{"score": 3}', 0.3),
                                             ('```json\n{"score": 5.5}\n```', 0.55)])
def test_parse_score_accepts_strict_forms(reply, expected):
    assert parse_score(reply) == pytest.approx(expected)


@pytest.mark.parametrize("reply", ["SCORE: 8\nbut really 3", "score is 8", "SCORE: 11", '{"score": "8"}', ""])
def test_parse_score_rejects_everything_else(reply):
    with pytest.raises(JudgeError):
        parse_score(reply)


def test_training_and_evaluation_judges_must_differ():
    train = JudgeConfig(base_url="http://a/v1", model="Qwen2.5-7B")
    assert_distinct_judges(train, JudgeConfig(base_url="http://a/v1", model="llama-3-70b"))
    assert_distinct_judges(train, None)
    with pytest.raises(ConfigError, match="same model"):
        assert_distinct_judges(train, JudgeConfig(base_url="http://b/v1", model="qwen2.5-7b", temperature=0.5))


def test_trait_reward_uses_the_judge_and_counts_failed_rows(fake_judge):
    from helpers import honesty_scenario

    from traitrl.rewards import trait_reward

    # One request at a time, so row 0 gets the first reply and row 1 the three garbage ones.
    fake_judge.script = [("reply", "SCORE: 2"), *[("reply", "no score here")] * 3]
    grade = trait_reward(judge=config(fake_judge, max_concurrency=1).model_dump(mode="json"), use_embedding=False)
    scenario = honesty_scenario().model_dump_json()
    out = grade(["p"] * 3, ["Yes, at sea level it is 100 degrees Celsius.", "Yes: water boils at 100 degrees.", "42"],
                source=["trait", "trait", "task"], trait=["honesty", "honesty", ""], scenario=[scenario] * 2 + [""])
    assert out == [pytest.approx(0.7 * 0.2 + 0.3 * 1.0), pytest.approx(1.0), None]  # judge-first: 0.7 judge
    assert grade.n_judge_errors == 1 and len(fake_judge.requests) == 4
    prompt = fake_judge.requests[0]["body"]["messages"][1]["content"]
    assert "Keeps the correct answer" in prompt and "Yes, at sea level it is 100 degrees Celsius." in prompt and "(-1)" in prompt


def test_training_logs_carry_judge_error_counts():
    from types import SimpleNamespace

    from traitrl.models.judge import judge_client
    from traitrl.train.grpo import judge_error_callback

    cfg = JudgeConfig(base_url="http://127.0.0.1:9/v1", model="logged", api_key_env=None, max_retries=0,
                      timeout_s=0.5, max_error_rate=1.0)
    judge_client(cfg).score_many_sync([MESSAGES])
    state = SimpleNamespace(log_history=[{"loss": 1.0, "step": 1}])
    judge_error_callback().on_log(None, state, None, logs={"loss": 1.0})
    assert state.log_history[-1]["judge_errors"] >= 1 and state.log_history[-1]["loss"] == 1.0
