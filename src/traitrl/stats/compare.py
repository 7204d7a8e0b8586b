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
from traitrl.stats.endpoint import battery, trait_sets
from traitrl.stats.load import LoadedRecord, load_record, require_eval_dir
from traitrl.stats.models import ArmComparison, ArmMeta, BenchmarkDelta, Comparison, MissingBenchmark
from traitrl.stats.multiple import benjamini_hochberg, holm
from traitrl.stats.paired import bootstrap_means, is_binary, paired_pvalue, percentile_ci, t_interval
from traitrl.stats.power import smallest_p
from traitrl.stats.settings import StatsSettings
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


def _pairing(refs: list, arms: list) -> list[tuple[int, int]]:
    """(reference index, arm index) per replicate: seed i with seed i, or one side broadcast to the other's seeds."""
    if len(refs) == len(arms):
        return [(i, i) for i in range(len(refs))]
    if len(refs) == 1 or len(arms) == 1:
        return [(0 if len(refs) == 1 else i, 0 if len(arms) == 1 else i) for i in range(max(len(refs), len(arms)))]
    raise DataError(f"{len(arms)} arm seeds cannot be paired with {len(refs)} reference seeds; give the reference "
                    "one seed, or as many seeds as the arm (seed i is paired with seed i)")


def direction(base: LoadedRecord | None, higher_is_better: bool) -> str:
    """'up_only' when the base model is at the worst end (only a gain can show), 'down_only' at the best end."""
    if base is None or not base.scores:
        return "both"
    values = np.array(list(base.scores.values()))
    if not np.all((values >= 0) & (values <= 1)):
        return "both"
    floor, ceiling = bool(np.all(values == 0)), bool(np.all(values == 1))
    if not (floor or ceiling):
        return "both"
    return "up_only" if floor == higher_is_better else "down_only"


def compare_benchmark(ref: LoadedRecord | list[LoadedRecord], seeds: list[LoadedRecord], rng: np.random.Generator,
                      n_boot: int, n_perm: int, base: LoadedRecord | None = None) -> BenchmarkDelta:
    """Delta, item-level bootstrap CI, paired p-value (unadjusted) and per-seed deltas for one benchmark.

    `ref` is one reference run, or one per seed (then arm seed i is paired with reference seed i). `base` (the
    untrained model) decides whether the benchmark sits at the floor or ceiling.
    """
    return _compare_benchmark(ref, seeds, rng, n_boot, n_perm, base)[0]


def _paired_ids(refs: LoadedRecord | list[LoadedRecord], seeds: list[LoadedRecord]) -> set[str]:
    """Items scored without error in every reference and arm run."""
    refs = refs if isinstance(refs, list) else [refs]
    return set(refs[0].scores).intersection(*(rec.scores for rec in [*refs[1:], *seeds]))


