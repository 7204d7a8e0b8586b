"""The held-out split: which trait scenarios training may see and which are kept for the held-out trait evaluation.

The unit is the core item (`meta["core_item"]`: the fact, red flag, loophole or decision template a scenario tests),
not the scenario id. Variants of one item differ only in prefix, suffix, persona or numbers, so a split by id would
put near-copies of an evaluation scenario into training. Core-item ids are namespaced by generator family
("red_flag:…", "loophole:…", "decision:…"), except where two families test the same thing: honesty and
corrigibility share "fact:…" items, so a held-out fact is held out in both. An item's side is a pure function of its
id and the split seed (a hash threshold), so it does not depend on which bank seed, cell size or subset of traits
produced the bank: the training mix of any study and the `traits` eval suite always agree, and nothing a held-out
scenario tests is trained on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from traitrl._util.errors import DataError
from traitrl._util.io import stable_hash
from traitrl.data.scenario import Scenario

HELDOUT_FRAC = 0.25  # share of core items kept out of training
SPLIT_SEED = 0


def core_item(scenario: Scenario) -> str:
    item = scenario.meta.get("core_item")
    if not isinstance(item, str) or not item:
        raise DataError(f"scenario {scenario.id!r} has no meta.core_item; every scenario must name the core item "
                        "(fact, red flag, loophole or decision template) it tests")
    return item


def is_heldout(item: str, frac: float = HELDOUT_FRAC, seed: int = SPLIT_SEED) -> bool:
    """True for about `frac` of all core-item ids, chosen by a seeded hash of the id alone."""
    return int(stable_hash(seed, item, length=12), 16) / 16 ** 12 < frac


@dataclass(frozen=True)
class BankSplit:
    train: list[Scenario]
    heldout: list[Scenario]


def split_bank(scenarios: Iterable[Scenario], frac: float = HELDOUT_FRAC, seed: int = SPLIT_SEED,
               eval_only_traits: Iterable[str] = ()) -> BankSplit:
    """Train and held-out sides by core item; scenarios of `eval_only_traits` never go to the train side."""
    eval_only = {str(t) for t in eval_only_traits}
    train, heldout = [], []
    for s in scenarios:
        if is_heldout(core_item(s), frac, seed):
            heldout.append(s)
        elif s.trait.value not in eval_only:
            train.append(s)
    check_no_leak(train, heldout)
    return BankSplit(train=train, heldout=heldout)


def check_no_leak(train: Iterable[Scenario], heldout: Iterable[Scenario]) -> None:
    shared = {core_item(s) for s in train} & {core_item(s) for s in heldout}
    if shared:
        raise DataError(f"{len(shared)} core items are on both sides of the held-out split, e.g. {sorted(shared)[:3]}")


def split_summary(split: BankSplit) -> dict:
    """Scenarios and distinct core items per trait on each side."""
    def count(side: list[Scenario]) -> dict:
        items: dict[str, set[str]] = {}
        for s in side:
            items.setdefault(s.trait.value, set()).add(core_item(s))
        return {"scenarios": dict(sorted(Counter(s.trait.value for s in side).items())),
                "core_items": {t: len(v) for t, v in sorted(items.items())}}

    return {"frac": HELDOUT_FRAC, "seed": SPLIT_SEED, "train": count(split.train), "heldout": count(split.heldout)}


__all__ = ["HELDOUT_FRAC", "SPLIT_SEED", "BankSplit", "check_no_leak", "core_item", "is_heldout", "split_bank",
           "split_summary"]
