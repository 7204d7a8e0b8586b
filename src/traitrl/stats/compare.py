"""compare_runs: every arm vs the reference (the compute-matched baseline), benchmark by benchmark, item by item.

Pairing is by item id within a benchmark. An arm with several seeds is compared on the items every seed scored:
the item-level CI and p-value use the seed-averaged item scores, and the seed-level interval uses one delta per seed.
Nothing is dropped silently: unpaired and errored items are counted per benchmark, missing benchmarks are listed.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from traitrl._util.errors import ConfigError, DataError
from traitrl._util.io import read_json
from traitrl.evals.record import list_benchmark_records
from traitrl.stats.load import LoadedRecord, load_record, require_eval_dir
from traitrl.stats.models import ArmComparison, ArmMeta, BenchmarkDelta, Comparison, MissingBenchmark
from traitrl.stats.multiple import benjamini_hochberg, holm
from traitrl.stats.paired import bootstrap_means, paired_pvalue, percentile_ci, t_interval
from traitrl.stats.summary import summarize_arm

ARM_META_FILE = "arm.json"
_MUST_MATCH = ("version", "higher_is_better", "category", "metric")


DIAGNOSTIC = "diagnostic"


def _rng(seed: int, *names: str) -> np.random.Generator:
    # Keyed by name, not loop position, so adding an arm or a benchmark leaves every other result unchanged.
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def _check_same_benchmark(ref: LoadedRecord, arm: LoadedRecord) -> None:
    for key in _MUST_MATCH:
        a, b = getattr(ref.summary, key), getattr(arm.summary, key)
        if a != b:
            raise DataError(f"{arm.summary_path}: benchmark {ref.summary.benchmark!r} has {key} {b!r} but the "
                            f"reference {ref.summary_path} has {a!r}; re-run both with the same benchmark version")


def compare_benchmark(ref: LoadedRecord, seeds: list[LoadedRecord], rng: np.random.Generator,
                      n_boot: int, n_perm: int) -> BenchmarkDelta:
    """Delta, item-level bootstrap CI, paired p-value (unadjusted) and per-seed deltas for one benchmark."""
    for rec in seeds:
        _check_same_benchmark(ref, rec)
    s = ref.summary
    paired = set(ref.scores).intersection(*(rec.scores for rec in seeds))
    if not paired:
        raise DataError(f"{ref.summary_path} vs {seeds[0].summary_path}: no item of {s.benchmark!r} was scored "
                        "without error in both runs; check item ids and errors")
    ids = sorted(paired)
    ref_scores = np.array([ref.scores[i] for i in ids])
    arm_scores = np.array([[rec.scores[i] for i in ids] for rec in seeds])
    arm_ids = set().union(*(rec.scores for rec in seeds))
    in_unit = bool(np.all((ref_scores >= 0) & (ref_scores <= 1)) and np.all((arm_scores >= 0) & (arm_scores <= 1)))
    # Signed and scaled once, here: everything downstream reads "positive = better" in pp (or metric points).
    factor = (1.0 if s.higher_is_better else -1.0) * (100.0 if in_unit else 1.0)
    arm_mean = arm_scores.mean(axis=0)
    diffs = factor * (arm_mean - ref_scores)
    boot = bootstrap_means(diffs, n_boot, rng)
    ci_low, ci_high = percentile_ci(boot)
    p, test = paired_pvalue(ref_scores, arm_mean, n_perm, rng)
    seed_deltas = (factor * (arm_scores - ref_scores)).mean(axis=1)
    seed_ci = t_interval(seed_deltas)
    return BenchmarkDelta(
        benchmark=s.benchmark, category=s.category, metric=s.metric, version=s.version,
        higher_is_better=s.higher_is_better, labels=list(s.labels), unit="pp" if in_unit else "points",
        n_paired=len(ids), n_unpaired_reference=len(ref.scores) - len(ids), n_unpaired_arm=len(arm_ids) - len(ids),
        n_errors_reference=ref.n_errors, n_errors_arm=sum(rec.n_errors for rec in seeds),
        reference_score=float(ref_scores.mean()), arm_score=float(arm_mean.mean()), delta=float(diffs.mean()),
        ci_low=ci_low, ci_high=ci_high, se=float(boot.std(ddof=1)), test=test, p_value=p, p_holm=p, p_bh=p,
        seed_deltas=[float(x) for x in seed_deltas],
        seed_ci_low=seed_ci[0] if seed_ci else None, seed_ci_high=seed_ci[1] if seed_ci else None)


def read_arm_meta(runs: list[Path]) -> ArmMeta:
    """ArmMeta from `arm.json` in the arm's eval directories; seeds of one arm must agree."""
    found = {run: ArmMeta.model_validate(read_json(run / ARM_META_FILE))
             for run in runs if (run / ARM_META_FILE).is_file()}
    metas = list(found.values())
    if any(m != metas[0] for m in metas):
        raise DataError(f"{', '.join(str(r / ARM_META_FILE) for r in found)}: seeds of one arm disagree on arm "
                        "metadata; give every seed the same dose_frac, domains and method")
    return metas[0] if metas else ArmMeta()


