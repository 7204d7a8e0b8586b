"""Raw-text chat completions from an OpenAI-compatible endpoint (the constitution arm's remote critic).

Reuses `JudgeConfig` (endpoint, model, key, timeouts, retries, cache) and the judge client's retry policy: timeouts,
429, 5xx, connection errors and malformed or empty replies are retried with doubling backoff; other 4xx fail at once
with JudgeError; a request still failing after `max_retries` comes back as `ChatResult(error=...)`. Cache keys carry
a "chat" tag, so a judge and a critic sharing a cache folder never read each other's entries.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from traitrl._util.errors import JudgeError
from traitrl._util.io import read_json, stable_hash, write_json_atomic
from traitrl._util.judge import JudgeConfig, Messages

T = TypeVar("T")


class RetryableError(Exception):
    """A failure worth another attempt (timeout, 429, 5xx, connection error, malformed or empty reply)."""


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    error: str | None = None
    attempts: int = 0
    cached: bool = False


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


class ChatClient:
    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self.n_requests = 0

    def _cache_path(self, messages: Messages) -> Path | None:
        if self.config.cache_dir is None:
            return None
        key = stable_hash("chat", self.config.model, self.config.temperature, self.config.max_tokens, messages,
                          length=32)
        return Path(self.config.cache_dir) / key[:2] / f"{key}.json"

    async def _complete_one(self, http: httpx.AsyncClient, gate: asyncio.Semaphore, messages: Messages) -> ChatResult:
        path = self._cache_path(messages)
        if path is not None and path.is_file():
            return ChatResult(text=read_json(path)["text"], cached=True)

        async def attempt() -> str:
            async with gate:
                self.n_requests += 1
                return await post_chat(http, self.config, messages)

        text, errors = await with_retries(self.config, attempt)
        if text is None:
            return ChatResult(text=None, error=f"failed after {len(errors)} attempts; last: {errors[-1]}",
                              attempts=len(errors))
        if path is not None:
            write_json_atomic(path, {"model": self.config.model, "text": text})
        return ChatResult(text=text, attempts=len(errors) + 1)

    async def complete_many(self, conversations: Sequence[Messages]) -> list[ChatResult]:
        """One ChatResult per conversation, in order; at most `max_concurrency` requests in flight."""
        key = self.config.api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        gate = asyncio.Semaphore(self.config.max_concurrency)
        async with httpx.AsyncClient(base_url=self.config.base_url.rstrip("/") + "/", headers=headers,
                                     timeout=self.config.timeout_s) as http:
            return list(await asyncio.gather(*(self._complete_one(http, gate, m) for m in conversations)))

    def complete_many_sync(self, conversations: Sequence[Messages]) -> list[ChatResult]:
        """Blocking wrapper; runs in a worker thread if an event loop is already running."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.complete_many(conversations))
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.complete_many(conversations)).result()
