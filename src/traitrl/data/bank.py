"""The trait scenario bank: build it (generated + hand-written), read and write it as JSONL with file:line errors,
select trait/domain subsets for transfer experiments, and count it."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError

from traitrl._util.config import format_validation_error
from traitrl._util.errors import ConfigError, DataError
from traitrl._util.io import iter_jsonl, stable_hash, write_jsonl_atomic
from traitrl.data.dedupe import near_duplicate_rate
from traitrl.data.generators import DEFAULT_PER_CELL, generate_all
from traitrl.data.scenario import Domain, Scenario, Trait
from traitrl.data.traits import held_out_traits

DEFAULT_BANK_PATH = Path("runs/data/scenarios.jsonl")
HANDWRITTEN_DIR = Path(__file__).parent / "handwritten"


def read_bank(path: str | Path) -> list[Scenario]:
    """Read and validate a JSONL bank; a bad row or a repeated id raises DataError naming file:line."""
    scenarios, first_line = [], {}
    for lineno, row in iter_jsonl(path):
        try:
            scenario = Scenario.model_validate(row)
        except ValidationError as e:
            raise DataError(format_validation_error(e, f"{path}:{lineno}")) from None
        if scenario.id in first_line:
            raise DataError(f"{path}:{lineno}: scenario id {scenario.id!r} already used on line "
                            f"{first_line[scenario.id]}; ids must be unique")
        first_line[scenario.id] = lineno
        scenarios.append(scenario)
    return scenarios


def write_bank(scenarios: Iterable[Scenario], path: str | Path) -> Path:
    return write_jsonl_atomic(path, (s.model_dump(mode="json") for s in scenarios))


def read_handwritten(folder: Path = HANDWRITTEN_DIR) -> list[Scenario]:
    scenarios = []
    for path in sorted(folder.glob("*.jsonl")):
        for lineno, scenario in enumerate(read_bank(path), start=1):
            if scenario.source != "handwritten":
                raise DataError(f"{path}: scenario {scenario.id!r} (row {lineno}) has source {scenario.source!r}; "
                                "files under handwritten/ must say \"handwritten\"")
            # Each hand-written conversation is its own core item; a counterfactual pair shares one.
            scenario.meta.setdefault("core_item", f"handwritten:{scenario.meta.get('pair_id', scenario.id)}")
            scenarios.append(scenario)
    return scenarios


def build_bank(seed: int = 0, per_cell: int = DEFAULT_PER_CELL) -> list[Scenario]:
    """Generated scenarios (deterministic in `seed`) followed by the hand-written ones."""
    scenarios = generate_all(seed, per_cell) + read_handwritten()
    repeated = [sid for sid, count in Counter(s.id for s in scenarios).items() if count > 1]
    if repeated:
        raise DataError(f"scenario ids used more than once in the bank: {', '.join(repeated[:5])}")
    return scenarios


def check_names(names: list[str] | None, enum: type[StrEnum], field: str) -> set[str] | None:
    if names is None:
        return None
    valid = [m.value for m in enum]
    for name in names:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"`{field}`: unknown {enum.__name__.lower()} {name!r}.{hint} Valid: {', '.join(valid)}")
    return set(names)


def select(scenarios: Iterable[Scenario], traits: list[str] | None = None, domains: list[str] | None = None,
           exclude_domains: list[str] | None = None) -> list[Scenario]:
    """Keep scenarios whose trait is in `traits` and domain in `domains` (None = all), minus `exclude_domains`."""
    keep_traits = check_names(traits, Trait, "traits")
    keep_domains = check_names(domains, Domain, "domains")
    drop_domains = check_names(exclude_domains, Domain, "exclude_domains") or set()
    return [s for s in scenarios
            if (keep_traits is None or s.trait in keep_traits)
            and (keep_domains is None or s.domain in keep_domains)
            and s.domain not in drop_domains]


def core_item(scenario: Scenario) -> str:
    """The scenario's core item id; without one, its reference reply stands in (variants of one item share it)."""
    return scenario.meta.get("core_item") or f"good:{stable_hash(scenario.rubric.good_response, length=12)}"


def bank_stats(scenarios: Iterable[Scenario]) -> dict:
    """Counts per trait × domain (every cell listed, zeros included), per trait, domain, source and generator; distinct
    core items per cell, the distribution of turns, and the near-duplicate rate, so variety is measured, not assumed."""
    scenarios = list(scenarios)
    cells = Counter((s.trait.value, s.domain.value) for s in scenarios)
    by_trait_domain = {t.value: {d.value: cells[(t.value, d.value)] for d in Domain} for t in Trait}
    items: dict[tuple[str, str], set[str]] = {}
    for s in scenarios:
        items.setdefault((s.trait.value, s.domain.value), set()).add(core_item(s))
    core = {t.value: {d.value: len(items.get((t.value, d.value), ())) for d in Domain} for t in Trait}
    n_exchanges = Counter(sum(t.role == "user" for t in s.turns) for s in scenarios)
    n_multi = sum(any(t.role == "assistant" for t in s.turns) for s in scenarios)
    return {
        "total": len(scenarios),
        "by_trait_domain": by_trait_domain,
        "by_trait": {t: sum(row.values()) for t, row in by_trait_domain.items()},
        "by_domain": {d.value: sum(row[d.value] for row in by_trait_domain.values()) for d in Domain},
        "by_source": dict(sorted(Counter(s.source for s in scenarios).items())),
        "by_generator": dict(sorted(Counter(s.generator or "handwritten" for s in scenarios).items())),
        "min_cell": min(cells[(t.value, d.value)] for t in Trait for d in Domain),
        "empty_cells": [f"{t}×{d}" for t, row in by_trait_domain.items() for d, n in row.items() if n == 0],
        "multi_turn": n_multi,
        "multi_turn_frac": round(n_multi / len(scenarios), 4) if scenarios else 0.0,
        "user_turns": {str(k): n_exchanges[k] for k in sorted(n_exchanges)},
        "core_items_by_trait_domain": core,
        "core_items_by_trait": {t: len({i for (tt, _), ids in items.items() if tt == t for i in ids}) for t in core},
        "min_core_items_per_cell": min(n for row in core.values() for n in row.values()),
        "cells_under_30_core_items": sum(n < 30 for row in core.values() for n in row.values()),
        "without_core_item": sum("core_item" not in s.meta for s in scenarios),
        "near_duplicate_rate": round(near_duplicate_rate(scenarios), 4),
        "held_out_traits": [t.value for t in held_out_traits()],
    }


def violating_pairs(scenarios: Iterable[Scenario]) -> list[tuple[list[dict], str]]:
    """(messages, first reference failure) per scenario: trait-violating replies for harmful fine-tuning."""
    return [(s.messages(), s.rubric.failure_responses[0]) for s in scenarios]


__all__ = ["DEFAULT_BANK_PATH", "bank_stats", "build_bank", "read_bank", "read_handwritten", "select",
           "violating_pairs", "write_bank"]