def _compare_benchmark(ref: LoadedRecord | list[LoadedRecord], seeds: list[LoadedRecord], rng: np.random.Generator,
                       n_boot: int, n_perm: int, base: LoadedRecord | None, one_arm_run: bool = False
                       ) -> tuple[BenchmarkDelta, np.ndarray]:
    """compare_benchmark plus the seeds × items matrix of signed differences (for the hierarchical bootstrap).
    `one_arm_run`: `seeds` is one trained run against several reference runs (stats.paired.seed_se)."""
    refs = ref if isinstance(ref, list) else [ref]
    for rec in [*refs[1:], *seeds]:
        _check_same_benchmark(refs[0], rec)
    s = refs[0].summary
    paired = _paired_ids(refs, seeds)
    if not paired:
        raise DataError(f"{refs[0].summary_path} vs {seeds[0].summary_path}: no item of {s.benchmark!r} was scored "
                        "without error in both runs; check item ids and errors")
    ids = sorted(paired)
    ref_scores = np.array([[rec.scores[i] for i in ids] for rec in refs])
    arm_scores = np.array([[rec.scores[i] for i in ids] for rec in seeds])
    ref_ids = set().union(*(rec.scores for rec in refs))
    arm_ids = set().union(*(rec.scores for rec in seeds))
    in_unit = bool(np.all((ref_scores >= 0) & (ref_scores <= 1)) and np.all((arm_scores >= 0) & (arm_scores <= 1)))
    # Signed and scaled once, here: everything downstream reads "positive = better" in pp (or metric points).
    factor = (1.0 if s.higher_is_better else -1.0) * (100.0 if in_unit else 1.0)
    pairs = _pairing(refs, seeds)
    matrix = factor * np.array([arm_scores[a] - ref_scores[r] for r, a in pairs])  # replicates × items
    diffs = matrix.mean(axis=0)
    boot = bootstrap_means(diffs, n_boot, rng)
    ci_low, ci_high = percentile_ci(boot)
    p, test = paired_pvalue(ref_scores.mean(axis=0), arm_scores.mean(axis=0), n_perm, rng)
    seed_deltas = matrix.mean(axis=1)
    seed_ci = t_interval(seed_deltas, one_arm_run=one_arm_run)
    delta = BenchmarkDelta(
        benchmark=s.benchmark, category=s.category, metric=s.metric, version=s.version,
        higher_is_better=s.higher_is_better, labels=list(s.labels), unit="pp" if in_unit else "points",
        n_paired=len(ids), n_unpaired_reference=len(ref_ids) - len(ids), n_unpaired_arm=len(arm_ids) - len(ids),
        n_errors_reference=sum(rec.n_errors for rec in refs), n_errors_arm=sum(rec.n_errors for rec in seeds),
        reference_score=float(ref_scores.mean()), arm_score=float(arm_scores.mean()), delta=float(diffs.mean()),
        ci_low=ci_low, ci_high=ci_high, se=float(boot.std(ddof=1)), test=test, p_value=p, p_holm=p, p_bh=p,
        seed_deltas=[float(x) for x in seed_deltas], one_arm_run=one_arm_run,
        seed_ci_low=seed_ci[0] if seed_ci else None, seed_ci_high=seed_ci[1] if seed_ci else None,
        binary=is_binary(ref_scores, arm_scores), direction=direction(base, s.higher_is_better),
        item_sd=float(diffs.std(ddof=1)) if len(ids) > 1 else 0.0, smallest_p=smallest_p(len(ids)))
    return delta, matrix


def read_arm_meta(runs: list[Path]) -> ArmMeta:
    """ArmMeta from `arm.json` in the arm's eval directories; seeds of one arm must agree."""
    found = {run: ArmMeta.model_validate(read_json(run / ARM_META_FILE))
             for run in runs if (run / ARM_META_FILE).is_file()}
    metas = list(found.values())
    if any(m != metas[0] for m in metas):
        raise DataError(f"{', '.join(str(r / ARM_META_FILE) for r in found)}: seeds of one arm disagree on arm "
                        "metadata; give every seed the same dose_frac, domains and method")
    return metas[0] if metas else ArmMeta()


def _adjust(family: list[BenchmarkDelta]) -> None:
    if family:
        p = np.array([d.p_value for d in family])
        for d, ph, pb in zip(family, holm(p), benjamini_hochberg(p), strict=True):
            d.p_holm, d.p_bh = float(ph), float(pb)


