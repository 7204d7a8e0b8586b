"""Where benchmark data lives: config value, else $TRAITRL_BENCHMARK_DIR, else ../shared/benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

from traitrl._util.errors import DataError

DEFAULT_BENCHMARK_DIR = Path("../shared/benchmarks")


def benchmark_dir(configured: str | Path | None = None) -> Path:
    raw = configured or os.environ.get("TRAITRL_BENCHMARK_DIR") or DEFAULT_BENCHMARK_DIR
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise DataError(
            f"{path}: benchmark data folder not found; set `benchmark_dir:` in the config or TRAITRL_BENCHMARK_DIR"
        )
    return path


def benchmark_file(data_dir: Path, relative: str) -> Path:
    path = data_dir / relative
    if not path.is_file():
        raise DataError(f"{path}: benchmark data file not found (data folder {data_dir})")
    return path
