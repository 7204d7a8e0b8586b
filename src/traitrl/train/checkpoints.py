"""Crash-safe training state: atomic checkpoints, resume from the newest complete one, resume only under one config.

- TRL/transformers write `checkpoint-N/` in place, so a kill mid-save left a folder that every later resume tried
  (and failed) to load. `install_atomic_checkpoints` makes the trainer write into `.staging/` and rename the finished
  folder into place; rotation then keeps the newest `keep` checkpoints.
- `resume_checkpoint` takes the newest checkpoint whose files are all complete, and warns for each one it skips.
- `check_same_config` records what a run was started with, and refuses a resume under other settings, naming keys.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from traitrl._util.errors import ConfigError
from traitrl._util.io import write_json_atomic

STAGING = ".staging"
RUN_CONFIG = "run_config.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def _checkpoints(output_dir: Path) -> list[Path]:
    """checkpoint-N folders, newest (highest N) first."""
    if not output_dir.is_dir():
        return []
    found = [p for p in output_dir.iterdir() if p.is_dir() and _CHECKPOINT.match(p.name)]
    return sorted(found, key=lambda p: int(_CHECKPOINT.match(p.name).group(1)), reverse=True)


def checkpoint_problem(folder: Path) -> str | None:
    """Why `folder` cannot be resumed from (a missing or truncated file), or None when it is complete."""
    state = folder / "trainer_state.json"
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "trainer_state.json is missing or unreadable"
    weights = [p for p in folder.iterdir() if p.suffix == ".safetensors"]
    if not weights:
        return "no .safetensors weights"
    for path in weights:
        problem = _safetensors_problem(path)
        if problem:
            return f"{path.name}: {problem}"
    for path in folder.iterdir():
        if path.suffix in (".pt", ".pth", ".bin"):
            try:
                zipfile.ZipFile(path).close()  # torch's zip format: a truncated file loses its central directory
            except (zipfile.BadZipFile, OSError):
                return f"{path.name}: truncated or unreadable"
    return None


def _safetensors_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
    except (OSError, struct.error, ValueError):
        return "unreadable header"
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if path.stat().st_size != 8 + n + end:
        return f"truncated ({path.stat().st_size} bytes, header says {8 + n + end})"
    return None


def resume_checkpoint(output_dir: str | Path, warn: Callable[[str], None] | None = None) -> str | None:
    """The newest checkpoint that is complete; each newer broken one is skipped with a warning."""
    warn = warn or (lambda msg: warnings.warn(msg, stacklevel=2))
    for folder in _checkpoints(Path(output_dir)):
        problem = checkpoint_problem(folder)
        if problem is None:
            return str(folder)
        warn(f"{folder}: incomplete checkpoint ({problem}); falling back to the previous one")
    return None


def install_atomic_checkpoints(trainer, output_dir: str | Path, keep: int = 2) -> None:
    """Make `trainer` save each checkpoint under `.staging/` and rename it into `output_dir` once complete."""
    output_dir = Path(output_dir)
    save = trainer._save_checkpoint

    def atomic_save(model, trial):
        staging = output_dir / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        trainer._get_output_dir = lambda trial=None: str(staging)
        try:
            save(model, trial)
        finally:
            del trainer._get_output_dir  # back to the class method
        for done in _checkpoints(staging):
            target = output_dir / done.name
            if target.exists():  # left by an earlier attempt at the same step
                shutil.rmtree(target)
            os.replace(done, target)
        shutil.rmtree(staging, ignore_errors=True)
        _fsync_dir(output_dir)
        for old in _checkpoints(output_dir)[keep:]:
            shutil.rmtree(old, ignore_errors=True)

    trainer._save_checkpoint = atomic_save


def save_model_atomic(model, tokenizer, folder: str | Path) -> Path:
    """save_pretrained into a temp folder beside `folder`, then swap it in: a kill never leaves half a model."""
    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    _fsync_dir(folder.parent)
    return folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 1}, "arms": [{"dose": 0}]} → {"train.lr": 1, "arms.0.dose": 0}: the keys `--set` takes."""
    if isinstance(config, list) and any(isinstance(v, dict) for v in config):
        config = dict(enumerate(config))
    if not isinstance(config, dict) or not config:
        return {prefix: config}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def config_differences(old: dict, new: dict) -> list[str]:
    """'key: old → new' for every dotted key whose value differs (added and removed keys included). A key that one
    side lacks and the other holds as None or False is no difference: an optional setting or a feature switch that
    traitrl gained after the run started, left off, changes nothing, and must not block resuming the run."""
    a, b = flatten(old), flatten(new)
    off = lambda value: value is None or value is False  # not 0: `0 == False`, and 0 is a setting
    return [f"{k}: {a.get(k, '<unset>')!r} → {b.get(k, '<unset>')!r}" for k in sorted(a.keys() | b.keys())
            if a.get(k) != b.get(k) and not ((k not in a and off(b[k])) or (k not in b and off(a[k])))]


def check_same_config(folder: str | Path, config: dict, fix: str) -> None:
    """Record `config` in `folder/run_config.json` on the first run; refuse a later run under another config."""
    path = Path(folder) / RUN_CONFIG
    config = json.loads(json.dumps(config, default=str))
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
        diffs = config_differences(previous, config) if previous is not None else []
        if diffs:
            shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
            raise ConfigError(f"{folder} was started under a different config ({shown}); {fix}")
    write_json_atomic(path, config)


def clear_outputs(folder: str | Path, names: list[str]) -> None:
    """Delete the named files and folders in `folder` (`--no-resume`: what is redone must not mix with old work)."""
    for name in names:
        path = Path(folder) / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
