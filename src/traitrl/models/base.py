"""The model interface every stage uses, and the registry that maps a model spec to a backend.

Modelled on lm-eval's `LM` + `register_model` and Inspect's `get_model`: a backend answers `generate` (one reply per
chat conversation) and, where it can, `loglikelihood` (summed log-probability of each continuation after its
context). A spec is `PREFIX:REST` for a registered prefix (`hf:`, `fast:`, `vllm:`, `openai:`); anything else (a
built-in name, a local folder, a hub id) is local Hugging Face weights, with the fast CPU engine where it applies.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from traitrl._util.errors import ConfigError, ModelError

Messages = list[dict[str, str]]


class LoglikelihoodUnsupported(ModelError):
    """The backend cannot score these continuations (no prompt log-probabilities, or no chat template)."""


@dataclass(frozen=True)
class GenParams:
    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 = greedy, the only mode benchmarks use
    batch_size: int = 8


@runtime_checkable
class Model(Protocol):
    name: str  # the spec as given; records and reports name the model by it

    @property
    def fingerprint(self) -> str:
        """Changes whenever the model's outputs can change (weights, endpoint, served model name)."""

    def generate(self, conversations: list[Messages], params: GenParams) -> list[str]:
        """One reply per conversation, in order."""

    def loglikelihood(self, contexts: list[str], continuations: list[list[str]]) -> list[list[float]]:
        """Summed log-probability of each continuation after its context; LoglikelihoodUnsupported if it cannot."""

    def render_chat(self, messages: Messages) -> str:
        """Chat messages as the prompt text the model reads before its reply (its chat template)."""


MODEL_BACKENDS: dict[str, Callable[..., Model]] = {}


def register_model(prefix: str) -> Callable[[Callable[..., Model]], Callable[..., Model]]:
    """Register a backend factory `factory(rest_of_spec, **options) -> Model` for specs `prefix:...`."""

    def register(factory: Callable[..., Model]) -> Callable[..., Model]:
        if prefix in MODEL_BACKENDS:
            raise ValueError(f"model backend {prefix!r} registered twice")
        MODEL_BACKENDS[prefix] = factory
        return factory

    return register


def split_spec(spec: str) -> tuple[str, str]:
    """(backend prefix, rest); a spec without a registered prefix is local weights ("auto")."""
    import traitrl.models.backends  # noqa: F401  (registers every backend)

    prefix, sep, rest = spec.partition(":")
    if sep and prefix in MODEL_BACKENDS:
        if not rest:
            raise ConfigError(f"model {spec!r}: nothing after {prefix + ':'!r}")
        return prefix, rest
    if sep and "/" not in prefix and len(prefix) > 1:
        close = difflib.get_close_matches(prefix, MODEL_BACKENDS, n=1)
        hint = f" Did you mean {close[0] + ':'!r}?" if close else ""
        raise ConfigError(f"model {spec!r}: unknown backend {prefix + ':'!r}; known: "
                          f"{', '.join(p + ':' for p in MODEL_BACKENDS)}.{hint}")
    return "auto", spec


def get_model(spec: str, **options: Any) -> Model:
    """The backend for `spec`; `options` go to its factory (e.g. base_url for openai:, model_obj for local weights)."""
    prefix, rest = split_spec(spec)
    return MODEL_BACKENDS[prefix](rest, name=spec, **options)
