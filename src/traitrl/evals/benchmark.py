"""Benchmark = items + how to prompt + how to score, registered by name with its metadata.

Two formats: `mc` items are scored by log-likelihood of each choice (evals.mc), `gen` items by generating a reply
and scoring it with a rule or judge (`score_response`). Benchmarks are Python, loaded lazily, one at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from traitrl._util.errors import ConfigError, TraitrlError

CATEGORIES = (
    "deception_honesty", "sycophancy", "reward_hacking", "health", "fairness", "corrigibility",
    "calibration_humility", "jailbreak", "overrefusal_steerability", "capability", "trait_heldout",
    "trait_heldout_replies",
)


@dataclass
class MCItem:
    """A multiple-choice item. `gold` lists every correct choice index (MC2-style items have several)."""

    id: str
    context: str | list[dict[str, str]]  # raw prompt text, or chat messages rendered with the chat template
    choices: list[str]
    gold: list[int]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenItem:
    """A generative item: the model replies to `messages`; `target` and `meta` are what the scorer needs."""

    id: str
    messages: list[dict[str, str]]
    target: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


class Unscorable(TraitrlError):
    """A reply gives the scorer nothing to score (a calibration reply with no confidence). The item is recorded with
    this error and left out of the mean: counted, never scored 0."""


# Generates one reply per conversation, batched: the only access to the model a generative protocol gets.
Responder = Callable[[list[list[dict[str, str]]]], list[str]]


@dataclass
class Benchmark:
    name: str
    category: str
    format: Literal["mc", "gen"]
    metric: str
    higher_is_better: bool
    source: str
    license: str
    load_items: Callable[[Path], list[MCItem] | list[GenItem]]
    version: int = 1
    labels: tuple[str, ...] = ()
    description: str = ""
    # mc: "acc" | "acc_norm" | "mc2" | custom per-item scorer; gen: response → score
    mc_metric: str = "acc"
    score_response: Callable[[GenItem, str], float] | None = None
    # Multi-step generative protocols (answer, push back, answer again) set this instead of `score_response`:
    # it returns (score, transcript) per item.
    protocol: Callable[[list[GenItem], Responder], list[tuple[float, str]]] | None = None
    max_new_tokens: int = 128
    # Generative benchmarks that score the same replies another way name the benchmark whose output cache they share.
    cache_name: str | None = None
    # Published protocol (evals.judge_protocols) that scores the replies when an evaluation judge is configured;
    # `score_response` is the offline fallback.
    judge_protocol: str | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name, "category": self.category, "format": self.format, "metric": self.metric,
            "higher_is_better": self.higher_is_better, "source": self.source, "license": self.license,
            "version": self.version, "labels": list(self.labels), "description": self.description,
        }


BENCHMARKS: dict[str, Callable[[], Benchmark]] = {}


def benchmark(name: str) -> Callable[[Callable[[], Benchmark]], Callable[[], Benchmark]]:
    """Register a zero-argument factory that builds the Benchmark named `name`."""

    def register(factory: Callable[[], Benchmark]) -> Callable[[], Benchmark]:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = factory
        return factory

    return register


def register_benchmark_ref(ref: str) -> str:
    """Register the benchmark built by `package.module:factory` (a zero-argument function returning a Benchmark)
    under its own name, which is returned."""
    import importlib

    module, _, attr = ref.partition(":")
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"benchmark {ref!r}: cannot import {attr!r} from {module!r} ({e})") from None
    bench = factory()
    if not isinstance(bench, Benchmark):
        raise ConfigError(f"benchmark {ref!r}: {attr}() returned {type(bench).__name__}, not a Benchmark")
    if BENCHMARKS.get(bench.name) not in (None, factory):
        raise ConfigError(f"benchmark {ref!r}: the name {bench.name!r} is already registered")
    BENCHMARKS[bench.name] = factory
    return bench.name


def get_benchmark(name: str) -> Benchmark:
    if name not in BENCHMARKS:
        close = difflib.get_close_matches(name, BENCHMARKS, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ConfigError(f"Unknown benchmark {name!r}.{hint} See `traitrl evals list`.")
    bench = BENCHMARKS[name]()
    if bench.category not in CATEGORIES:
        raise ValueError(f"benchmark {name!r} has unknown category {bench.category!r}")
    return bench
