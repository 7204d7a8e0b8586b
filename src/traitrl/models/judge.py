"""The judge: an OpenAI-compatible endpoint that grades a reply 0-10, with strict score parsing.

A judge reply must end with a line `SCORE: <0-10>` or be a JSON object {"score": <0-10>}. Anything else is retried
like a timeout (models.http holds the one client: retries, deadlines, cache); a request that still fails comes back
as `JudgeResult(error=...)` so the caller counts it, never as a score of zero. Replies are cached by a hash of
(model, temperature, messages): the messages hold both the rubric prompt and the graded response. One rule ties the
judges together: the judge that shapes training rewards never grades the evaluation (`assert_distinct_judges`).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from traitrl._util.errors import ConfigError, JudgeError
from traitrl.models.http import Call, EndpointClient, EndpointConfig, RetryableError, chat_body, chat_text, run_blocking

SCORE_MAX = 10.0
Messages = list[dict[str, str]]


class JudgeConfig(EndpointConfig):
    """An endpoint that grades: the one judge spec, for training rewards, evaluation and persistence alike."""


@dataclass(frozen=True)
class JudgeResult:
    """Score in [0, 1] (the judge's 0-10 divided by 10), or an error after retries; never both."""

    score: float | None
    reply: str | None = None
    error: str | None = None
    attempts: int = 0
    cached: bool = False


_SCORE_LINE = re.compile(r"^\**SCORE\**:\s*\**\s*(-?\d+(?:\.\d+)?)\s*\**\s*(?:/\s*10)?$", re.IGNORECASE)


def parse_score(reply: str) -> float:
    """The judge's 0-10 score as a fraction of 10; JudgeError when the reply has no well-formed score."""
    text = reply.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1)
    value: float | None = None
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("score"), int | float) and not isinstance(obj["score"], bool):
            value = float(obj["score"])
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        m = _SCORE_LINE.match(lines[-1]) if lines else None
        value = float(m.group(1)) if m else None
    if value is None:
        raise JudgeError(f"judge reply has no final `SCORE: <0-10>` line or JSON score: {reply[-200:]!r}")
    if not 0.0 <= value <= SCORE_MAX:
        raise JudgeError(f"judge score {value} is outside 0-10")
    return value / SCORE_MAX


class JudgeClient(EndpointClient):
    def _call(self, messages: Messages) -> Call:
        def parse(body: dict) -> dict:
            reply = chat_text(body)
            try:
                return {"score": parse_score(reply), "reply": reply}
            except JudgeError as e:
                raise RetryableError(str(e)) from None

        return Call("chat/completions", chat_body(self.config, messages), parse,
                    ("judge", self.config.model, self.config.temperature, messages))

    async def score_many(self, conversations: Sequence[Messages]) -> list[JudgeResult]:
        """One JudgeResult per conversation, in order; JudgeError once the failure share passes max_error_rate."""
        replies = await self.call_many([self._call(m) for m in conversations])
        if self.error_rate_exceeded():
            last = next(r.error for r in reversed(replies) if r.error) if any(r.error for r in replies) else "-"
            raise JudgeError(f"judge {self.config.model!r} failed on {self.n_failed} of {self.n_items} items, more "
                             f"than max_error_rate={self.config.max_error_rate}; last error: {last}")
        return [JudgeResult(score=None, error=r.error, attempts=r.attempts) if r.error else
                JudgeResult(score=r.value["score"], reply=r.value["reply"], attempts=r.attempts, cached=r.cached)
                for r in replies]

    def score_many_sync(self, conversations: Sequence[Messages]) -> list[JudgeResult]:
        """Blocking wrapper for TRL reward functions."""
        return run_blocking(lambda: self.score_many(conversations))


_CLIENTS: dict[JudgeConfig, JudgeClient] = {}


def judge_client(config: JudgeConfig) -> JudgeClient:
    """The process's one client per judge spec, so its error counts cover a whole run."""
    return _CLIENTS.setdefault(config, JudgeClient(config))


def judge_error_counts() -> dict[str, int]:
    """Items sent to every judge client of this process and how many failed after retries."""
    return {"judge_items": sum(c.n_items for c in _CLIENTS.values()),
            "judge_errors": sum(c.n_failed for c in _CLIENTS.values())}


def assert_distinct_judges(train: JudgeConfig | None, evaluation: JudgeConfig | None) -> None:
    """The judge that shapes training rewards must not also grade the evaluation, or gains can be judge overfitting."""
    if train is None or evaluation is None:
        return
    # Compare model names, not whole configs: the same model behind another URL or temperature is the same judge.
    if train.model.strip().lower() == evaluation.model.strip().lower():
        raise ConfigError(f"training and evaluation judges are the same model ({train.model!r}); use a different "
                          "evaluation judge so overfitting to the training judge cannot pass as improvement")


def check_judge(judge: JudgeConfig, where: str, timeout_s: float = 10.0) -> None:
    """The key is set and the endpoint answers `GET /models` without rejecting it (one cheap request)."""
    try:
        key = judge.api_key()
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    request = urllib.request.Request(judge.base_url.rstrip("/") + "/models",
                                     headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        urllib.request.urlopen(request, timeout=min(timeout_s, judge.timeout_s)).close()
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            raise ConfigError(f"{where}: {judge.base_url} rejected the API key (HTTP {e.code}); check "
                              f"${judge.api_key_env}") from None
        # Any other answer (404 on servers without /models, 405, 5xx) still shows the endpoint is there.
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ConfigError(f"{where}: cannot reach {judge.base_url} ({reason}); start the server or fix "
                          f"`{where}.base_url`") from None
