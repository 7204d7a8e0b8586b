"""The one HTTP client for OpenAI-compatible endpoints (judges, critics, attackers, the `openai:` model backend).

Async and batched: at most `max_concurrency` requests in flight. Each item is retried after timeouts, 429, 5xx,
connection errors and malformed replies, with doubling backoff. Each attempt has a total deadline (`timeout_s`,
enforced on the whole request, so a server that drips bytes cannot stretch it), and each item a deadline over all
its attempts (`deadline_s`). A 4xx other than 429 fails that item at once, never the batch. A failed item comes back
as `Reply(error=...)` for the caller to count. Parsed values are cached on disk by a hash the caller supplies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from traitrl._util.errors import ConfigError
from traitrl._util.io import read_json, stable_hash, write_json_atomic

T = TypeVar("T")


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str = Field(description="OpenAI-compatible API root, e.g. http://localhost:8000/v1 (…/chat/completions "
                                      "is appended).")
    model: str = Field(min_length=1, description="Model name sent in each request; part of the cache key.")
    api_key_env: str | None = Field("OPENAI_API_KEY", description="Env var holding the API key; None sends no key.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature; part of the cache key.")
    max_tokens: int = Field(512, gt=0, description="Reply length cap; room for a short rationale and the score.")
    max_concurrency: int = Field(8, gt=0, description="Requests in flight at once.")
    timeout_s: float = Field(60.0, gt=0, description="Total time allowed for one attempt (connect to last byte).")
    deadline_s: float | None = Field(None, gt=0, description="Total time for one item over all its attempts and "
                                     "backoffs; None = bounded only by timeout_s and max_retries.")
    max_retries: int = Field(4, ge=0, description="Retries after timeouts, 429, 5xx, connection errors, bad replies.")
    backoff_s: float = Field(1.0, ge=0, description="First retry delay; doubles each retry.")
    cache_dir: Path | None = Field(None, description="Folder for cached replies; None disables the cache.")
    max_error_rate: float = Field(0.05, ge=0.0, le=1.0, description="A client whose share of failed items exceeds "
                                  "this (once 3 or more failed) raises JudgeError, aborting the run.")

    def api_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ConfigError(f"judge api_key_env: environment variable {self.api_key_env} is not set "
                              "(set it, or set api_key_env: null for a local endpoint without keys)")
        return key


class RetryableError(Exception):
    """A failure worth another attempt (timeout, 429, 5xx, connection error, malformed, empty or unparsable reply)."""


class ItemError(Exception):
    """A failure of this item that another attempt cannot fix (a 4xx other than 429)."""


@dataclass(frozen=True)
class Reply:
    """A parsed reply value, or an error after retries; never both."""

    value: Any = None
    error: str | None = None
    attempts: int = 0
    cached: bool = False


async def post_json(http: httpx.AsyncClient, config: EndpointConfig, path: str, body: dict) -> dict:
    """One POST; the JSON body, RetryableError for transient failures, ItemError for other 4xx."""
    try:
        resp = await asyncio.wait_for(http.post(path, json=body), config.timeout_s)
    except (TimeoutError, asyncio.TimeoutError):
        raise RetryableError(f"no complete reply within timeout_s={config.timeout_s}") from None
    except (httpx.TimeoutException, httpx.TransportError) as e:
        raise RetryableError(f"{type(e).__name__}: {e}") from None
    if resp.status_code == 429 or resp.status_code >= 500:
        raise RetryableError(f"HTTP {resp.status_code}: {resp.text[:200]}")
    if resp.status_code >= 400:
        raise ItemError(f"endpoint {config.base_url} answered HTTP {resp.status_code}: {resp.text[:200]} "
                        "(check base_url, model and the API key)")
    try:
        return resp.json()
    except ValueError:
        raise RetryableError(f"reply is not JSON: {resp.text[:200]!r}") from None


def chat_body(config: EndpointConfig, messages: list[dict[str, str]], **overrides: Any) -> dict:
    return {"model": config.model, "messages": messages, "temperature": config.temperature,
            "max_tokens": config.max_tokens} | overrides


def chat_text(reply: dict, allow_empty: bool = False) -> str:
    """The assistant text of a chat-completions body; RetryableError when malformed, or empty unless allowed (a
    judge's empty reply is a failure; a benchmarked model's is an answer)."""
    try:
        text = reply["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise RetryableError(f"malformed chat completion body: {str(reply)[:200]!r}") from None
    if not text.strip() and not allow_empty:
        raise RetryableError("empty reply")
    return text


async def with_retries(config: EndpointConfig, attempt_once: Callable[[], Awaitable[T]]) -> tuple[T | None, list[str]]:
    """Call `attempt_once` up to 1 + max_retries times with doubling backoff, within deadline_s; (result, errors)."""
    errors: list[str] = []

    async def attempts() -> T | None:
        for attempt in range(config.max_retries + 1):
            if attempt:
                await asyncio.sleep(config.backoff_s * 2 ** (attempt - 1))
            try:
                return await attempt_once()
            except RetryableError as e:
                errors.append(str(e))
            except ItemError as e:
                errors.append(str(e))
                return None
        return None

    try:
        return await asyncio.wait_for(attempts(), config.deadline_s), errors
    except (TimeoutError, asyncio.TimeoutError):
        errors.append(f"deadline_s={config.deadline_s} passed")
        return None, errors


def endpoint_client(config: EndpointConfig) -> httpx.AsyncClient:
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


@dataclass(frozen=True)
class Call:
    """One item: POST `body` to `path`; `parse` turns the JSON reply into a JSON-able value (RetryableError if it
    cannot); `cache_key` (any JSON-able parts) keys the disk cache, None = not cached."""

    path: str
    body: dict
    parse: Callable[[dict], Any]
    cache_key: Any = None


class EndpointClient:
    """Counts what it sent and what failed, so callers can report and bound the error rate."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.n_requests = 0  # HTTP requests actually sent, for tests and cost accounting
        self.n_items = 0
        self.n_failed = 0

    def _cache_path(self, key: Any) -> Path | None:
        if self.config.cache_dir is None or key is None:
            return None
        digest = stable_hash(key, length=32)
        return Path(self.config.cache_dir) / digest[:2] / f"{digest}.json"

    async def _one(self, http: httpx.AsyncClient, gate: asyncio.Semaphore, call: Call) -> Reply:
        path = self._cache_path(call.cache_key)
        if path is not None and path.is_file():
            return Reply(value=read_json(path)["value"], cached=True)

        async def attempt() -> Any:
            async with gate:
                self.n_requests += 1
                body = await post_json(http, self.config, call.path, call.body)
            return call.parse(body)

        value, errors = await with_retries(self.config, attempt)
        if value is None:
            return Reply(error=f"failed after {len(errors)} attempts; last: {errors[-1]}", attempts=len(errors))
        if path is not None:
            write_json_atomic(path, {"model": self.config.model, "value": value})
        return Reply(value=value, attempts=len(errors) + 1)

    async def call_many(self, calls: Sequence[Call]) -> list[Reply]:
        """One Reply per call, in order."""
        gate = asyncio.Semaphore(self.config.max_concurrency)
        async with endpoint_client(self.config) as http:
            replies = list(await asyncio.gather(*(self._one(http, gate, c) for c in calls)))
        self.n_items += len(replies)
        self.n_failed += sum(r.error is not None for r in replies)
        return replies

    def call_many_sync(self, calls: Sequence[Call]) -> list[Reply]:
        """Blocking wrapper, usable from inside a running event loop too."""
        return run_blocking(lambda: self.call_many(calls))

    def error_rate_exceeded(self) -> bool:
        return self.n_failed >= 3 and self.n_failed > self.config.max_error_rate * self.n_items


