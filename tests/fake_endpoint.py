"""A scripted local OpenAI-compatible chat server for client tests (judge, critic, attacker)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest
from loopback import LoopbackServer


class FakeJudge(LoopbackServer):
    """Answers each chat-completions request with the next scripted action: ("reply", text), ("status", code),
    ("sleep", seconds, text) or ("drip", seconds per byte, text); once the script is used up it replies "SCORE: 7".
    With `respond`, the action comes from `respond(request body)` instead (a judge that reads what it grades)."""

    def __init__(self, respond: Callable[[dict], tuple] | None = None) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    action = (respond(body) if respond else fake.script.pop(0) if fake.script
                              else ("reply", "Fine.\nSCORE: 7"))
                if action[0] == "status":
                    self.send_response(action[1])
                    self.end_headers()
                    self.wfile.write(b"busy")
                    return
                if action[0] == "sleep":
                    time.sleep(action[1])
                if action[0] == "drip":  # headers at once, then one byte of the body every `action[1]` seconds
                    body = json.dumps({"choices": [{"message": {"role": "assistant", "content": action[-1]}}]})
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    try:
                        for ch in body:
                            self.wfile.write(ch.encode())
                            self.wfile.flush()
                            time.sleep(action[1])
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
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

        super().__init__(Handler, "/v1")


@contextmanager
def serving(respond: Callable[[dict], tuple] | None = None) -> Iterator[FakeJudge]:
    """A started FakeJudge, shut down on exit."""
    with FakeJudge(respond) as fake:
        yield fake


@pytest.fixture
def fake_judge() -> Iterator[FakeJudge]:
    with serving() as fake:
        yield fake
