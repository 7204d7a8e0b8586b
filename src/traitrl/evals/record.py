"""Eval records: per-item scores keyed by item id, so two models can be compared item by item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl, read_json, write_json_atomic, write_jsonl_atomic

RECORD_FORMAT_VERSION = 1


class ItemScore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    prompt_hash: str
    score: float | None = Field(description="Per-item metric value; None only together with `error`.")
    choice_scores: list[float] | None = None
    response: str | None = None
    error: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class BenchmarkSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int = RECORD_FORMAT_VERSION
    benchmark: str
    version: int
    category: str
    metric: str
    higher_is_better: bool
    model: str
    n_items: int
    n_errors: int
    score: float | None = Field(description="Mean of per-item scores over items without error.")
    labels: list[str] = Field(default_factory=list, description="Extra tags, e.g. 'health' for transfer matrices.")
    scorer: str = Field("offline", description="What scored the items: 'offline' (rules, log-likelihoods) or "
                                               "'judge:<protocol>' (evals.judge_protocols).")
    seconds: float | None = None
    weights_fingerprint: str | None = Field(None, description="Content hash of the weights that were scored.")
    scorer: str | None = Field(None, description="MC metric, or the scoring function's name and code hash.")
    cache_hits: int = Field(0, description="Items whose result came from the content-keyed cache.")


def write_benchmark_record(out_dir: str | Path, summary: BenchmarkSummary, items: list[ItemScore]) -> Path:
    """Write `<out_dir>/<benchmark>.jsonl` (items) then `<benchmark>.json` (summary); the summary marks completion."""
    out_dir = Path(out_dir)
    write_jsonl_atomic(out_dir / f"{summary.benchmark}.jsonl", (i.model_dump() for i in items))
    return write_json_atomic(out_dir / f"{summary.benchmark}.json", summary.model_dump())


def read_benchmark_record(out_dir: str | Path, benchmark: str) -> tuple[BenchmarkSummary, list[ItemScore]]:
    out_dir = Path(out_dir)
    summary = BenchmarkSummary.model_validate(read_json(out_dir / f"{benchmark}.json"))
    items = []
    path = out_dir / f"{benchmark}.jsonl"
    for lineno, row in iter_jsonl(path):
        try:
            items.append(ItemScore.model_validate(row))
        except Exception as e:
            raise DataError(f"{path}:{lineno}: bad item record ({e})") from None
    return summary, items


def clear_benchmark_records(out_dir: str | Path) -> None:
    """Delete every record in `out_dir` (`--no-resume`): a redone evaluation never mixes with the old one."""
    out_dir = Path(out_dir)
    for name in list_benchmark_records(out_dir):
        (out_dir / f"{name}.json").unlink()
        (out_dir / f"{name}.jsonl").unlink(missing_ok=True)


def list_benchmark_records(out_dir: str | Path) -> list[str]:
    """Names of benchmarks with a completed record (summary written) in `out_dir`."""
    out_dir = Path(out_dir)
    return sorted(p.stem for p in out_dir.glob("*.json") if (out_dir / f"{p.stem}.jsonl").is_file())
