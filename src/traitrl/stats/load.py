"""Read eval directories for comparison, and find the arms inside study run directories.

An eval directory holds `<benchmark>.json` + `<benchmark>.jsonl` pairs (evals.record). A study run directory holds
`evals/<arm>/`, where each arm folder is either an eval directory (one seed) or holds one eval directory per seed
(`evals/trait/seed0/`, `evals/trait/seed1/`). An eval directory may carry `arm.json` (ArmMeta) for sweeps.
`resolve_runs` turns the `traitrl compare` arguments into a reference and arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from traitrl._util.errors import ConfigError, DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.record import BenchmarkSummary, list_benchmark_records, read_benchmark_record


@dataclass
class LoadedRecord:
    """One benchmark of one run: its summary, the error-free scores by item id, and how many items errored."""

    summary: BenchmarkSummary
    summary_path: Path
    scores: dict[str, float]
    n_errors: int


def _line_of(path: Path, item_id: str, occurrence: int) -> int:
    """Line number of the `occurrence`-th row with `item_id`; only called to word an error message."""
    seen = 0
    for lineno, row in iter_jsonl(path):
        if row.get("item_id") == item_id:
            seen += 1
            if seen == occurrence:
                return lineno
    return 0


def load_record(eval_dir: Path, benchmark: str) -> LoadedRecord:
    """Read one benchmark record; duplicate ids, and missing or non-finite scores without an error, raise DataError."""
    summary, items = read_benchmark_record(eval_dir, benchmark)
    jsonl = eval_dir / f"{benchmark}.jsonl"
    scores: dict[str, float] = {}
    errored: set[str] = set()
    for item in items:
        if item.item_id in scores or item.item_id in errored:
            raise DataError(f"{jsonl}:{_line_of(jsonl, item.item_id, 2)}: item id {item.item_id!r} appears twice; "
                            "each item must be scored once per run")
        if item.error is not None:
            errored.add(item.item_id)
        elif item.score is None or not math.isfinite(item.score):
            raise DataError(f"{jsonl}:{_line_of(jsonl, item.item_id, 1)}: item {item.item_id!r} has score "
                            f"{item.score!r} and no `error`; a failed item must say why in `error`")
        else:
            scores[item.item_id] = float(item.score)
    return LoadedRecord(summary, eval_dir / f"{benchmark}.json", scores, len(errored))


def is_eval_dir(path: Path) -> bool:
    return path.is_dir() and bool(list_benchmark_records(path))


def require_eval_dir(path: Path) -> Path:
    """An eval directory whose records all come from one model (one weights fingerprint, else one model name)."""
    if not is_eval_dir(path):
        raise DataError(f"{path}: no benchmark records (<benchmark>.json + <benchmark>.jsonl); "
                        "pass an eval directory written by `traitrl eval`")
    models: dict[str, str] = {}
    for name in list_benchmark_records(path):
        summary = read_benchmark_record(path, name)[0]
        models.setdefault(summary.weights_fingerprint or summary.model, name)
    if len(models) > 1:
        first, second = list(models.values())[:2]
        raise DataError(f"{path}: records of different models ({first}.json and {second}.json); "
                        "a run directory must hold one model's records")
    return path


def find_arms(run: str | Path) -> dict[str, list[Path]]:
    """Arm label → eval directories (one per seed) for RUN given to `traitrl compare`.

    RUN is an eval directory (label = folder name, or LABEL=PATH), or a study run directory with `arms/<arm>/evals`
    (written by `traitrl run`) or `evals/<arm>/` (one folder per arm, seeds in subfolders).
    """
    label, sep, path_text = str(run).partition("=")
    if not sep or not label or "/" in label or Path(run).exists():  # '=' inside a path (runs/lr=1e-5) is no label
        label, path_text = "", str(run)
    path = Path(path_text)
    if is_eval_dir(path):
        return {label or path.name: [path]}
    if (path / "arms").is_dir():  # a `traitrl run` directory: arms/<arm>/evals
        return {f"{label}{'/' if label else ''}{arm.name}": [arm / "evals"]
                for arm in sorted((path / "arms").iterdir()) if is_eval_dir(arm / "evals")}
    evals = path / "evals"
    if not evals.is_dir():
        raise DataError(f"{path}: neither an eval directory (<benchmark>.json + .jsonl) nor a study run directory "
                        "(arms/<arm>/evals or evals/<arm>/); check the path")
    arms: dict[str, list[Path]] = {}
    for arm_dir in sorted(p for p in evals.iterdir() if p.is_dir()):
        seeds = [arm_dir] if is_eval_dir(arm_dir) else sorted(p for p in arm_dir.iterdir() if is_eval_dir(p))
        if not seeds:
            raise DataError(f"{arm_dir}: arm folder has no benchmark records, directly or in seed subfolders")
        arms[f"{label}{'/' if label else ''}{arm_dir.name}"] = seeds
    if not arms:
        raise DataError(f"{evals}: no arm folders; expected evals/<arm>/ with benchmark records")
    return arms


def resolve_runs(runs: list[str | Path],
                 reference_label: str = "baseline") -> tuple[str, Path, dict[str, list[Path]]]:
    """(reference label, reference eval dir, arm label → eval dirs) from `traitrl compare` RUN arguments.

    The first RUN gives the reference: its only arm, or its `reference_label` arm. Its other arms, and every arm of
    later RUNs, are compared; the same label from several RUNs collects seeds of one arm.
    """
    arms = find_arms(runs[0])
    if reference_label in arms:
        ref_label = reference_label
    elif len(arms) == 1:
        ref_label = next(iter(arms))
    else:
        raise ConfigError(f"{runs[0]}: no arm {reference_label!r} to use as reference; arms there: "
                          f"{', '.join(sorted(arms))}. Pass --reference LABEL")
    ref_dirs = arms.pop(ref_label)
    if len(ref_dirs) != 1:
        raise ConfigError(f"reference arm {ref_label!r} has {len(ref_dirs)} seeds ({', '.join(map(str, ref_dirs))}); "
                          "pass one seed's eval directory as the first RUN")
    seen = {d.resolve() for dirs in (ref_dirs, *arms.values()) for d in dirs}
    for run in runs[1:]:
        for label, dirs in find_arms(run).items():
            for d in dirs:
                if d.resolve() in seen:
                    raise DataError(f"{d}: eval directory given twice; each seed must be a separate run")
                seen.add(d.resolve())
            arms.setdefault(label, []).extend(dirs)
    if not arms:
        raise ConfigError("nothing to compare: give at least one arm besides the reference")
    return ref_label, ref_dirs[0], arms
