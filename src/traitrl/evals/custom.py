"""User benchmarks from a JSONL file plus a small YAML spec, multiple-choice or generative (docs/battery.md).

The YAML holds values only: a prompt template filled from each row with str.format, the field names, and for
generative items a built-in scorer or a dotted path "package.module:function" to a scorer of (GenItem, reply).
"""

from __future__ import annotations

import importlib
import re
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from traitrl._util.config import load_yaml, validate_config
from traitrl._util.errors import ConfigError, DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import BENCHMARKS, CATEGORIES, Benchmark, GenItem, MCItem
from traitrl.evals.mc import MC_METRICS, swap_options

GEN_SCORERS = ("contains_any", "not_contains_any", "exact_match")
_CUSTOM_SPECS: dict[str, Path] = {}  # name → spec file, so re-registering the same spec is harmless


class CustomBenchmarkSpec(BaseModel, extra="forbid"):
    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Registered name (lowercase, digits, underscores).")
    category: str = Field(description=f"One of {', '.join(CATEGORIES)}.")
    format: Literal["mc", "gen"]
    data: str = Field(description="JSONL file, relative to the spec file.")
    prompt: str = Field(description="Template filled from each row, e.g. 'Q: {question}\\nA:' (mc: the context; "
                                    "gen: the user message).")
    higher_is_better: bool = True
    metric: str = Field("acc", description=f"mc: one of {', '.join(MC_METRICS)}; gen: one of "
                                           f"{', '.join(GEN_SCORERS)} or 'package.module:function'.")
    source: str = "custom"
    license: str = "unspecified"
    labels: list[str] = Field(default_factory=list)
    description: str = ""
    version: int = 1
    id_field: str | None = Field(None, description="Row field holding a unique id; default: the line number.")
    choices_field: str = Field("choices", description="mc: row field with the list of answer texts.")
    gold_field: str = Field("gold", description="mc: index, or list of indices, of the correct choice(s).")
    choice_prefix: str = Field(" ", description="mc: text put before each choice (lm-eval's target delimiter).")
    counterbalance: bool = Field(False, description="mc: two letter choices like '(A)'/'(B)' listed in the prompt; "
                                                    "also score with the two options' texts swapped.")
    target_field: str | None = Field(None, description="gen: row field with the reference string or list.")
    max_new_tokens: int = Field(128, ge=1)

    @model_validator(mode="after")
    def _check(self) -> CustomBenchmarkSpec:
        if self.category not in CATEGORIES:
            raise ValueError(f"category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if self.format == "mc" and self.metric not in MC_METRICS:
            raise ValueError(f"mc metric {self.metric!r} is not one of {', '.join(MC_METRICS)}")
        if self.format == "gen" and self.metric not in GEN_SCORERS and ":" not in self.metric:
            raise ValueError(f"gen metric {self.metric!r} is neither one of {', '.join(GEN_SCORERS)} nor "
                             "'package.module:function'")
        if self.format == "gen" and self.metric in GEN_SCORERS and not self.target_field:
            raise ValueError(f"the {self.metric} scorer needs `target_field`")
        return self


def _fill(template: str, row: dict, where: str) -> str:
    try:
        return template.format(**row)
    except (KeyError, IndexError) as e:
        raise DataError(f"{where}: the prompt template needs field {e} (row has {', '.join(sorted(row))})") from None


def _mc_item(spec: CustomBenchmarkSpec, item_id: str, row: dict, where: str) -> MCItem:
    choices, gold = row.get(spec.choices_field), row.get(spec.gold_field)
    if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
        raise DataError(f"{where}: `{spec.choices_field}` should be a list of at least two strings")
    gold = [gold] if isinstance(gold, int) else gold
    if not isinstance(gold, list) or not gold or not all(isinstance(g, int) and 0 <= g < len(choices) for g in gold):
        raise DataError(f"{where}: `{spec.gold_field}` should be a choice index (or list of them) below {len(choices)}")
    context = _fill(spec.prompt, row, where)
    meta = {}
    if spec.counterbalance:
        # Swap inside the row's fields, not the filled prompt, so text the template adds after the options stays.
        letters = [re.fullmatch(r"\(([A-Z])\)", c.strip()) for c in choices]
        swapped_row = dict(row)
        if len(choices) == 2 and all(letters):
            for key, value in row.items():
                if isinstance(value, str):
                    swapped_row[key] = swap_options(value, letters[0][1], letters[1][1]) or value
        if swapped_row == row:
            raise DataError(f"{where}: counterbalance needs two letter choices like '(A)' and '(B)', each listed "
                            "once in a field on its own line as '(X) text'")
        meta["swapped_context"] = _fill(spec.prompt, swapped_row, where)
    return MCItem(id=item_id, context=context, choices=[spec.choice_prefix + c for c in choices], gold=gold, meta=meta)


def _gen_item(spec: CustomBenchmarkSpec, item_id: str, row: dict, where: str) -> GenItem:
    target = row.get(spec.target_field) if spec.target_field else None
    if spec.target_field and not (isinstance(target, str) or
                                  (isinstance(target, list) and target and all(isinstance(t, str) for t in target))):
        raise DataError(f"{where}: `{spec.target_field}` should be a string or a non-empty list of strings")
    return GenItem(id=item_id, messages=[{"role": "user", "content": _fill(spec.prompt, row, where)}], target=target)


def read_custom_items(spec: CustomBenchmarkSpec, data_path: Path) -> list[MCItem] | list[GenItem]:
    build = _mc_item if spec.format == "mc" else _gen_item
    items, seen = [], {}
    for lineno, row in iter_jsonl(data_path):
        where = f"{data_path}:{lineno}"
        item_id = str(row[spec.id_field]) if spec.id_field and spec.id_field in row else None
        if spec.id_field and item_id is None:
            raise DataError(f"{where}: missing id field {spec.id_field!r}")
        item_id = item_id or str(lineno)
        if item_id in seen:
            raise DataError(f"{where}: id {item_id!r} already used on line {seen[item_id]}")
        seen[item_id] = lineno
        items.append(build(spec, item_id, row, where))
    if not items:
        raise DataError(f"{data_path}: no items")
    return items


def _targets(item: GenItem) -> list[str]:
    return [item.target] if isinstance(item.target, str) else list(item.target)


def _contains_any(item: GenItem, response: str) -> float:
    return float(any(t.lower() in response.lower() for t in _targets(item)))


def _not_contains_any(item: GenItem, response: str) -> float:
    return 1.0 - _contains_any(item, response)


def _exact_match(item: GenItem, response: str) -> float:
    norm = " ".join(response.lower().split()).strip(" .")
    return float(any(norm == " ".join(t.lower().split()).strip(" .") for t in _targets(item)))


def _scorer(metric: str, source: Path):
    builtin = {"contains_any": _contains_any, "not_contains_any": _not_contains_any, "exact_match": _exact_match}
    if metric in builtin:
        return builtin[metric]
    module, _, func = metric.partition(":")
    try:
        scorer = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"{source}: `metric`: cannot import scorer {metric!r} ({e})") from None
    if not callable(scorer):
        raise ConfigError(f"{source}: `metric`: {metric!r} is not callable")
    return scorer


