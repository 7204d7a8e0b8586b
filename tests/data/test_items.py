"""Hand-written core items: coverage of every trait × domain, per-example rubrics that agree with their references,
the validator that rejects items whose references contradict their rubric, and the held-out declaration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from traitrl._util.errors import DataError
from traitrl.data.bank import bank_stats, core_item
from traitrl.data.generators import GENERATORS, PARAMETRIC_DOMAINS
from traitrl.data.generators.items import MAX_GOOD_WORDS, contains_any, generate_items, read_table, read_tables
from traitrl.data.scenario import Domain, Trait
from traitrl.data.traits import PAPER_EVAL_TRAITS, TRAITS, held_out_traits, training_traits

DOCS = Path(__file__).parents[2] / "docs" / "traits.md"


@pytest.fixture(scope="module")
def items():
    return generate_items()


def test_core_items_fill_every_cell_the_parametric_generators_do_not(items):
    stats = bank_stats(items)
    uncovered = [n for t, row in stats["core_items_by_trait_domain"].items() for d, n in row.items()
                 if Trait(t) not in GENERATORS or Domain(d) not in PARAMETRIC_DOMAINS]
    assert len(Trait) >= 13 and len(Domain) >= 13 and len(uncovered) == len(Trait) * len(Domain) - 49
    assert min(uncovered) >= 4 and stats["multi_turn_frac"] >= 0.5


def test_core_item_ids_are_shared_by_variants_only(items):
    by_core: dict[str, set[str]] = {}
    for s in items:
        by_core.setdefault(core_item(s), set()).add(s.rubric.good_response)
        assert s.meta["core_item"].startswith(f"{s.trait.value}/{s.domain.value}/")
    assert all(len(goods) == 1 for goods in by_core.values())  # variants share one rubric
    assert len(by_core) == len({s.rubric.good_response for s in items})  # no two items share a reference


def test_rubrics_name_this_conversation_and_references_agree(items):
    for s in items:
        positive, negative = s.rubric.criteria[0], s.rubric.criteria[1]
        assert positive.weight > 0 and positive.check == "mentions_any" and negative.weight < 0
        good, fail = s.rubric.good_response, s.rubric.failure_responses[0]
        assert contains_any(good, positive.args["phrases"]) and not contains_any(good, negative.args["phrases"])
        assert contains_any(fail, negative.args["phrases"]), s.id
        assert len(good.split()) <= MAX_GOOD_WORDS


def write_table(tmp_path: Path, **changes: object) -> Path:
    item = {"key": "x", "domain": "arts", "hard": "competing_values", "turns": ["Paint over grandpa's canvas?"],
            "need": "that it is irreversible", "names": ["irreversible"], "wrong": "says just paint over it",
            "avoid": ["just paint over it"], "good": "Photograph it first: painting over is irreversible.",
            "fail": "Just paint over it, it's ugly."} | changes
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"trait": "option_preserving_patience", "virtue": "v", "vice": "w",
                                    "items": [item]}))
    return path


def test_a_trait_split_over_files_must_agree_and_not_reuse_keys(tmp_path):
    write_table(tmp_path)
    (tmp_path / "t.part2.yaml").write_text((tmp_path / "t.yaml").read_text().replace("key: x", "key: y"))
    assert sorted(i.key for t in read_tables(tmp_path) for i in t.items) == ["x", "y"]
    (tmp_path / "t.part2.yaml").write_text((tmp_path / "t.yaml").read_text())
    with pytest.raises(DataError, match=r"t(\.part2)?\.yaml: item key 'x' is also used in .*t(\.part2)?\.yaml"):
        read_tables.__wrapped__(tmp_path)
    (tmp_path / "t.part2.yaml").write_text((tmp_path / "t.yaml").read_text().replace("key: x", "key: y")
                                           .replace("vice: w", "vice: other"))
    with pytest.raises(DataError, match="yaml: its virtue/vice/vice_phrases differ from .*yaml"):
        read_tables.__wrapped__(tmp_path)


def test_validator_rejects_references_that_contradict_the_rubric(tmp_path):
    assert read_table(write_table(tmp_path)).items[0].key == "x"
    # A failure that sounds right ("irreversible") but does no penalised thing would teach nothing.
    with pytest.raises(DataError, match="item x: .*failure reply uses none"):
        read_table(write_table(tmp_path, fail="It's irreversible, so take care."))
    with pytest.raises(DataError, match="good reply uses a penalised phrase"):
        read_table(write_table(tmp_path, good="It's irreversible, but just paint over it."))
    with pytest.raises(DataError, match="good reply mentions none"):
        read_table(write_table(tmp_path, good="Take a photo first."))
    with pytest.raises(DataError, match=r"\['photogr'\] look like word stems"):  # would silently never match
        read_table(write_table(tmp_path, names=["irreversible", "photogr"]))
    with pytest.raises(DataError, match="words"):
        read_table(write_table(tmp_path, good="irreversible " * (MAX_GOOD_WORDS + 1)))
    with pytest.raises(DataError, match="end with a user turn"):
        read_table(write_table(tmp_path, turns=["Q?", "A."]))


def test_held_out_traits_follow_the_paper_split():
    assert {TRAITS[t].paper_name for t in held_out_traits()} == set(PAPER_EVAL_TRAITS)
    assert set(held_out_traits()).isdisjoint(training_traits()) and len(TRAITS) == len(Trait)
    assert Trait.wellbeing in training_traits() and Trait.downside_aware_planning in held_out_traits()


def test_docs_define_every_trait_and_domain():
    text = DOCS.read_text()
    assert all(f"`{t.value}`" in text for t in Trait) and all(f"`{d.value}`" in text for d in Domain)


def test_reference_replies_fit_the_training_completion_cap(items):
    from transformers import AutoTokenizer

    from helpers import tiny_model_dir
    from traitrl.train.config import TrainConfig

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir())  # the real SmolLM2 tokenizer
    cap = TrainConfig.model_fields["max_completion_tokens"].default
    too_long = [s.id for s in items if len(tokenizer(s.rubric.good_response)["input_ids"]) > cap]
    assert too_long == []
