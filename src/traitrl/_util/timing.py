"""Wall time and peak RSS per stage, appended to DIR/timings.json as each stage ends (so a killed run keeps them).

A resumed run adds an attempt instead of overwriting: a stage's `seconds` is the total over its attempts (a stage
found finished costs ~0 s) and `peak_rss_gib` the maximum, with each attempt kept under `attempts`.
"""

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
    previous = timings.get(stage, {})
    attempts = [*previous.get("attempts", [previous] if previous else []),
                {"seconds": round(time.time() - started, 2), "peak_rss_gib": round(peak_rss_gib(), 3)}]
    timings[stage] = {"seconds": round(sum(a["seconds"] for a in attempts), 2),
                      "peak_rss_gib": max(a["peak_rss_gib"] for a in attempts), "attempts": attempts}
    write_json_atomic(path, timings)
