"""YAML → pydantic loading with errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from traitrl._util.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def format_validation_error(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key `{key}`")
        else:
            lines.append(f"{source}: `{key}`: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(lines)


def validate_config(model: type[M], data: dict, source: str = "config") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, source)) from None


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def parse_overrides(pairs: list[str] | None) -> dict:
    """`["train.steps=10", "seed=1"]` → {"train.steps": 10, "seed": 1}; values are parsed as YAML scalars."""
    overrides = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value (dotted keys allowed, e.g. train.steps=10), got {pair!r}")
        overrides[key.strip()] = yaml.safe_load(value)
    return overrides


def apply_overrides(data: dict, overrides: dict | None) -> dict:
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return data


def load_config(model: type[M], path: str | Path, overrides: dict | None = None) -> M:
    """Defaults, then YAML, then `overrides` (CLI flags), validated once."""
    return validate_config(model, apply_overrides(load_yaml(path), overrides), source=str(path))
