"""Shared CLI plumbing: `--set key=value` overrides parsed as YAML scalars, config loading."""

from __future__ import annotations

from pathlib import Path

import yaml

from traitrl._util.config import load_config
from traitrl._util.errors import ConfigError
from traitrl.config import StudyConfig


def parse_overrides(pairs: list[str] | None) -> dict:
    overrides = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value (dotted keys allowed, e.g. train.steps=10), got {pair!r}")
        overrides[key.strip()] = yaml.safe_load(value)
    return overrides


def load_study_config(path: Path, overrides: list[str] | None) -> StudyConfig:
    return load_config(StudyConfig, path, parse_overrides(overrides))
