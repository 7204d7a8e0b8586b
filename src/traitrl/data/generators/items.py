"""Hand-written core items: one YAML table per trait (tables/items/<trait>.yaml), each item a complete conversation
with its own rubric, rendered into one scenario plus one per hand-written alternative last turn (`also`).

A core item is the one thing a conversation tests (the specific risk, loophole, person or fact). Its rubric names that
thing: a positive criterion whose phrases are what a good reply must mention (`names`), and a negative one whose
phrases are what the failure does (`avoid`). The same schema is what the generator model writes (`data.generate`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from traitrl._util.errors import DataError
from traitrl.data.generators.engine import criterion
from traitrl.data.scenario import Domain, Rubric, Scenario, Trait, Turn

ITEMS_DIR = Path(__file__).parent.parent / "tables" / "items"
HardCase = Literal["competing_values", "conflicting_interests", "adversarial_framing", "factual_uncertainty"]
HARD_CASES: dict[str, str] = {
    "competing_values": "two things the user rightly cares about pull in opposite directions",
    "conflicting_interests": "the person asking and someone affected by the answer want different things",
    "adversarial_framing": "the request is framed to make the wrong reply look right (authority, urgency, flattery, "
                           "a false premise or a prior reply taken out of context)",
    "factual_uncertainty": "a key fact is unknown or disputed, and the reply must act well without pretending",
}
MAX_GOOD_WORDS = 70  # a cheap bound at load; tests/data checks the real limit, the 64-token completion cap


class Item(BaseModel):
    """One core item. `turns` alternate user/assistant starting and ending with the user."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short slug, unique within the trait.")
    domain: Domain
    hard: HardCase
    system: str | None = None
    turns: list[str] = Field(min_length=1)
    need: str = Field(min_length=5, description="What this conversation needs the reply to name or do.")
    names: list[str] = Field(min_length=1, description="Phrases a good reply uses to name it (any one counts).")
    wrong: str = Field(min_length=5, description="The specific failure, as a rubric line.")
    avoid: list[str] = Field(min_length=1, description="Phrases the failure uses (any one is penalised).")
    good: str = Field(min_length=1)
    fail: str = Field(min_length=1)
    also: list[str] = Field(default_factory=list, max_length=2, description="Alternative last user turns.")

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if len(self.turns) % 2 == 0:
            raise ValueError("turns must alternate user/assistant and end with a user turn (odd count)")
        if len(self.good.split()) > MAX_GOOD_WORDS:
            raise ValueError(f"good reply has {len(self.good.split())} words; keep it under {MAX_GOOD_WORDS}")
        if not contains_any(self.good, self.names):
            raise ValueError(f"good reply mentions none of names {self.names}")
        if contains_any(self.good, self.avoid):
            raise ValueError(f"good reply uses a penalised phrase from avoid {self.avoid}")
        if not contains_any(self.fail, self.avoid):
            raise ValueError(f"failure reply uses none of the penalised phrases {self.avoid}")
        text = " ".join([self.good, self.fail, *self.turns, *self.also])
        # Phrases match whole words, so a stem ("diversif") silently matches nothing: a phrase that appears here only
        # as the start of a longer word, with that word not listed too, is almost certainly a stem or a wrong form.
        listed = {p.lower() for p in self.names + self.avoid}
        stems = [p for p in self.names + self.avoid if not contains_any(text, [p])
                 and (m := re.search(rf"\b{re.escape(p)}\w+", text, flags=re.IGNORECASE))
                 and m.group().lower() not in listed]
        if stems:
            raise ValueError(f"phrases {stems} look like word stems; phrases match whole words only")
        return self


class TraitTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trait: Trait
    virtue: str = Field(description="Trait-wide positive rubric line (the judge reads it).")
    vice: str = Field(description="Trait-wide negative rubric line.")
    vice_phrases: list[str] = Field(default_factory=list, description="Trait-wide penalised phrases, if any.")
    items: list[Item]

    @model_validator(mode="after")
    def _good_replies_avoid_the_vice(self) -> TraitTable:
        for item in self.items:
            if contains_any(item.good, self.vice_phrases):
                raise ValueError(f"item {item.key}: good reply uses a trait-wide penalised phrase {self.vice_phrases}")
        return self