def download(url: str, dest: Path, sha256: str, size: int, advance: Callable[[int], None] = lambda n: None,
             timeout_s: float = 60.0) -> bool:
    """Fetch `url` into `dest`, resuming a `.part` file left by an interrupted run; True if bytes were fetched.

    The file is kept only if its sha256 matches; a mismatch deletes the partial file and raises DataError naming
    `dest`, so a corrupted or changed upstream file is never used.
    """
    import hashlib

    from traitrl._util.errors import DataError

    if dest.is_file() and dest.stat().st_size == size and hashlib.sha256(dest.read_bytes()).hexdigest() == sha256:
        advance(size)
        return False
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.is_file() else 0
    if have > size:
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if 0 < have < size else {}
    if have < size:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=timeout_s, follow_redirects=True) as resp:
                if resp.status_code >= 400:
                    raise DataError(f"{dest}: download failed, {url} answered HTTP {resp.status_code}")
                resumed = resp.status_code == 206
                advance(have if resumed else 0)
                with part.open("ab" if resumed else "wb") as f:
                    for chunk in resp.iter_bytes():
                        f.write(chunk)
                        advance(len(chunk))
        except httpx.TransportError as e:
            raise DataError(f"{dest}: download from {url} interrupted ({type(e).__name__}: {e}); run the same command "
                            "again to resume") from None
    else:
        advance(have)
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    if digest != sha256:
        part.unlink()
        raise DataError(f"{dest}: checksum mismatch (sha256 {digest}, expected {sha256}) for {url}; the file was "
                        "not kept")
    part.replace(dest)
    return True
