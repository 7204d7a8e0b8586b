"""Report section "Evaluation reuse": per evaluated model, how many item results came from the content-keyed cache.

Item results are keyed by (weights fingerprint, benchmark version, item, scorer) (evals.run), so a second study on
the same base model, or arms that share a checkpoint, take them from the cache instead of scoring again. This
section shows that it happened (or did not): items, cache hits and seconds per model, from its eval records.
Registered as "eval_reuse" and filled by the study (`eval_reuse_section`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from traitrl.evals.record import list_benchmark_records, read_benchmark_record
from traitrl.report.registry import SectionSpec, html_text_table, markdown_text_table, register_section


class ModelReuse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    benchmarks: int = Field(ge=0)
    items: int = Field(ge=0)
    cache_hits: int = Field(ge=0)
    seconds: float = Field(ge=0, description="Summed over the benchmark records (scoring time, not wall time).")


class EvalReuseSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[ModelReuse]


def eval_reuse_section(eval_dirs: dict[str, Path]) -> EvalReuseSection:
    """One row per model (name → its eval records folder); a folder without records gives zeros."""
    rows = []
    for name, folder in eval_dirs.items():
        summaries = ([read_benchmark_record(folder, b)[0] for b in list_benchmark_records(folder)]
                     if folder.is_dir() else [])
        rows.append(ModelReuse(model=name, benchmarks=len(summaries), items=sum(s.n_items for s in summaries),
                               cache_hits=sum(s.cache_hits or 0 for s in summaries),
                               seconds=round(sum(s.seconds or 0.0 for s in summaries), 3)))
    return EvalReuseSection(models=rows)


def _rows(section: EvalReuseSection) -> list[list[str]]:
    return [[m.model, str(m.benchmarks), str(m.items), f"{m.cache_hits} ({m.cache_hits / m.items:.0%})"
             if m.items else "0", f"{m.seconds:.0f}"] for m in section.models]


HEADER = ["model", "benchmarks", "items", "from the cache", "scoring seconds"]


def eval_reuse_html(section: EvalReuseSection) -> str:
    return html_text_table(HEADER, _rows(section), "Item results are cached by weights fingerprint, benchmark version, "
                           "item and scorer: the same base model is scored once across studies.")


def eval_reuse_markdown(section: EvalReuseSection) -> list[str]:
    return markdown_text_table(HEADER, _rows(section))


register_section(SectionSpec("eval_reuse", "Evaluation reuse", EvalReuseSection, html=eval_reuse_html,
                             markdown=eval_reuse_markdown))
