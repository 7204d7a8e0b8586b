"""Run benchmarks on one model and write one record per benchmark: `run_benchmarks(model, "all", out_dir)`.

MC benchmarks are scored by log-likelihood (evals.mc), generative ones by generating replies (models.generate) and
calling the benchmark's `score_response` or `protocol`. Everything is keyed by content, never by a path: model
outputs and per-item results are cached under `<cache>/<weights fingerprint>/` (default ~/.cache/traitrl/evals,
shared by every study), item results keyed by (benchmark, version, item hash, scorer), appended batch by batch. A
killed run resumes where it stopped, and a second evaluation of the same weights reuses every item (cache hits are
counted in the record). A record is reused only when its weights fingerprint, version, scorer and items all match;
an `--out` folder holds one model's records, and refuses those of other weights.
Prompts and replies never go to the log (several benchmarks hold harmful text); they are only in the records.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitrl._util.errors import ConfigError, DataError, TraitrlError
from traitrl._util.fingerprint import scorer_fingerprint
from traitrl._util.io import stable_hash, write_json_atomic
from traitrl._util.manifest import write_manifest
from traitrl.evals.benchmark import (BENCHMARKS, CATEGORIES, Benchmark, GenItem, MCItem, get_benchmark,
                                    register_benchmark_ref)
from traitrl.evals.data_dir import benchmark_dir
from traitrl.evals.inspect_interop import INSPECT_PREFIX, LOG_FORMATS
from traitrl.evals.record import (BenchmarkSummary, ItemScore, clear_benchmark_records, list_benchmark_records,
                                  read_benchmark_record, write_benchmark_record)
from traitrl.evals.sandbox import SandboxUnavailable
from traitrl.models import GenParams, LoglikelihoodUnsupported, Model, get_model

if TYPE_CHECKING:
    from traitrl.evals.judge_protocols import JudgeConfig

NOT_RUN_FILE = "not_run.json"
# Requests scored (or conversations generated) between two cache appends: the most a killed run loses.
CACHE_CHUNK = 256


def select_benchmarks(selection: str | list[str]) -> list[str]:
    """Names for "all", "mc"/"gen", a category, a label ("health"), a name, or a list / comma-separated mix."""
    import traitrl.evals.benchmarks  # noqa: F401  (registers every family)

    parts = selection if isinstance(selection, list) else [s.strip() for s in selection.split(",") if s.strip()]
    if not parts:
        raise ConfigError("no benchmarks selected; give 'all', a category, a label or benchmark names")
    chosen: list[str] = []
    for part in parts:
        if part.startswith(INSPECT_PREFIX):  # an Inspect task, resolved by Inspect when it runs
            found = [part]
        elif ":" in part:  # package.module:factory, a zero-argument function returning a Benchmark
            found = [register_benchmark_ref(part)]
        elif part == "all":
            found = list(BENCHMARKS)
        elif part in BENCHMARKS:
            found = [part]
        else:
            specs = {name: get_benchmark(name) for name in BENCHMARKS}
            found = [n for n, b in specs.items() if part in (b.category, b.format) or part in b.labels]
            if not found:
                if part in CATEGORIES:
                    raise ConfigError(f"category {part!r} has no registered benchmark yet")
                get_benchmark(part)  # raises with "did you mean"
        chosen += [n for n in found if n not in chosen]
    return chosen


def sample_items(items: list, limit: int | None, seed: int, name: str) -> list:
    """A seeded sample of `limit` items in their original order (each benchmark draws its own sample).

    Items that carry meta["stratum"] (persona answer polarity, BBQ context condition) are drawn in equal numbers
    from each stratum (as far as each has items), so a small sample cannot tilt towards one answer and reward a
    response prior such as always saying Yes.
    """
    if limit is None or limit >= len(items):
        return items
    if limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")
    rng = random.Random(f"{seed}:{name}")
    strata: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        strata.setdefault(str(getattr(it, "meta", {}).get("stratum", "")), []).append(i)
    if len(strata) == 1:
        return [items[i] for i in sorted(rng.sample(range(len(items)), limit))]
    queues = [rng.sample(idx, len(idx)) for _, idx in sorted(strata.items())]
    keep: list[int] = []
    while len(keep) < limit:  # round-robin over the shuffled strata: equal counts while each lasts
        for queue in queues:
            if queue and len(keep) < limit:
                keep.append(queue.pop())
    return [items[i] for i in sorted(keep)]


def default_cache_dir() -> Path:
    """Where per-item results live: $TRAITRL_EVAL_CACHE, else ~/.cache/traitrl/evals (shared across studies)."""
    return Path(os.environ.get("TRAITRL_EVAL_CACHE", "~/.cache/traitrl/evals")).expanduser()


class OutputCache:
    """Append-only JSONL of {key: output} for one benchmark and model. A torn last line (killed run) is cut off."""

    def __init__(self, path: Path):
        self.path, self.values = path, {}
        if not path.is_file():
            return
        data = path.read_bytes()
        complete = data[:data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            # A kill mid-append left half a line: cut it off, or the next append would continue it.
            with path.open("r+b") as f:
                f.truncate(len(complete))
        bad = []
        for lineno, line in enumerate(complete.decode("utf-8", errors="replace").split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                self.values[row["key"]] = row["value"]
            except (json.JSONDecodeError, KeyError, TypeError):
                bad.append(lineno)
        if bad:  # e.g. two processes appending at once; a cache line lost only costs recomputing it
            warnings.warn(f"{path}: {len(bad)} unreadable cache line(s) (first: line {bad[0]}) ignored; "
                          "those items are recomputed", stacklevel=2)

    def add(self, new: dict[str, Any]) -> None:
        self.values.update(new)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write("".join(json.dumps({"key": k, "value": v}, ensure_ascii=False) + "\n" for k, v in new.items()))


def _mc_item_scores(bench: Benchmark, items: list[MCItem], lm: Model, cache: OutputCache,
                    batch_size: int, precision: str = "fp32") -> list[ItemScore]:
    from traitrl.evals.mc import counterbalanced_twin, metric_value

    twins = [counterbalanced_twin(it) for it in items]
    texts = {}  # cache key → (context text, choices)
    keys = []
    for it, twin in zip(items, twins, strict=True):
        keys.append([])
        for variant in (it, twin) if twin else (it,):
            text = variant.context if isinstance(variant.context, str) else lm.render_chat(variant.context)
            # fp32 keys stay as they were, so caches written before bf16 scoring existed remain valid.
            key = stable_hash(text, variant.choices) if precision == "fp32" else stable_hash(text, variant.choices,
                                                                                              precision)
            texts[key] = (text, variant.choices)
            keys[-1].append(key)
    todo = [k for k in texts if k not in cache.values]
    for lo in range(0, len(todo), CACHE_CHUNK):
        chunk = todo[lo:lo + CACHE_CHUNK]
        args = ([texts[k][0] for k in chunk], [list(texts[k][1]) for k in chunk])
        lls = lm.loglikelihood(*args) if precision == "fp32" else lm.loglikelihood(*args, precision=precision)
        cache.add(dict(zip(chunk, lls, strict=True)))
    scores = []
    for it, twin, item_keys in zip(items, twins, keys, strict=True):
        lls = cache.values[item_keys[0]]
        value = metric_value(bench.mc_metric, lls, it.choices, it.gold)
        meta: dict[str, Any] = {k: v for k, v in it.meta.items() if k != "swapped_context"}
        meta["pred"] = max(range(len(lls)), key=lls.__getitem__)
        if "biased_choices" in it.meta:
            meta["biased_choice"] = meta["pred"] in it.meta["biased_choices"]
        if twin:
            twin_lls = cache.values[item_keys[1]]
            twin_value = metric_value(bench.mc_metric, twin_lls, twin.choices, twin.gold)
            meta.update(twin_choice_scores=twin_lls, order_scores=[value, twin_value],
                        twin_pred=max(range(len(twin_lls)), key=twin_lls.__getitem__))
            # Position bias: 1 per order in which the earlier-listed letter won (0.5 on average = no bias).
            meta["first_letter_rate"] = ((meta["pred"] == 0) + (meta["twin_pred"] == 0)) / 2
            value = (value + twin_value) / 2
        scores.append(ItemScore(item_id=it.id, prompt_hash=item_keys[0], score=value, choice_scores=lls, meta=meta))
    return scores


def _cached_responder(lm: Model, cache: OutputCache, max_new_tokens: int, batch_size: int):
    def respond(conversations: list[list[dict[str, str]]]) -> list[str]:
        keys = [stable_hash(c, max_new_tokens) for c in conversations]
        todo = list(dict.fromkeys(k for k in keys if k not in cache.values))
        by_key = dict(zip(keys, conversations, strict=True))
        for lo in range(0, len(todo), CACHE_CHUNK):
            chunk = todo[lo:lo + CACHE_CHUNK]
            replies = lm.generate([by_key[k] for k in chunk], GenParams(max_new_tokens, batch_size=batch_size))
            cache.add(dict(zip(chunk, replies, strict=True)))
        return [cache.values[k] for k in keys]

    return respond


def _judged_item_scores(bench: Benchmark, items: list[GenItem], hashes: list[str], replies: list[str],
                        judge) -> list[ItemScore]:
    from traitrl.evals.judge_protocols import judge_scores

    scorer = scorer_id(bench, judge)
    return [ItemScore(item_id=it.id, prompt_hash=h, score=score, response=reply, error=error,
                      meta={**it.meta, "scorer": scorer})
            for it, h, reply, (score, error) in zip(items, hashes, replies,
                                                    judge_scores(bench.judge_protocol, items, replies, judge),
                                                    strict=True)]


def _gen_item_scores(bench: Benchmark, items: list[GenItem], lm: Model, cache: OutputCache,
                     batch_size: int, judge=None) -> list[ItemScore]:
    respond = _cached_responder(lm, cache, bench.max_new_tokens, batch_size)
    hashes = [stable_hash(it.messages, bench.max_new_tokens) for it in items]
    if bench.protocol is not None:
        results = bench.protocol(items, respond)
        return [ItemScore(item_id=it.id, prompt_hash=h, score=score, response=transcript, meta=dict(it.meta))
                for it, h, (score, transcript) in zip(items, hashes, results, strict=True)]
    if bench.score_response is None:
        raise ConfigError(f"generative benchmark {bench.name!r} defines neither score_response nor protocol")
    replies = respond([it.messages for it in items])
    if judge is not None and bench.judge_protocol:
        return _judged_item_scores(bench, items, hashes, replies, judge)
    scores = []
    for it, h, reply in zip(items, hashes, replies, strict=True):
        try:
            scores.append(ItemScore(item_id=it.id, prompt_hash=h, score=bench.score_response(it, reply),
                                    response=reply, meta=dict(it.meta)))
        except SandboxUnavailable:
            raise
        except TraitrlError as e:  # a judge failed after retries, or Unscorable: counted, never scored 0
            scores.append(ItemScore(item_id=it.id, prompt_hash=h, score=None, response=reply, error=str(e),
                                    meta=dict(it.meta)))
    return scores


def first_letter_rate(scores: list[ItemScore]) -> float | None:
    """Share of counterbalanced orders in which the earlier-listed letter won: 0.5 = no position bias."""
    rates = [s.meta["first_letter_rate"] for s in scores if "first_letter_rate" in s.meta]
    return sum(rates) / len(rates) if rates else None


def compute_tag(lm: Model | None) -> str:
    """'' for outputs computed on a CPU (or by a remote endpoint, whose fingerprint names it), else '@<device>':
    a GPU's log-likelihoods and greedy replies differ from the CPU's by float rounding, so they never share a cache
    entry or a record with them. CPU keys carry no tag, so caches written before the GPU path stay valid."""
    compute = getattr(lm, "compute", None)
    return "" if compute in (None, "cpu") else f"@{compute}"


def scorer_id(bench: Benchmark, judge=None, precision: str = "fp32", lm: Model | None = None) -> str:
    """What turns model outputs into scores: the published protocol through the eval judge, the MC metric (and the
    precision of its log-likelihoods, when not fp32), or the scoring function's code and settings; plus where the
    model's outputs were computed (compute_tag)."""
    if judge is not None and bench.judge_protocol:
        scorer = f"judge:{bench.judge_protocol}"
    elif bench.format == "mc":
        scorer = f"mc:{bench.mc_metric}" + ("" if precision == "fp32" else f":{precision}")
    else:
        fn = bench.protocol or bench.score_response
        scorer = scorer_fingerprint(fn) if fn is not None else "none"
    return scorer + compute_tag(lm)


