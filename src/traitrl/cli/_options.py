"""Shared CLI plumbing: study config loading with `--set key=value` overrides, and Ray memory reservations."""

from __future__ import annotations

from pathlib import Path

import typer

from traitrl._util.config import load_config, parse_overrides
from traitrl.config import StudyConfig


def load_study_config(path: Path, overrides: list[str] | None) -> StudyConfig:
    return load_config(StudyConfig, path, parse_overrides(overrides))


TRAIN_MEMORY = typer.Option(None, "--train-memory", help="PATTERN=GIB: the memory a run's training task reserves on its "
                            "Ray node; the first pattern matching the run's name applies (e.g. 'trait-*=14', '*=9'; "
                            "repeatable). Price it from a measured peak (traitrl status).")
EVAL_MEMORY = typer.Option(None, "--eval-memory", min=0.01, help="GiB each evaluation task reserves on its Ray node.")


def task_memory(train_memory: list[str] | None, eval_memory: float | None):
    from traitrl.scheduling import TaskMemory, parse_train_memory

    return TaskMemory(train=parse_train_memory(train_memory or []), eval=eval_memory)


def table_console():
    """A rich console that prints tables at the terminal's width, and at 120 columns into pipes and logs (rich's
    default of 80 there folds wide tables into unreadable cells)."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 120)
