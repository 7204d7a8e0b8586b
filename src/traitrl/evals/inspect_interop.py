"""Inspect interop (optional extra `inspect`: `pip install inspect-ai`).

- `write_inspect_log`: one Inspect eval log per benchmark and model, next to the traitrl record, with each sample's
  input, output, score and metadata, so `inspect view` shows traitrl's transcripts and
  `inspect_ai.log.read_eval_log` reads back the same per-item scores.
- `inspect:<task>` benchmarks: an installed Inspect task (`inspect_evals/mask`, `path/file.py@task`) runs against a
  traitrl model through the Inspect model provider `traitrl/<name>`; its per-sample scores become a traitrl record
  (category `capability` unless the task's metadata names another), so statistics and report treat it like any
  other benchmark. Scores that are not numbers go through Inspect's `value_to_float` (C/I/P/N → 1/0/0.5/0).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path
from typing import Any

from traitrl._util.errors import ConfigError
from traitrl._util.io import stable_hash
from traitrl.evals.benchmark import CATEGORIES, GenItem, MCItem
from traitrl.evals.record import BenchmarkSummary, ItemScore
from traitrl.models import GenParams, Model

INSPECT_PREFIX = "inspect:"
LOG_FORMATS = ("traitrl", "inspect")


def _require_inspect() -> None:
    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        raise ConfigError("Inspect interop needs inspect-ai: pip install 'traitrl[inspect]'") from None


def record_name(spec: str) -> str:
    """`inspect:inspect_evals/mask` → `inspect_mask`; `inspect:dir/tasks.py@tiny` → `inspect_tiny`."""
    task = spec.removeprefix(INSPECT_PREFIX)
    task = task.split("@")[-1] if "@" in task else task.rstrip("/").split("/")[-1]
    return "inspect_" + re.sub(r"[^A-Za-z0-9_]+", "_", task).strip("_")


def _sample_input(item: MCItem | GenItem) -> str | list[dict[str, str]]:
    return item.messages if isinstance(item, GenItem) else item.context


def write_inspect_log(log_dir: Path, summary: BenchmarkSummary, scores: list[ItemScore],
                      items: list[MCItem | GenItem]) -> Path:
    """Write `<log_dir>/<benchmark>.eval` for one benchmark record; returns its path."""
    _require_inspect()
    from datetime import datetime, timezone

    from inspect_ai.log import (EvalConfig, EvalDataset, EvalLog, EvalMetric, EvalResults, EvalSample, EvalScore,
                                EvalSpec, write_eval_log)
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, ModelOutput
    from inspect_ai.scorer import Score

    roles = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    by_id = {it.id: it for it in items}
    samples = []
    for s in scores:
        item = by_id.get(s.item_id)
        raw = _sample_input(item) if item is not None else ""
        prompt = raw if isinstance(raw, str) else [roles[m["role"]](content=m["content"]) for m in raw]
        if isinstance(item, MCItem):
            pred = s.meta.get("pred")
            output = item.choices[pred] if pred is not None else ""
            target = [item.choices[g] for g in item.gold]
        else:
            output, target = s.response or "", str(getattr(item, "target", "") or "")
        samples.append(EvalSample(
            id=s.item_id, epoch=1, input=prompt, target=target, choices=item.choices if isinstance(item, MCItem) else None,
            output=ModelOutput.from_content(summary.model, output),
            scores={summary.metric: Score(value=s.score if s.score is not None else float("nan"),
                                          explanation=s.error, metadata={"choice_scores": s.choice_scores})},
            metadata={**s.meta, "prompt_hash": s.prompt_hash, "error": s.error}))
    ok = [s.score for s in scores if s.score is not None]
    log = EvalLog(
        status="success",
        eval=EvalSpec(created=datetime.now(timezone.utc).isoformat(), task=summary.benchmark,
                      task_version=summary.version, dataset=EvalDataset(name=summary.benchmark, samples=len(samples)),
                      model=summary.model, config=EvalConfig(),
                      metadata={"traitrl": summary.model_dump(mode="json")}),
        results=EvalResults(total_samples=len(samples), completed_samples=len(ok), scores=[EvalScore(
            name=summary.metric, scorer=summary.metric,
            metrics={"mean": EvalMetric(name="mean", value=summary.score if summary.score is not None else 0.0)})]),
        samples=samples)
    path = Path(log_dir) / f"{summary.benchmark}.eval"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(path))
    return path


def _provider(model: Model, max_new_tokens: int):
    """An Inspect Model whose generate calls `model` (serially: a local model is not thread-safe)."""
    from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, get_model, modelapi

    lock = threading.Lock()

    @modelapi(name="traitrl")
    class TraitrlAPI(ModelAPI):
        def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                     config: GenerateConfig = GenerateConfig(), **model_args: Any) -> None:
            super().__init__(model_name, base_url, api_key, [], config)
            self.target: Model = model_args["traitrl_model"]

        async def generate(self, input, tools, tool_choice, config):  # noqa: A002  (Inspect's signature)
            messages = [{"role": m.role if m.role != "tool" else "user", "content": m.text} for m in input]
            params = GenParams(config.max_tokens or max_new_tokens, batch_size=1)

            def run() -> str:
                with lock:
                    return self.target.generate([messages], params)[0]

            return ModelOutput.from_content(self.model_name, await asyncio.to_thread(run))

    return get_model(f"traitrl/{model.name}", traitrl_model=model, memoize=False)


def run_inspect_benchmark(spec: str, model: Model, out_dir: Path, limit: int | None = None,
                          max_new_tokens: int = 256) -> tuple[BenchmarkSummary, list[ItemScore]]:
    """Run the Inspect task `spec` (without the `inspect:` prefix) on `model`; the traitrl summary and item scores.
    Inspect's own log goes to `<out_dir>/inspect/`."""
    _require_inspect()
    from inspect_ai import eval as inspect_eval
    from inspect_ai.scorer import value_to_float

    task = spec.removeprefix(INSPECT_PREFIX)
    name = record_name(spec)
    started = time.perf_counter()
    [log] = inspect_eval(task, model=_provider(model, max_new_tokens), limit=limit, display="none",
                         log_dir=str(Path(out_dir) / "inspect"), log_level="warning", fail_on_error=False)
    if log.status != "success" and not log.samples:
        raise ConfigError(f"Inspect task {task!r} did not run: {log.error.message if log.error else log.status}")
    to_float = value_to_float()
    scores = []
    for s in log.samples or []:
        first = next(iter(s.scores.values())) if s.scores else None
        error = s.error.message if s.error else (None if first is not None else "no score")
        value = None if first is None or error else to_float(first.value)
        scores.append(ItemScore(item_id=str(s.id), prompt_hash=stable_hash(str(s.input)), score=value,
                                response=s.output.completion if s.output else None, error=error,
                                meta={"target": s.target, "answer": first.answer if first else None}))
    metric = next(iter(log.results.scores), None).name if log.results and log.results.scores else "score"
    category = (log.eval.metadata or {}).get("category", "capability")
    if category not in CATEGORIES:
        category = "capability"
    ok = [s.score for s in scores if s.score is not None]
    summary = BenchmarkSummary(benchmark=name, version=int(log.eval.task_version or 0) or 1, category=category,
                               metric=metric, higher_is_better=True, model=model.name, n_items=len(scores),
                               n_errors=len(scores) - len(ok), score=sum(ok) / len(ok) if ok else None,
                               labels=["inspect"], seconds=round(time.perf_counter() - started, 3),
                               weights_fingerprint=model.fingerprint, scorer=f"inspect:{task}")
    return summary, scores