def _judge_identity(judge) -> str | None:
    """The eval judge's model and endpoint: part of a judged item's cache key, so another judge rescores."""
    return None if judge is None else stable_hash(judge.config.model, judge.config.base_url, judge.config.temperature)


def item_hash(bench: Benchmark, item: MCItem | GenItem) -> str:
    return stable_hash(dataclasses.asdict(item), bench.max_new_tokens if bench.format == "gen" else None)


def _summary(bench: Benchmark, lm: Model, scores: list[ItemScore], seconds: float, scorer: str,
             cache_hits: int) -> BenchmarkSummary:
    ok = [s.score for s in scores if s.error is None and s.score is not None]
    return BenchmarkSummary(benchmark=bench.name, version=bench.version, category=bench.category,
                            metric=bench.metric, higher_is_better=bench.higher_is_better, model=lm.name,
                            n_items=len(scores), n_errors=len(scores) - len(ok),
                            score=sum(ok) / len(ok) if ok else None, labels=list(bench.labels), seconds=seconds,
                            weights_fingerprint=lm.fingerprint, scorer=scorer, cache_hits=cache_hits)


def _completed(out_dir: Path, bench: Benchmark, lm: Model, item_ids: list[str], scorer: str) -> BenchmarkSummary | None:
    if bench.name not in list_benchmark_records(out_dir):
        return None
    summary, scores = read_benchmark_record(out_dir, bench.name)
    if (summary.weights_fingerprint != lm.fingerprint or summary.version != bench.version
            or summary.scorer != scorer or [s.item_id for s in scores] != item_ids):
        return None
    return summary


