"""Shared CLI plumbing: study config loading with `--set key=value` overrides."""

from __future__ import annotations

from pathlib import Path

from traitrl._util.config import load_config, parse_overrides
from traitrl.config import StudyConfig


def load_study_config(path: Path, overrides: list[str] | None) -> StudyConfig:
    return load_config(StudyConfig, path, parse_overrides(overrides))
