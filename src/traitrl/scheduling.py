"""How a study's runs share a Ray cluster: memory reservations per task (`traitrl run --ray --train-memory
PATTERN=GIB --eval-memory GIB`).

With `--ray` every run is two tasks, training and then evaluation, each in a fresh worker process, so an evaluation
does not inherit the heap its training grew. A task may reserve memory; Ray then starts it only on a node whose
unreserved memory covers it (memory-aware scheduling), so two runs whose peaks together would pass the node's memory
never start together. Without a reservation, Ray's memory monitor kills a worker once the node passes 95 % of its
memory and retries the task from the start, and a study whose runs never fit together loses a core to kills and
retries. Reservations are scheduling hints: they change which tasks run at once, never a result.

Price a reservation from a measured peak: each run's `timings.json` keeps every stage's peak RSS (`traitrl status`).
"""

from __future__ import annotations

import fnmatch
import os
import resource

from pydantic import BaseModel, Field

from traitrl._util.errors import ConfigError

GIB = 2**30
RAY_MEMORY_THRESHOLD = 0.95  # Ray's memory monitor kills workers above this share of the node's memory (its default)
RAY_PROCESSES_GIB = 1.0  # what the raylet, GCS, dashboard agent and log monitor hold on a local runtime (measured ~0.5)


class TaskMemory(BaseModel):
    """Memory each Ray task reserves, in GiB. `train`: (run-name pattern, GiB) pairs, the first pattern that
    matches a run's name applies (fnmatch, e.g. 'trait-*', '*'); a run that no pattern matches reserves nothing.
    `eval`: what every evaluation task reserves; None reserves nothing."""

    train: list[tuple[str, float]] = Field(default_factory=list)
    eval: float | None = Field(None, gt=0)

    def train_gib(self, run: str) -> float | None:
        return next((gib for pattern, gib in self.train if fnmatch.fnmatchcase(run, pattern)), None)

    def check(self, runs: list[str], node_gib: float | None) -> None:
        """One clear error before any work: a pattern that matches no run (a typo would silently reserve nothing),
        a reservation that is not positive, and one larger than the node can ever grant (its task would never
        start)."""
        for pattern, gib in self.train:
            if gib <= 0:
                raise ConfigError(f"--train-memory {pattern}={gib}: the reservation must be positive (GiB)")
            if not any(fnmatch.fnmatchcase(run, pattern) for run in runs):
                raise ConfigError(f"--train-memory {pattern}={gib}: {pattern!r} matches no run of this study "
                                  f"({', '.join(runs)})")
        if node_gib is None:
            return
        asked = [(f"training of {run}", self.train_gib(run)) for run in runs] + [("every evaluation", self.eval)]
        for what, gib in asked:
            if gib is not None and gib > node_gib:
                raise ConfigError(f"{what} reserves {gib:g} GiB, more than this machine's Ray runtime can grant "
                                  f"({node_gib:.1f} GiB); it would never start")

    def options(self, gib: float | None) -> dict:
        return {} if gib is None else {"memory": int(gib * GIB)}


def parse_train_memory(values: list[str]) -> list[tuple[str, float]]:
    """'PATTERN=GIB' strings (the CLI's --train-memory) as (pattern, GiB) pairs."""
    pairs = []
    for value in values:
        pattern, _, gib = value.rpartition("=")
        try:
            number = float(gib)
        except ValueError:
            number = None
        if not pattern or number is None:
            raise ConfigError(f"--train-memory {value!r}: expected PATTERN=GIB, e.g. 'trait-*=14' or '*=9'")
        pairs.append((pattern, number))
    return pairs


def local_runtime_memory_gib() -> float:
    """What a local Ray runtime may hand out: the memory below the monitor's kill threshold, less what the driver
    (this process) and Ray's own processes hold. Ray's default, 70 % of the memory free at start, would leave a
    small machine's largest runs unable to start at all."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return RAY_MEMORY_THRESHOLD * total - driver - RAY_PROCESSES_GIB
