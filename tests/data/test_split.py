"""The held-out split shares no core item between training and evaluation, across bank seeds, and the training mix
of a study draws only from the train side."""

from __future__ import annotations

import random

import pytest

from traitrl._util.errors import DataError
from traitrl.data.bank import build_bank
from traitrl.data.scenario import Trait
from traitrl.data.split import check_no_leak, core_item, split_bank

# Secondary keys that name what a scenario tests, written by the generators before core_item existed: a second,
# independent view of "the same item", so the test does not only check core_item against itself.
ITEM_KEYS = ("fact", "red_flag", "loophole", "phantom", "pair_id")


@pytest.fixture(scope="module")
def bank():
    return build_bank(seed=0)


def test_every_scenario_names_its_core_item(bank):
    assert all(isinstance(s.meta.get("core_item"), str) and s.meta["core_item"] for s in bank)


def test_no_core_item_or_underlying_key_is_shared(bank):
    split = split_bank(bank)
    train_items = {core_item(s) for s in split.train}
    assert not train_items & {core_item(s) for s in split.heldout}
    for key in ITEM_KEYS:
        train_values = {(s.domain, s.meta[key]) for s in split.train if key in s.meta}
        held_values = {(s.domain, s.meta[key]) for s in split.heldout if key in s.meta}
        assert not train_values & held_values, key
    assert len(split.train) + len(split.heldout) == len(bank)


def test_every_trait_has_both_sides(bank):
    split = split_bank(bank)
    for trait in Trait:
        assert {s.trait for s in split.heldout} >= {trait}
        assert {s.trait for s in split.train} >= {trait}


def test_split_by_id_would_leak_and_the_check_catches_it(bank):
    # Variants of one item exist, so a naive random split by scenario id puts the same item on both sides.
    shuffled = random.Random(0).sample(bank, len(bank))
    naive_train, naive_heldout = shuffled[:len(bank) * 3 // 4], shuffled[len(bank) * 3 // 4:]
    with pytest.raises(DataError, match="core items are on both sides"):
        check_no_leak(naive_train, naive_heldout)


def test_split_is_stable_across_bank_seeds(bank):
    # A study with another bank seed trains on other variants; the items it trains on are still never held out.
    other = split_bank(build_bank(seed=1))
    assert not {core_item(s) for s in other.train} & {core_item(s) for s in split_bank(bank).heldout}


def test_eval_only_traits_never_reach_training(bank):
    split = split_bank(bank, eval_only_traits=["honesty"])
    assert not any(s.trait == Trait.honesty for s in split.train)
    assert any(s.trait == Trait.honesty for s in split.heldout)


def test_missing_core_item_is_an_error(bank):
    scenario = bank[0].model_copy(deep=True)
    scenario.meta.pop("core_item")
    with pytest.raises(DataError, match="meta.core_item"):
        split_bank([scenario])
