"""Scenario generators: parametric ones (one module per original trait, each `generate(domain, rng, n)`, built on
templates and fact tables for the original seven domains) and the hand-written core item tables (`items`), which cover
every trait and domain. Output is a pure function of the seed."""

from __future__ import annotations

import random
from collections.abc import Callable

from traitrl.data.generators import (corrigibility, epistemic_humility, fairness, honesty, reward_hacking,
                                     transparent_reasoning, wellbeing)
from traitrl.data.generators.items import generate_items
from traitrl.data.scenario import Domain, Scenario, Trait

Generator = Callable[[Domain, random.Random, int], list[Scenario]]

GENERATORS: dict[Trait, Generator] = {
    Trait.honesty: honesty.generate,
    Trait.epistemic_humility: epistemic_humility.generate,
    Trait.corrigibility: corrigibility.generate,
    Trait.transparent_reasoning: transparent_reasoning.generate,
    Trait.fairness: fairness.generate,
    Trait.wellbeing: wellbeing.generate,
    Trait.reward_hacking_resistance: reward_hacking.generate,
}

# The parametric generators' tables (facts, personas, red flags, ...) cover these domains only; the newer domains get
# their data from the core item tables.
PARAMETRIC_DOMAINS = (Domain.health, Domain.science, Domain.education, Domain.law, Domain.engineering,
                      Domain.economics, Domain.business)
DEFAULT_PER_CELL = 32  # 49 parametric cells × 32 = 1,568 generated scenarios


def generate_all(seed: int = 0, per_cell: int = DEFAULT_PER_CELL) -> list[Scenario]:
    """`per_cell` scenarios for every parametric trait × domain cell, each from its own seeded stream, then the core
    items."""
    scenarios = []
    for trait, generate in GENERATORS.items():
        for domain in PARAMETRIC_DOMAINS:
            # A per-cell stream keeps one cell's output stable when another generator changes.
            scenarios += generate(domain, random.Random(f"{seed}:{trait.value}:{domain.value}"), per_cell)
    return scenarios + generate_items()


__all__ = ["DEFAULT_PER_CELL", "GENERATORS", "PARAMETRIC_DOMAINS", "generate_all"]
