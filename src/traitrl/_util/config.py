"""YAML → pydantic loading with errors that name the file and the key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from traitrl._util.errors import ConfigError
from traitrl._util.io import read_text_checked

M = TypeVar("M", bound=BaseModel)


def format_validation_error(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key `{key}`")
        elif not e["loc"]:  # a cross-field check: its message names the keys; the input is the whole file
            lines.append(f"{source}: {e['msg'].removeprefix('Value error, ')}")
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
        data = yaml.safe_load(read_text_checked(path, ConfigError))
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
        try:
            overrides[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise ConfigError(f"--set {pair!r}: the value is not valid YAML ({getattr(e, 'problem', e)}); "
                              "quote it, e.g. --set 'name=\"a: b\"'") from None
    return overrides


def apply_overrides(data: dict, overrides: dict | None, defaults: dict | None = None) -> dict:
    """Set each dotted key; a number indexes a list (`arms.1.dose`), taken from `defaults` if the YAML has none."""
    for dotted, value in (overrides or {}).items():
        node: Any = data
        defaults_node: Any = defaults or {}
        *parents, leaf = dotted.split(".")
        for depth, p in enumerate([*parents, leaf]):
            here = ".".join(dotted.split(".")[:depth + 1])
            if isinstance(node, list):
                if not p.isdigit() or int(p) >= len(node):
                    raise ConfigError(f"--set {dotted}: `{here}`: index {p!r} is not in a list of {len(node)}")
                key: Any = int(p)
            elif isinstance(node, dict):
                key = p
            else:
                raise ConfigError(f"--set {dotted}: `{here.rpartition('.')[0]}` is a value ({node!r}), not a section")
            if depth == len(parents):
                node[key] = value
                break
            defaults_node = _child(defaults_node, key)
            if isinstance(node, dict) and key not in node:
                if defaults_node is not None and not isinstance(defaults_node, (dict, list)):
                    raise ConfigError(f"--set {dotted}: `{here}` is a value ({defaults_node!r}), not a section")
                # Copy the default list so `--set arms.1.dose=0.1` works on a YAML that keeps the default arms.
                node[key] = copy.deepcopy(defaults_node) if isinstance(defaults_node, list) else {}
            node = node[key]
    return data


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


def model_defaults(model: type[BaseModel]) -> dict:
    """The model's default values as plain data ({} when it has required fields)."""
    try:
        return model().model_dump(mode="json")
    except ValidationError:
        return {}


def load_config(model: type[M], path: str | Path, overrides: dict | None = None) -> M:
    """Defaults, then YAML, then `overrides` (CLI flags), validated once."""
    return validate_config(model, apply_overrides(load_yaml(path), overrides, model_defaults(model)),
                           source=str(path))