def check_one_model(out_dir: Path, lm: Model) -> None:
    """An eval folder holds the records of one set of weights; another model's records make it a mixed folder."""
    for name in list_benchmark_records(out_dir):
        summary = read_benchmark_record(out_dir, name)[0]
        other = (summary.weights_fingerprint != lm.fingerprint if summary.weights_fingerprint
                 else summary.model != lm.name)
        if other:
            raise ConfigError(
                f"{out_dir} holds eval records of other weights ({name}.json: model {summary.model}, fingerprint "
                f"{(summary.weights_fingerprint or 'none')[:12]}; now {lm.name}, {lm.fingerprint[:12]}); "
                "use a new --out, or --no-resume to replace them")


def run_benchmark(bench: Benchmark, items: list, lm: Model, out_dir: Path, batch_size: int = 16,
                  cache_root: Path | None = None, judge=None, precision: str = "fp32") -> BenchmarkSummary:
    """Score `items` of one benchmark with `lm`, write `<out_dir>/<name>.json(l)` and return the summary.

    `judge` (a JudgeClient, evals.judge_protocols.eval_judge_client) scores generative benchmarks that name a
    published protocol; without it their offline scorer does. `precision` ("fp32" or "bf16") is the MC
    log-likelihoods' (models.loglik); it is part of the scorer, so bf16 and fp32 results never share a cache entry."""
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DataError(f"benchmark {bench.name!r}: item id {dup!r} occurs more than once; ids must be unique")
    # Benchmarks sharing a cache name score the same replies (e.g. a calibration set and its stated-confidence rate).
    cache = OutputCache((cache_root or default_cache_dir()) / (lm.fingerprint + compute_tag(lm))
                        / f"{bench.cache_name or bench.name}.jsonl")
    start = time.perf_counter()
    precision = precision if bench.format == "mc" else "fp32"
    scorer = scorer_id(bench, judge, precision, lm)
    keys = [stable_hash("item", bench.name, bench.version, scorer, _judge_identity(judge), item_hash(bench, it))
            for it in items]
    todo = [(k, it) for k, it in zip(keys, items, strict=True) if k not in cache.values]
    todo_items = [it for _, it in todo]
    fresh_scores = ((_mc_item_scores(bench, todo_items, lm, cache, batch_size, precision) if bench.format == "mc"
                     else _gen_item_scores(bench, todo_items, lm, cache, batch_size, judge)) if todo else [])
    fresh = dict(zip([k for k, _ in todo], fresh_scores, strict=True))
    # Errored items (a judge that was down) are not cached: the next run asks again.
    cache.add({k: s.model_dump() for k, s in fresh.items() if s.error is None})
    scores = [fresh[k] if k in fresh else ItemScore.model_validate(cache.values[k]) for k in keys]
    summary = _summary(bench, lm, scores, round(time.perf_counter() - start, 3), scorer, len(items) - len(todo))
    write_benchmark_record(out_dir, summary, scores)
    return summary