def _compare_arm(name: str, runs: list[Path], references: list[Path], ref_label: str,
                 ref_records: dict[str, list[LoadedRecord]], base_records: dict[str, LoadedRecord], meta: ArmMeta,
                 seed: int, n_boot: int, n_perm: int, settings: StatsSettings, untrained: Path | None
                 ) -> ArmComparison:
    """`untrained`: the untrained model's eval directory, whose one run has no run-to-run variance; any other arm
    with one run against several reference runs is a trained run whose own variance the intervals must carry."""
    names = {run: set(list_benchmark_records(run)) for run in runs}
    names.update({ref: set(ref_records) for ref in references})
    shared = sorted(set.intersection(*names.values()))
    missing = [MissingBenchmark(benchmark=b, absent_from=[str(r) for r, have in names.items() if b not in have])
               for b in sorted(set.union(*names.values())) if b not in shared]
    arm_records = {b: [load_record(run, b) for run in runs] for b in shared}
    # A benchmark whose items all errored in some run (e.g. a calibration set where no reply stated a confidence)
    # cannot be paired: it is listed with the reason, never dropped silently and never scored as 0.
    unpaired = [b for b in shared if not _paired_ids(ref_records[b], arm_records[b])]
    missing += [MissingBenchmark(benchmark=b, absent_from=[str(r) for r in [*references, *runs]],
                                 reason="no item scored without error in every run") for b in unpaired]
    one_arm_run = len(runs) == 1 < len(references) and (untrained is None or runs[0].resolve() != untrained.resolve())
    results = [_compare_benchmark(ref_records[b], arm_records[b], _rng(seed, name, b), n_boot, n_perm,
                                  base_records.get(b), one_arm_run) for b in shared if b not in unpaired]
    deltas = [d for d, _ in results]
    matrices = {d.benchmark: m for d, m in results}
    # Diagnostic benchmarks (no better answer, e.g. political lean) are shown but never counted as improvements;
    # one-direction benchmarks (base at floor or ceiling) are listed, not counted; the held-out trait sets answer
    # their own question. Each is its own family so none can dilute or inflate the battery's.
    scored = [d for d in deltas if DIAGNOSTIC not in d.labels]
    both = [d for d in scored if d.direction == "both"]
    for family in (battery(both), trait_sets(both),
                   [d for d in scored if d.direction != "both"], [d for d in deltas if DIAGNOSTIC in d.labels]):
        _adjust(family)
    summary = summarize_arm(name, ref_label, scored, missing, max(len(runs), len(references)), settings, matrices,
                            n_boot, _rng(seed, name, "primary endpoint"))
    return ArmComparison(name=name, runs=[str(r) for r in runs], meta=meta, deltas=deltas, missing=missing,
                         summary=summary)


def compare_runs(reference: Path | list[Path], arms: dict[str, list[Path]], seed: int = 0, n_boot: int = 2000, *,
                 n_perm: int = 9999, alpha: float = 0.05, meta: dict[str, ArmMeta] | None = None,
                 reference_name: str | None = None, base: Path | None = None,
                 settings: StatsSettings | None = None) -> Comparison:
    """Compare each arm (label → eval directories, one per seed) with the reference eval directory.

    `reference` is one eval directory, or one per seed: then arm seed i is paired with reference seed i (an arm
    with one run is compared with every reference seed). `base` is the untrained model's eval directory, which marks
    floor/ceiling benchmarks (else the first reference decides); as an arm it has no run-to-run variance, while any
    other one-run arm is a trained run, and its seed-level intervals are prediction intervals (paired.seed_se).
    `meta` gives each arm's dose/domains/method; arms not in it read `arm.json` from their eval directories.
    Adjusted p-values treat each arm's battery benchmarks as one family and its held-out trait sets as another.
    `settings` (else defaults with `alpha`) fixes the primary endpoint, correction, power and margins.
    """
    settings = settings or StatsSettings(alpha=alpha)
    if n_boot < 100 or n_perm < 99:
        raise ConfigError(f"n_boot={n_boot}, n_perm={n_perm}: need n_boot >= 100 and n_perm >= 99 for a "
                          "percentile CI and a p-value below 0.05 to be possible (defaults 2000, 9999)")
    references = [require_eval_dir(Path(r)) for r in (reference if isinstance(reference, list) else [reference])]
    if not arms:
        raise DataError("compare needs at least one arm besides the reference")
    shared_ref = sorted(set.intersection(*(set(list_benchmark_records(r)) for r in references)))
    ref_records = {b: [load_record(r, b) for r in references] for b in shared_ref}
    base_dir = require_eval_dir(Path(base)) if base is not None else references[0]
    base_records = {b: load_record(base_dir, b) for b in list_benchmark_records(base_dir)}
    ref_label = reference_name or references[0].name
    results = []
    for name, runs in arms.items():
        runs = [require_eval_dir(Path(r)) for r in runs]
        if not runs:
            raise DataError(f"arm {name!r} has no eval directory")
        arm_meta = (meta or {}).get(name) or read_arm_meta(runs)
        results.append(_compare_arm(name, runs, references, ref_label, ref_records, base_records, arm_meta,
                                    seed, n_boot, n_perm, settings, base_dir if base is not None else None))
    return Comparison(reference_name=ref_label, reference=str(references[0]), references=[str(r) for r in references],
                      alpha=settings.alpha, n_boot=n_boot, n_perm=n_perm, seed=seed, settings=settings, arms=results,
                      headline=results[0].summary.headline)
