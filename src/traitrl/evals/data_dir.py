"""Where benchmark data lives: config value, else $TRAITRL_BENCHMARK_DIR, else a `../shared/benchmarks` folder next
to the checkout (the layout of a shared development machine), else where `traitrl benchmarks fetch` puts it."""

from __future__ import annotations

import os
from pathlib import Path

from traitrl._util.errors import DataError

SHARED_BENCHMARK_DIR = Path("../shared/benchmarks")


def fetch_dir() -> Path:
    """Default target of `traitrl benchmarks fetch`: $TRAITRL_DATA_CACHE/benchmarks, else ~/.cache/traitrl/..."""
    root = os.environ.get("TRAITRL_DATA_CACHE") or Path.home() / ".cache" / "traitrl"
    return Path(root).expanduser() / "benchmarks"


def benchmark_dir(configured: str | Path | None = None) -> Path:
    raw = configured or os.environ.get("TRAITRL_BENCHMARK_DIR")
    if raw is None:
        raw = SHARED_BENCHMARK_DIR if SHARED_BENCHMARK_DIR.is_dir() else fetch_dir()
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise DataError(
            f"{path}: benchmark data folder not found; run `traitrl benchmarks fetch all` (downloads to "
            f"{fetch_dir()}), or set `benchmark_dir:` in the config or TRAITRL_BENCHMARK_DIR"
        )
    return path.resolve()  # absolute: a relative default must not change meaning when the working directory does


def benchmark_file(data_dir: Path, relative: str) -> Path:
    path = data_dir / relative
    if not path.is_file():
        raise DataError(f"{path}: benchmark data file not found (data folder {data_dir}); "
                        "`traitrl benchmarks fetch NAME` downloads a missing benchmark")
    return path