def _compare_arm(name: str, runs: list[Path], reference: Path, ref_label: str, ref_records: dict[str, LoadedRecord],
                 meta: ArmMeta, seed: int, n_boot: int, n_perm: int, alpha: float) -> ArmComparison:
    names = {run: set(list_benchmark_records(run)) for run in runs}
    names[reference] = set(ref_records)
    shared = sorted(set.intersection(*names.values()))
    missing = [MissingBenchmark(benchmark=b, absent_from=[str(r) for r, have in names.items() if b not in have])
               for b in sorted(set.union(*names.values())) if b not in shared]
    deltas = [compare_benchmark(ref_records[b], [load_record(run, b) for run in runs], _rng(seed, name, b),
                                n_boot, n_perm) for b in shared]
    # Diagnostic benchmarks (no better answer, e.g. political lean) are shown but never counted as improvements,
    # and form their own multiple-comparison family so they cannot dilute or inflate the scored one.
    scored = [d for d in deltas if DIAGNOSTIC not in d.labels]
    for family in (scored, [d for d in deltas if DIAGNOSTIC in d.labels]):
        if not family:
            continue
        p = np.array([d.p_value for d in family])
        for d, ph, pb in zip(family, holm(p), benjamini_hochberg(p), strict=True):
            d.p_holm, d.p_bh = float(ph), float(pb)
    summary = summarize_arm(name, ref_label, scored, missing, len(runs), alpha)
    return ArmComparison(name=name, runs=[str(r) for r in runs], meta=meta, deltas=deltas, missing=missing,
                         summary=summary)


def compare_runs(reference: Path, arms: dict[str, list[Path]], seed: int = 0, n_boot: int = 2000, *,
                 n_perm: int = 9999, alpha: float = 0.05, meta: dict[str, ArmMeta] | None = None,
                 reference_name: str | None = None) -> Comparison:
    """Compare each arm (label → eval directories, one per seed) with the reference eval directory.

    `meta` gives each arm's dose/domains/method; arms not in it read `arm.json` from their eval directories.
    Adjusted p-values treat each arm's benchmarks as one family.
    """
    if n_boot < 100 or n_perm < 99:
        raise ConfigError(f"n_boot={n_boot}, n_perm={n_perm}: need n_boot >= 100 and n_perm >= 99 for a "
                          "percentile CI and a p-value below 0.05 to be possible (defaults 2000, 9999)")
    reference = require_eval_dir(Path(reference))
    if not arms:
        raise DataError("compare needs at least one arm besides the reference")
    ref_records = {b: load_record(reference, b) for b in list_benchmark_records(reference)}
    ref_label = reference_name or reference.name
    results = []
    for name, runs in arms.items():
        runs = [require_eval_dir(Path(r)) for r in runs]
        if not runs:
            raise DataError(f"arm {name!r} has no eval directory")
        arm_meta = (meta or {}).get(name) or read_arm_meta(runs)
        results.append(_compare_arm(name, runs, reference, ref_label, ref_records, arm_meta,
                                    seed, n_boot, n_perm, alpha))
    return Comparison(reference_name=ref_label, reference=str(reference), alpha=alpha,
                      n_boot=n_boot, n_perm=n_perm, seed=seed, arms=results, headline=results[0].summary.headline)
