"""The judge client against a scripted local OpenAI-compatible server: retries, strict parsing, cache."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from traitrl._util.errors import ConfigError, JudgeError
from traitrl._util.judge import JudgeClient, JudgeConfig, assert_distinct_judges, parse_score

MESSAGES = [{"role": "user", "content": "Grade this reply."}]


class FakeJudge:
    """Answers each chat-completions request with the next scripted action: ("reply", text), ("status", code) or
    ("sleep", seconds, text); once the script is used up it replies "SCORE: 7"."""

    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    action = fake.script.pop(0) if fake.script else ("reply", "Fine.\nSCORE: 7")
                if action[0] == "status":
                    self.send_response(action[1])
                    self.end_headers()
                    self.wfile.write(b"busy")
                    return
                if action[0] == "sleep":
                    time.sleep(action[1])
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": action[-1]}}]})
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except BrokenPipeError:
                    pass  # the client timed out and hung up first, as the timeout test intends

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def fake_judge() -> Iterator[FakeJudge]:
    fake = FakeJudge()
    thread = threading.Thread(target=fake.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


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


def test_client_error_status_raises_judge_error(fake_judge):
    fake_judge.script = [("status", 401)]
    with pytest.raises(JudgeError, match="HTTP 401"):
        JudgeClient(config(fake_judge)).score_many_sync([MESSAGES])


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
