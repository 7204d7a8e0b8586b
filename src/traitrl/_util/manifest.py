"""Run manifest: the resolved config, package versions, seeds and git sha, written into every run directory."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from traitrl._util.io import write_json_atomic

TRACKED_PACKAGES = ("traitrl", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "numpy", "scipy", "pydantic")


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_sha(cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=cwd or Path(__file__).parent,
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def write_manifest(run_dir: str | Path, config: dict[str, Any], seeds: dict[str, int], stage: str) -> Path:
    """Write `run_dir/manifest.json`; called at the start of every stage run so a crash still leaves provenance."""
    manifest = {
        "stage": stage,
        "created_unix": time.time(),
        "config": config,
        "seeds": seeds,
        "versions": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_sha": git_sha(),
        "argv": sys.argv,
    }
    return write_json_atomic(Path(run_dir) / "manifest.json", manifest)
