"""`openai:NAME`: any OpenAI-compatible endpoint (vLLM's server, llama.cpp, a hosted API) through models.http.

Generation: /chat/completions at the given temperature (0 for benchmarks). Log-likelihood: /completions with
`echo: true, logprobs: 1, max_tokens: 1` (as lm-eval's `local-completions`), summing the prompt-token log-probs
whose text starts at or after the end of the context (`text_offset`). Endpoints that return no prompt log-probs
raise LoglikelihoodUnsupported, and the battery skips multiple-choice benchmarks with that message. The chat
template is the server's, so chat-formatted MC contexts and empty contexts (lm-eval scores those after a BOS token
the client cannot name) are unsupported too.
"""

from __future__ import annotations

from typing import Any

from traitrl._util.errors import ModelError
from traitrl._util.io import stable_hash
from traitrl.models.base import GenParams, LoglikelihoodUnsupported, Messages, register_model
from traitrl.models.http import Call, EndpointClient, EndpointConfig, ItemError, chat_body, chat_text


class NoPromptLogprobs(ItemError):
    pass


def continuation_logprob(body: dict, context_chars: int, prompt_chars: int) -> float:
    """Summed log-probs of the echoed prompt tokens that end after `context_chars` (tokens past the prompt, the one
    generated token, are left out)."""
    try:
        lp = body["choices"][0]["logprobs"]
        tokens, offsets, values = lp["tokens"], lp["text_offset"], lp["token_logprobs"]
    except (KeyError, IndexError, TypeError):
        raise NoPromptLogprobs("reply has no logprobs.tokens/text_offset/token_logprobs (echo unsupported?)") from None
    total, seen = 0.0, False
    for token, offset, value in zip(tokens, offsets, values, strict=False):
        if offset >= prompt_chars:
            break
        if offset + len(token) > context_chars:
            if value is None:
                raise NoPromptLogprobs("a continuation token has no log-prob")
            total, seen = total + value, True
    if not seen:
        raise NoPromptLogprobs("no echoed token covers the continuation")
    return total


def _reply_text(body: dict) -> str:
    return chat_text(body, allow_empty=True)


class OpenAIModel:
    def __init__(self, served_name: str, name: str | None = None, base_url: str | None = None,
                 api_key_env: str | None = "OPENAI_API_KEY", batch_size: int = 16, **settings: Any) -> None:
        if not base_url:
            raise ModelError(f"model openai:{served_name} needs a base URL (--base-url http://HOST:PORT/v1)")
        self.name = name or f"openai:{served_name}"
        self.config = EndpointConfig(base_url=base_url, model=served_name, api_key_env=api_key_env,
                                     max_concurrency=batch_size, **settings)
        self.client = EndpointClient(self.config)

    @property
    def fingerprint(self) -> str:
        return stable_hash(self.config.base_url.rstrip("/"), self.config.model)

    def _raise_errors(self, replies, what: str) -> None:
        failed = [r.error for r in replies if r.error]
        if failed:
            raise ModelError(f"{self.name}: {len(failed)} of {len(replies)} {what} failed; first: {failed[0]}")

    def generate(self, conversations: list[Messages], params: GenParams) -> list[str]:
        calls = [Call("chat/completions", chat_body(self.config, c, max_tokens=params.max_new_tokens,
                                                    temperature=params.temperature), _reply_text)
                 for c in conversations]
        replies = self.client.call_many_sync(calls)
        self._raise_errors(replies, "chat completions")
        return [r.value.strip() for r in replies]

    def render_chat(self, messages: Messages) -> str:
        raise LoglikelihoodUnsupported(f"{self.name}: chat-formatted multiple-choice contexts need the model's chat "
                                       "template, which the endpoint does not expose")

    def loglikelihood(self, contexts: list[str], continuations: list[list[str]]) -> list[list[float]]:
        calls, shape = [], []
        for context, conts in zip(contexts, continuations, strict=True):
            stripped = context.rstrip()
            if not stripped:
                raise LoglikelihoodUnsupported(f"{self.name}: an empty context is scored after the model's BOS "
                                               "token, which an endpoint cannot be sent as text")
            shape.append(len(conts))
            for cont in conts:
                prompt = context + cont

                def parse(body: dict, n_ctx: int = len(stripped), n_all: int = len(prompt)) -> float:
                    return continuation_logprob(body, n_ctx, n_all)

                calls.append(Call("completions", {"model": self.config.model, "prompt": prompt, "echo": True,
                                                  "logprobs": 1, "max_tokens": 1, "temperature": 0.0}, parse))
        replies = self.client.call_many_sync(calls)
        failed = [r.error for r in replies if r.error]
        if failed:
            raise LoglikelihoodUnsupported(f"{self.name}: the endpoint returned no usable prompt log-probabilities "
                                           f"(/completions with echo and logprobs): {failed[0]}")
        values = [r.value for r in replies]
        out, at = [], 0
        for n in shape:
            out.append(values[at:at + n])
            at += n
        return out


@register_model("openai")
def _openai(served_name: str, **options: Any) -> OpenAIModel:
    return OpenAIModel(served_name, **options)
