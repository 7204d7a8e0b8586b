"""Grader registry. A grader factory takes JSON-able arguments and returns a TRL reward callable:
`(prompts, completions, **dataset_columns) -> list[float | None]`, where None means "not applicable to this row"."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from traitrl._util.errors import ConfigError

Grader = Callable[..., list[float | None]]
GraderFactory = Callable[..., Grader]

GRADERS: dict[str, tuple[Callable[..., RewardFunction], int, GraderFactory]] = {}  # builder, version, factory


class RewardFunction:
    """A built grader as a picklable callable object, so it survives Ray and multiprocessing.

    It keeps only its spec (registry name or `package.module:function`, args, kwargs); the closure the factory
    returns is rebuilt after unpickling. Attributes the closure carries (e.g. `n_judge_errors`) read through.
    """

    def __init__(self, name: str, version: int, args: tuple, kwargs: dict[str, Any], ref: str | None = None):
        self.__name__, self.version, self.ref = name, version, ref
        self.grader_spec = {"name": name, "version": version, "args": list(args), "kwargs": kwargs}
        self._fn = self._build()

    def _build(self) -> Grader:
        spec = self.grader_spec
        if self.ref is not None:
            fn = _resolve(self.ref)
            return fn(*spec["args"], **spec["kwargs"]) if spec["args"] or spec["kwargs"] else fn
        import traitrl.rewards  # noqa: F401  (registers the built-in graders in a fresh process)

        return GRADERS[self.__name__][2](*spec["args"], **spec["kwargs"])

    def __call__(self, *args: Any, **kwargs: Any) -> list[float | None]:
        return self._fn(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "_fn":
            raise AttributeError(attr)
        return getattr(self._fn, attr)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_fn"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fn = self._build()


def grader(name: str, version: int = 1) -> Callable[[GraderFactory], GraderFactory]:
    """Register a grader factory under `name`; the built reward callable carries `__name__ == name` for TRL logs."""

    def register(factory: GraderFactory) -> GraderFactory:
        if name in GRADERS:
            raise ValueError(f"grader {name!r} registered twice")

        def build(*args: Any, **kwargs: Any) -> RewardFunction:
            return RewardFunction(name, version, args, kwargs)

        build.__name__ = factory.__name__
        build.__doc__ = factory.__doc__
        GRADERS[name] = (build, version, factory)
        return build

    return register


def _resolve(ref: str) -> Callable[..., Any]:
    import importlib

    module, _, attr = ref.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"reward {ref!r}: cannot import {attr!r} from {module!r} ({e})") from None


def get_grader(name: str, **kwargs: Any) -> Grader:
    """A registry name, or `package.module:function`: a reward function (no kwargs) or a factory of one (kwargs),
    as TRL's scripts take reward names."""
    if ":" in name:
        fn = _resolve(name)
        if not callable(fn):
            raise ConfigError(f"reward {name!r} is not callable")
        return RewardFunction(name.partition(":")[2], 1, (), kwargs, ref=name)
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