def check_bf16_benchmarks(bf16_benchmarks: Sequence[str], selected: list[str], lm: Model | None = None) -> set[str]:
    """The bf16 set, checked before any work: every name must be a selected multiple-choice benchmark, and the
    model (when given) must score in bf16."""
    for name in bf16_benchmarks:
        if name not in selected:
            raise ConfigError(f"bf16_benchmarks: {name!r} is not among the selected benchmarks")
        if get_benchmark(name).format != "mc":
            raise ConfigError(f"bf16_benchmarks: {name!r} is generative; bf16 applies to multiple-choice scoring only")
    if bf16_benchmarks and lm is not None and "bf16" not in getattr(lm, "mc_precisions", ("fp32",)):
        raise ConfigError(f"bf16_benchmarks: model {lm.name!r} scores log-likelihoods in its own precision only")
    return set(bf16_benchmarks)


def run_benchmarks(model: str, benchmarks: list[str] | str, out_dir: str | Path, data_dir: str | Path | None = None,
                   limit: int | None = None, batch_size: int = 16, seed: int = 0, model_obj=None, tokenizer=None,
                   custom: list[str | Path] | None = None,
                   log: Callable[[str], None] | None = None,
                   model_options: dict[str, Any] | None = None,
                   log_format: str = "traitrl", judge: JudgeConfig | None = None,
                   resume: bool = True, cache_dir: str | Path | None = None,
                   bf16_benchmarks: Sequence[str] = ()) -> list[BenchmarkSummary]:
    """Run the selected benchmarks on `model`, a model spec (traitrl.models; only a label if `model_obj` is given).

    `limit` takes a seeded sample of that many items per benchmark; `custom` lists YAML specs (evals.custom) to
    register first; `log` receives one line per benchmark (names and scores only); `model_options` go to the model
    backend (e.g. base_url for openai:NAME). A benchmark the backend cannot score (multiple choice without prompt
    log-probabilities) is skipped with a logged reason and has no record. `inspect:<task>` names run that Inspect
    task (evals.inspect_interop; re-run every time). `log_format="inspect"` also writes an Inspect eval log per
    benchmark into `<out_dir>/inspect/`. `judge`, the evaluation judge, scores generative benchmarks by their
    published protocol (replies cached under `<out_dir>/cache/judge`). `resume=False` deletes the folder's records
    first; `cache_dir` overrides the shared per-item cache (default_cache_dir()). Benchmarks that need the code
    sandbox where it is unavailable are not run, logged, and listed in `<out_dir>/not_run.json`.
    `bf16_benchmarks` names the multiple-choice benchmarks scored with bf16 log-likelihoods (models.loglik): list
    only those that kept fp32 accuracy in bench/mc_parity.py; every other benchmark is scored in fp32.
    """
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"log_format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    if custom:
        from traitrl.evals.custom import register_custom

        for spec in custom:
            register_custom(spec)
    names = select_benchmarks(benchmarks)
    data = benchmark_dir(data_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    given = {"model_obj": model_obj, "tokenizer": tokenizer} if model_obj is not None else {}
    lm = get_model(model, batch_size=batch_size, **given, **(model_options or {}))
    bf16 = check_bf16_benchmarks(bf16_benchmarks, names, lm)
    if not resume:
        clear_benchmark_records(out)
    check_one_model(out, lm)
    write_manifest(out, {"model": model, "weights_fingerprint": lm.fingerprint, "benchmarks": names, "limit": limit,
                         "batch_size": batch_size, "data_dir": str(data), "custom": [str(c) for c in custom or []]},
                   {"sample": seed}, "evals")
    client = None
    if judge is not None:
        from traitrl.evals.judge_protocols import eval_judge_client

        client = eval_judge_client(judge, out / "cache" / "judge")
    summaries, not_run = [], {}
    for name in names:
        if name.startswith(INSPECT_PREFIX):
            from traitrl.evals.inspect_interop import run_inspect_benchmark

            summary, scores = run_inspect_benchmark(name, lm, out, limit)
            write_benchmark_record(out, summary, scores)
            if log:
                log(f"{name}: {summary.metric} = {summary.score} over {summary.n_items} items "
                    f"({summary.n_errors} errors, {summary.seconds} s)")
            summaries.append(summary)
            continue
        bench = get_benchmark(name)
        # Benchmarks sharing a cache score the same replies, so they draw the same sample.
        items = sample_items(bench.load_items(data), limit, seed, bench.cache_name or name)
        precision = "bf16" if name in bf16 else "fp32"
        summary = _completed(out, bench, lm, [it.id for it in items], scorer_id(bench, client, precision, lm))
        if summary is None:
            try:
                summary = run_benchmark(bench, items, lm, out, batch_size,
                                        Path(cache_dir).expanduser() if cache_dir else None, judge=client,
                                        precision=precision)
            except LoglikelihoodUnsupported as e:
                (log or print)(f"{name}: skipped, multiple choice needs log-likelihoods: {e}")
                continue
            except SandboxUnavailable as e:
                not_run[name] = str(e)
                if log:
                    log(f"{name}: NOT RUN ({e})")
                continue
        elif log:
            log(f"{name}: complete record found, skipped")
        if log:
            bias = first_letter_rate(read_benchmark_record(out, name)[1]) if bench.format == "mc" else None
            log(f"{name}: {summary.metric} = {summary.score} over {summary.n_items} items "
                f"({summary.n_errors} errors, {summary.cache_hits} cache hits, {summary.seconds} s"
                + (f", first-letter rate {bias:.2f})" if bias is not None else ")"))
        if log_format == "inspect":
            from traitrl.evals.inspect_interop import write_inspect_log

            write_inspect_log(out / "inspect", summary, read_benchmark_record(out, name)[1], items)
        summaries.append(summary)
    if not_run or (out / NOT_RUN_FILE).is_file():
        write_json_atomic(out / NOT_RUN_FILE, not_run)
    return summaries
