"""OpenAI-compatible judge client: async and batched, disk-cached, retried, with strict score parsing.

A judge reply must end with a line `SCORE: <0-10>` or be a JSON object {"score": <0-10>}. Anything else is retried
like a timeout; a request that still fails after `max_retries` retries comes back as `JudgeResult(error=...)` so the
caller counts it, never as a score of zero. Replies are cached by a hash of (model, temperature, messages): the
messages hold both the rubric prompt and the graded response.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from traitrl._util.errors import ConfigError, JudgeError
from traitrl._util.io import read_json, stable_hash, write_json_atomic

T = TypeVar("T")
SCORE_MAX = 10.0
Messages = list[dict[str, str]]


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str = Field(description="OpenAI-compatible API root, e.g. http://localhost:8000/v1 (…/chat/completions "
                                      "is appended).")
    model: str = Field(min_length=1, description="Model name sent in each request; part of the cache key.")
    api_key_env: str | None = Field("OPENAI_API_KEY", description="Env var holding the API key; None sends no key.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature; part of the cache key.")
    max_tokens: int = Field(512, gt=0, description="Reply length cap; room for a short rationale and the score.")
    max_concurrency: int = Field(8, gt=0, description="Requests in flight at once.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(4, ge=0, description="Retries after timeouts, 429, 5xx, connection errors, bad replies.")
    backoff_s: float = Field(1.0, ge=0, description="First retry delay; doubles each retry.")
    cache_dir: Path | None = Field(None, description="Folder for cached replies; None disables the cache.")

    def api_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ConfigError(f"judge api_key_env: environment variable {self.api_key_env} is not set "
                              "(set it, or set api_key_env: null for a local endpoint without keys)")
        return key


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


class RetryableError(Exception):
    """A failure worth another attempt (timeout, 429, 5xx, connection error, malformed, empty or unparsable reply)."""


async def post_chat(http: httpx.AsyncClient, config: JudgeConfig, messages: Messages) -> str:
    """One chat-completions request; the reply text, RetryableError for transient failures, JudgeError otherwise."""
    body = {"model": config.model, "messages": messages, "temperature": config.temperature,
            "max_tokens": config.max_tokens}
    try:
        resp = await http.post("chat/completions", json=body)
    except (httpx.TimeoutException, httpx.TransportError) as e:
        raise RetryableError(f"{type(e).__name__}: {e}") from None
    if resp.status_code == 429 or resp.status_code >= 500:
        raise RetryableError(f"HTTP {resp.status_code}: {resp.text[:200]}")
    if resp.status_code >= 400:
        raise JudgeError(f"endpoint {config.base_url} answered HTTP {resp.status_code}: {resp.text[:200]} "
                         "(check base_url, model and the API key)")
    try:
        text = resp.json()["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        raise RetryableError(f"malformed chat completion body: {resp.text[:200]!r}") from None
    if not text.strip():
        raise RetryableError("empty reply")
    return text


async def with_retries(config: JudgeConfig, attempt_once: Callable[[], Awaitable[T]]) -> tuple[T | None, list[str]]:
    """Call `attempt_once` up to 1 + max_retries times with doubling backoff; (result or None, errors seen)."""
    errors: list[str] = []
    for attempt in range(config.max_retries + 1):
        if attempt:
            await asyncio.sleep(config.backoff_s * 2 ** (attempt - 1))
        try:
            return await attempt_once(), errors
        except RetryableError as e:
            errors.append(str(e))
    return None, errors


def endpoint_client(config: JudgeConfig) -> httpx.AsyncClient:
    key = config.api_key()
    return httpx.AsyncClient(base_url=config.base_url.rstrip("/") + "/",
                             headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=config.timeout_s)


def run_blocking(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code (TRL reward functions), in a worker thread if a loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


class JudgeClient:
    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self.n_requests = 0  # HTTP requests actually sent, for tests and cost accounting

    def _cache_path(self, messages: Messages) -> Path | None:
        if self.config.cache_dir is None:
            return None
        key = stable_hash(self.config.model, self.config.temperature, messages, length=32)
        return Path(self.config.cache_dir) / key[:2] / f"{key}.json"

    async def _score_one(self, http: httpx.AsyncClient, gate: asyncio.Semaphore, messages: Messages) -> JudgeResult:
        path = self._cache_path(messages)
        if path is not None and path.is_file():
            hit = read_json(path)
            return JudgeResult(score=hit["score"], reply=hit["reply"], attempts=0, cached=True)

        async def attempt() -> tuple[float, str]:
            async with gate:
                self.n_requests += 1
                reply = await post_chat(http, self.config, messages)
            try:
                return parse_score(reply), reply
            except JudgeError as e:
                raise RetryableError(str(e)) from None

        result, errors = await with_retries(self.config, attempt)
        if result is None:
            return JudgeResult(score=None, error=f"failed after {len(errors)} attempts; last: {errors[-1]}",
                               attempts=len(errors))
        score, reply = result
        if path is not None:
            write_json_atomic(path, {"model": self.config.model, "score": score, "reply": reply})
        return JudgeResult(score=score, reply=reply, attempts=len(errors) + 1)

    async def score_many(self, conversations: Sequence[Messages]) -> list[JudgeResult]:
        """One JudgeResult per conversation, in order; at most `max_concurrency` requests in flight."""
        gate = asyncio.Semaphore(self.config.max_concurrency)
        async with endpoint_client(self.config) as http:
            return list(await asyncio.gather(*(self._score_one(http, gate, m) for m in conversations)))

    def score_many_sync(self, conversations: Sequence[Messages]) -> list[JudgeResult]:
        """Blocking wrapper for TRL reward functions."""
        return run_blocking(lambda: self.score_many(conversations))


def assert_distinct_judges(train: JudgeConfig | None, evaluation: JudgeConfig | None) -> None:
    """The judge that shapes training rewards must not also grade the evaluation, or gains can be judge overfitting."""
    if train is None or evaluation is None:
        return
    # Compare model names, not whole configs: the same model behind another URL or temperature is the same judge.
    if train.model.strip().lower() == evaluation.model.strip().lower():
        raise ConfigError(f"training and evaluation judges are the same model ({train.model!r}); use a different "
                          "evaluation judge so overfitting to the training judge cannot pass as improvement")
