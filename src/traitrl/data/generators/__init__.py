"""Parametric scenario generators: one module per trait, each `generate(domain, rng, n) -> list[Scenario]`,
built on templates and the fact tables in this package. Output is a pure function of the seed."""

from __future__ import annotations

import random
from collections.abc import Callable

from traitrl.data.generators import (corrigibility, epistemic_humility, fairness, honesty, reward_hacking,
                                     transparent_reasoning, wellbeing)
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

DEFAULT_PER_CELL = 32  # 49 cells × 32 = 1,568 generated scenarios


def generate_all(seed: int = 0, per_cell: int = DEFAULT_PER_CELL) -> list[Scenario]:
    """`per_cell` scenarios for every trait × domain cell, each cell from its own seeded stream."""
    scenarios = []
    for trait, generate in GENERATORS.items():
        for domain in Domain:
            # A per-cell stream keeps one cell's output stable when another generator changes.
            scenarios += generate(domain, random.Random(f"{seed}:{trait.value}:{domain.value}"), per_cell)
    return scenarios


__all__ = ["DEFAULT_PER_CELL", "GENERATORS", "generate_all"]
