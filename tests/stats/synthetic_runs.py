"""Synthetic eval directories for stats and report tests: binary per-item scores with a chosen shift."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from traitrl._util.io import write_json_atomic
from traitrl.evals.benchmark import CATEGORIES
from traitrl.evals.record import BenchmarkSummary, ItemScore, write_benchmark_record


def write_benchmark(out_dir: Path, name: str, scores, *, category: str = "fairness", higher_is_better: bool = True,
                    version: int = 1, ids: list[str] | None = None, errors: set[str] = frozenset(),
                    labels: tuple[str, ...] = ()) -> Path:
    """One benchmark record; items in `errors` get score None plus an error message."""
    ids = ids or [f"{name}-{i}" for i in range(len(scores))]
    items = [ItemScore(item_id=i, prompt_hash="h", score=None if i in errors else float(s),
                       error="judge timeout" if i in errors else None) for i, s in zip(ids, scores, strict=True)]
    ok = [it.score for it in items if it.score is not None]
    summary = BenchmarkSummary(benchmark=name, version=version, category=category, metric="acc",
                               higher_is_better=higher_is_better, model=out_dir.name, n_items=len(items),
                               n_errors=len(errors), score=float(np.mean(ok)) if ok else None, labels=list(labels))
    return write_benchmark_record(out_dir, summary, items)


def write_study(root: Path, n_benchmarks: int = 12, n_items: int = 300, shift: float = 0.08, n_seeds: int = 1,
                arms: dict[str, dict] | None = None, seed: int = 0) -> tuple[Path, dict[str, list[Path]]]:
    """A baseline eval dir plus arms (name → arm.json meta) whose per-item success rate is higher by `shift`.

    Benchmarks cycle through CATEGORIES; every third is lower-is-better (scores flipped, so it still improves).
    """
    rng = np.random.default_rng(seed)
    arms = arms or {"trait": {"dose_frac": 0.05, "method": "trait_rl"}}
    base_p = rng.uniform(0.3, 0.7, size=(n_benchmarks, n_items))
    specs = [(f"bench{b:02d}", CATEGORIES[b % len(CATEGORIES)], b % 3 != 2) for b in range(n_benchmarks)]

    def write_dir(out: Path, shift_here: float) -> None:
        for (name, cat, hib), p in zip(specs, base_p, strict=True):
            good = rng.random(n_items) < np.clip(p + shift_here, 0, 1)
            write_benchmark(out, name, good if hib else ~good, category=cat, higher_is_better=hib,
                            labels=("health",) if cat == "health" else ())

    reference = root / "evals" / "baseline"
    write_dir(reference, 0.0)
    runs = {}
    for k, (arm, meta) in enumerate(arms.items()):
        runs[arm] = []
        for s in range(n_seeds):
            out = root / "evals" / arm / f"seed{s}" if n_seeds > 1 else root / "evals" / arm
            write_dir(out, shift * (k + 1))
            write_json_atomic(out / "arm.json", meta)
            runs[arm].append(out)
    return reference, runs