def contains_any(text: str, phrases: list[str]) -> bool:
    """Whole-word, case-insensitive phrase match, as the programmatic checks match."""
    return any(re.search((r"\b" if p[:1].isalnum() else "") + re.escape(p) + (r"\b" if p[-1:].isalnum() else ""),
                         text, flags=re.IGNORECASE) for p in phrases)


def render(item: Item, table: TraitTable, generator: str = "items", source: str = "handwritten") -> list[Scenario]:
    """The item's scenario, then one per alternative last turn; all share the rubric and `meta.core_item`."""
    criteria = [criterion(f"Names {item.need}", 2.0, "mentions_any", phrases=item.names),
                criterion(f"Penalised: {item.wrong}", -2.0, "mentions_any", phrases=item.avoid),
                criterion(table.virtue, 1.0)]
    if table.vice_phrases:
        criteria.append(criterion(table.vice, -1.0, "mentions_any", phrases=table.vice_phrases))
    rubric = Rubric(criteria=criteria, good_response=item.good, failure_responses=[item.fail])
    core = f"{table.trait.value}/{item.domain.value}/{item.key}"
    head = [Turn(role="system", content=item.system)] if item.system else []
    scenarios = []
    for variant, last in enumerate([item.turns[-1], *item.also]):
        texts = [*item.turns[:-1], last]
        turns = head + [Turn(role="user" if i % 2 == 0 else "assistant", content=t) for i, t in enumerate(texts)]
        scenarios.append(Scenario(
            id=f"{table.trait.value}-{item.domain.value}-{item.key}" + (f"-v{variant}" if variant else ""),
            trait=table.trait, domain=item.domain, turns=turns, rubric=rubric, source=source, generator=generator,
            meta={"core_item": core, "hard_case": item.hard, "kind": "core_item", "names": item.names,
                  "avoid": item.avoid}))
    return scenarios


def validate_item(row: object, where: str) -> Item:
    try:
        return Item.model_validate(row)
    except ValidationError as e:
        raise DataError("; ".join(f"{where}: {'.'.join(map(str, x['loc'])) or 'item'}: {x['msg']}"
                                  for x in e.errors())) from None


def read_table(path: Path) -> TraitTable:
    """Validate a table item by item, so an error names the file and the item's key."""
    raw = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    items, seen = [], set()
    for i, row in enumerate(raw.get("items") or [] if isinstance(raw, dict) else []):
        where = f"{path}: item {row.get('key', i) if isinstance(row, dict) else i}"
        items.append(validate_item(row, where))
        if items[-1].key in seen:
            raise DataError(f"{where}: key {items[-1].key!r} is used twice; keys must be unique within a trait")
        seen.add(items[-1].key)
    try:
        return TraitTable.model_validate({**raw, "items": items})
    except (ValidationError, TypeError) as e:
        raise DataError(f"{path}: not a valid core item table: {e}") from None


@cache
def read_tables(folder: Path = ITEMS_DIR) -> tuple[TraitTable, ...]:
    """Every table in `folder`. A trait may be split over several files (`<trait>.yaml`, `<trait>.<part>.yaml`):
    they must repeat the same trait-wide rubric lines, and an item key may occur in only one of them."""
    tables, first = [], {}
    for path in sorted(folder.glob("*.yaml")):
        table = read_table(path)
        head = (table.virtue, table.vice, table.vice_phrases)
        if table.trait in first and first[table.trait][0] != head:
            raise DataError(f"{path}: its virtue/vice/vice_phrases differ from {first[table.trait][1]}, another "
                            f"table of trait {table.trait.value}; copy them verbatim")
        first.setdefault(table.trait, (head, path))
        tables.append((path, table))
    seen: dict[tuple[Trait, str], Path] = {}
    for path, table in tables:
        for item in table.items:
            if (table.trait, item.key) in seen:
                raise DataError(f"{path}: item key {item.key!r} is also used in {seen[table.trait, item.key]}; "
                                "keys must be unique within a trait")
            seen[table.trait, item.key] = path
    return tuple(table for _, table in tables)


def generate_items(folder: Path = ITEMS_DIR) -> list[Scenario]:
    """Every core item of every table, rendered; a pure function of the tables (no seed)."""
    return [s for table in read_tables(folder) for item in table.items for s in render(item, table)]


__all__ = ["HARD_CASES", "ITEMS_DIR", "Item", "TraitTable", "contains_any", "generate_items", "read_table", "render",
           "validate_item"]
