"""Raw-text chat completions from an OpenAI-compatible endpoint (the constitution arm's remote critic, PAIR's attacker).

Same client as the judge (models.http: retries, deadlines, cache; a 4xx other than 429 fails that item only). Cache
keys carry a "chat" tag, so a judge and a critic sharing a cache folder never read each other's entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from traitrl.models.http import Call, EndpointClient, chat_body, chat_text
from traitrl.models.judge import Messages


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    error: str | None = None
    attempts: int = 0
    cached: bool = False


class ChatClient(EndpointClient):
    def _call(self, messages: Messages) -> Call:
        c = self.config
        return Call("chat/completions", chat_body(c, messages), chat_text,
                    ("chat", c.model, c.temperature, c.max_tokens, messages))

    def complete_many_sync(self, conversations: Sequence[Messages]) -> list[ChatResult]:
        """One ChatResult per conversation, in order; blocking, usable from inside a running event loop too."""
        replies = self.call_many_sync([self._call(m) for m in conversations])
        return [ChatResult(text=r.value, error=r.error, attempts=r.attempts, cached=r.cached) for r in replies]
