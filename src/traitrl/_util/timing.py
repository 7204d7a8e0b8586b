"""Wall time and peak RSS per stage, appended to DIR/timings.json as each stage ends (so a killed run keeps them)."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitrl._util.io import read_json, write_json_atomic


def peak_rss_gib() -> float:
    # ru_maxrss is KiB on Linux; children count too, so subprocess work (sandboxed code) is included.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 2**20


@contextmanager
def timed_stage(run_dir: Path, stage: str) -> Iterator[None]:
    started = time.time()
    yield
    path = Path(run_dir) / "timings.json"
    timings = read_json(path) if path.is_file() else {}
    timings[stage] = {"seconds": round(time.time() - started, 2), "peak_rss_gib": round(peak_rss_gib(), 3)}
    write_json_atomic(path, timings)
