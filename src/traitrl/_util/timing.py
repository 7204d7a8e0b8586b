"""Wall time and peak RSS per stage, in DIR/timings.json, kept while the stage runs (so a killed run keeps them).

Each attempt at a stage is recorded when it starts and refreshed every `HEARTBEAT_SECONDS`, so an attempt that was
killed outright (SIGKILL, a machine's session ending) still counts up to its last heartbeat: its status stays
"running" until the next attempt at that stage marks it "killed". A stage's `seconds` is the total over its attempts
(a stage found finished costs ~0 s) and `peak_rss_gib` the maximum; `killed_attempts` says how many totals are short
by up to one heartbeat each.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitrl._util.io import read_json, write_json_atomic

HEARTBEAT_SECONDS = 60.0
_LOCK = threading.Lock()  # the heartbeat thread and the stage's own writes share the file


def peak_rss_gib() -> float:
    # ru_maxrss is KiB on Linux; children count too, so subprocess work (sandboxed code) is included.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 2**20


def _write_attempt(path: Path, stage: str, started: float, status: str) -> None:
    """Insert or refresh this process's attempt (found by its start time) and recompute the stage's totals."""
    with _LOCK:
        timings = read_json(path) if path.is_file() else {}
        previous = timings.get(stage, {})
        attempts = list(previous.get("attempts", [previous] if previous else []))
        mine = {"started_unix": round(started, 3), "seconds": round(time.time() - started, 2),
                "peak_rss_gib": round(peak_rss_gib(), 3), "status": status}
        index = next((i for i, a in enumerate(attempts) if a.get("started_unix") == mine["started_unix"]), None)
        if index is None:  # a new attempt: whatever still says "running" was killed at its last heartbeat
            attempts = [{**a, "status": "killed"} if a.get("status") == "running" else a for a in attempts]
            attempts.append(mine)
        else:
            attempts[index] = mine
        timings[stage] = {"seconds": round(sum(a["seconds"] for a in attempts), 2),
                          "peak_rss_gib": max(a["peak_rss_gib"] for a in attempts),
                          "killed_attempts": sum(a.get("status") == "killed" for a in attempts),
                          "attempts": attempts}
        write_json_atomic(path, timings)


@contextmanager
def timed_stage(run_dir: Path, stage: str, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    path, started, done = Path(run_dir) / "timings.json", time.time(), threading.Event()
    _write_attempt(path, stage, started, "running")

    def beat() -> None:
        while not done.wait(heartbeat_seconds):
            _write_attempt(path, stage, started, "running")

    thread = threading.Thread(target=beat, name=f"timing-{stage}", daemon=True)
    thread.start()
    status = "failed"
    try:
        yield
        status = "done"
    finally:
        done.set()
        thread.join()
        _write_attempt(path, stage, started, status)


def finished_stage(timings: dict, stage: str) -> dict:
    """The stage's totals when its last attempt ended normally, else {}: a stage still running (or killed) has
    partial totals, which would price a whole stage at a fraction of its cost."""
    entry = timings.get(stage) or {}
    attempts = entry.get("attempts") or [entry]
    return entry if entry and attempts[-1].get("status", "done") == "done" else {}
