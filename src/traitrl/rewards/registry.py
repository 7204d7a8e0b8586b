"""Grader registry. A grader factory takes JSON-able arguments and returns a TRL reward callable:
`(prompts, completions, **dataset_columns) -> list[float | None]`, where None means "not applicable to this row"."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from traitrl._util.errors import ConfigError

Grader = Callable[..., list[float | None]]
GraderFactory = Callable[..., Grader]

GRADERS: dict[str, tuple[GraderFactory, int]] = {}


def grader(name: str, version: int = 1) -> Callable[[GraderFactory], GraderFactory]:
    """Register a grader factory under `name`; the built reward callable carries `__name__ == name` for TRL logs."""

    def register(factory: GraderFactory) -> GraderFactory:
        if name in GRADERS:
            raise ValueError(f"grader {name!r} registered twice")

        def build(*args: Any, **kwargs: Any) -> Grader:
            fn = factory(*args, **kwargs)
            fn.__name__ = name
            fn.grader_spec = {"name": name, "version": version, "args": list(args), "kwargs": kwargs}
            return fn

        build.__name__ = factory.__name__
        build.__doc__ = factory.__doc__
        GRADERS[name] = (build, version)
        return build

    return register


def get_grader(name: str, **kwargs: Any) -> Grader:
    if name not in GRADERS:
        close = difflib.get_close_matches(name, GRADERS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"Unknown grader {name!r}.{hint} Available: {', '.join(sorted(GRADERS))}")
    return GRADERS[name][0](**kwargs)


def list_graders() -> list[str]:
    return sorted(GRADERS)


def text_of(completion: Any) -> str:
    """TRL passes conversational completions as [{'role': 'assistant', 'content': ...}]; plain ones as str."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return str(completion)
