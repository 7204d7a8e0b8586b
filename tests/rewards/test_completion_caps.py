"""Every shipped config's completion cap fits the reference good replies it trains on: a cap that cuts the references
trains towards their first sentences and drops what the rubric pays for last."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from traitrl.data.bank import build_bank, select
from traitrl.train.model import BUILTIN_MODELS, load_tokenizer

CONFIGS = sorted(p for p in Path("configs").glob("*.yaml")
                 if (yaml.safe_load(p.read_text()).get("train") or {}).get("max_completion_tokens"))


@pytest.fixture(scope="module")
def bank():
    return build_bank()


@functools.cache
def reference_lengths(model: str) -> dict[str, int]:
    """Token count of every reference good reply in the bank, by scenario id, with `model`'s tokenizer."""
    scenarios = build_bank()
    ids = load_tokenizer(model)([s.rubric.good_response for s in scenarios], add_special_tokens=False)["input_ids"]
    return {s.id: len(i) for s, i in zip(scenarios, ids, strict=True)}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_cap_fits_at_least_90_percent_of_the_references(path, bank):
    config = yaml.safe_load(path.read_text())
    # A hub model's tokenizer is not cached offline; SmolLM2's stands in (both are byte-level BPEs of similar rate).
    lengths_by_id = reference_lengths(config["model"] if config["model"] in BUILTIN_MODELS else "smollm2-135m-instruct")
    cap = config["train"]["max_completion_tokens"]
    for arm in [a for a in config.get("arms", [{}]) if a.get("dose", 1) > 0]:
        trained = select(bank, arm.get("traits"), arm.get("domains"), arm.get("exclude_domains"))
        lengths = [lengths_by_id[s.id] for s in trained]
        fits = sum(n <= cap for n in lengths) / len(lengths)
        assert fits >= 0.9, f"{path}: max_completion_tokens {cap} fits {fits:.0%} of {len(lengths)} references"