def load_custom_spec(path: str | Path) -> tuple[CustomBenchmarkSpec, Path]:
    """The validated spec and the resolved data file path."""
    path = Path(path)
    spec = validate_config(CustomBenchmarkSpec, load_yaml(path), source=str(path))
    data_path = (path.parent / spec.data).resolve()
    if not data_path.is_file():
        raise ConfigError(f"{path}: `data`: file {data_path} not found")
    return spec, data_path


def custom_benchmark(path: str | Path) -> Benchmark:
    spec, data_path = load_custom_spec(path)
    return Benchmark(name=spec.name, category=spec.category, format=spec.format, metric=spec.metric,
                     higher_is_better=spec.higher_is_better, source=spec.source, license=spec.license,
                     load_items=lambda _data_dir: read_custom_items(spec, data_path), version=spec.version,
                     labels=tuple(spec.labels), description=spec.description,
                     mc_metric=spec.metric if spec.format == "mc" else "acc",
                     score_response=_scorer(spec.metric, Path(path)) if spec.format == "gen" else None,
                     max_new_tokens=spec.max_new_tokens)


def register_custom(path: str | Path) -> str:
    """Register the benchmark a YAML spec describes and return its name (its data is read when it runs)."""
    import traitrl.evals.benchmarks  # noqa: F401  (built-ins first, so a clashing custom name is caught here)

    path = Path(path).resolve()
    spec, _ = load_custom_spec(path)
    if spec.name in BENCHMARKS and _CUSTOM_SPECS.get(spec.name) != path:
        raise ConfigError(f"{path}: `name`: {spec.name!r} is already a registered benchmark; choose another name")
    custom_benchmark(path)  # fail now, not mid-run, on a bad scorer path
    BENCHMARKS[spec.name] = partial(custom_benchmark, path)
    _CUSTOM_SPECS[spec.name] = path
    return spec.name
