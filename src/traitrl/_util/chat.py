"""Raw-text chat completions from an OpenAI-compatible endpoint (the constitution arm's remote critic).

Reuses `JudgeConfig` (endpoint, model, key, timeouts, retries, cache) and the judge client's retry policy: timeouts,
429, 5xx, connection errors and malformed or empty replies are retried with doubling backoff; other 4xx fail at once
with JudgeError; a request still failing after `max_retries` comes back as `ChatResult(error=...)`. Cache keys carry
a "chat" tag, so a judge and a critic sharing a cache folder never read each other's entries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from traitrl._util.io import read_json, stable_hash, write_json_atomic
from traitrl._util.judge import JudgeConfig, Messages, endpoint_client, post_chat, run_blocking, with_retries


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    error: str | None = None
    attempts: int = 0
    cached: bool = False


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
        gate = asyncio.Semaphore(self.config.max_concurrency)
        async with endpoint_client(self.config) as http:
            return list(await asyncio.gather(*(self._complete_one(http, gate, m) for m in conversations)))

    def complete_many_sync(self, conversations: Sequence[Messages]) -> list[ChatResult]:
        """Blocking wrapper, usable from inside a running event loop too."""
        return run_blocking(lambda: self.complete_many(conversations))
