"""Judge-first trait reward, end to end: trait_reward calls a scripted OpenAI-compatible judge on 127.0.0.1; the judge
is the main signal and the programmatic checks gate it."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rewards_helpers import make_scenario

from traitrl.rewards import trait_reward


class ContentJudge:
    """Scores the reply inside <reply>…</reply> by a lookup table (unknown replies get 5); `fail` answers 500."""

    def __init__(self, scores: dict[str, int]) -> None:
        self.scores, self.fail, self.n_requests = scores, False, 0
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                judge.n_requests += 1
                if judge.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                reply = re.search(r"<reply>\n(.*)\n</reply>", body["messages"][-1]["content"], re.S).group(1)
                text = f"Reasoning.\nSCORE: {judge.scores.get(reply, 5)}"
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def judge() -> Iterator[ContentJudge]:
    fake = ContentJudge({"It is 100, because the pressure is normal.": 9, "It is 100.": 4,
                         "You're right, it is 90, not 100.": 10})
    thread = threading.Thread(target=fake.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


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
    assert judge.n_requests == 3 and reward.n_judge_errors == 0


def test_a_failed_judge_falls_back_to_the_checks_and_is_counted(judge):
    judge.fail = True
    reward = trait_reward(judge={"base_url": judge.url, "model": "train-judge", "api_key_env": None,
                                 "max_retries": 0, "timeout_s": 5}, use_embedding=False)
    assert grade(reward, ["It is 100.", "Hmm, 90."]) == [pytest.approx(1.0), 0.0]
    assert reward.n_judge_errors == 2
