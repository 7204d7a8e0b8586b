"""persist.run.split_bank holds out by core item (data.split), not by training scenario id: a variant of a trained
scenario (same core item, another id) is not "unseen", and the harmful-SFT data shares no core item with it."""

from persist_fakes import scenario

from traitrl._util.io import write_jsonl_atomic
from traitrl.data.bank import write_bank
from traitrl.data.split import is_heldout
from traitrl.persist.config import PersistConfig
from traitrl.persist.run import split_bank


def _item(held: bool, start: int = 0) -> str:
    return next(f"fact:t{i}" for i in range(start, 10_000) if is_heldout(f"fact:t{i}") == held)


def _with_item(sid: str, item: str):
    s = scenario(sid)
    return s.model_copy(update={"meta": {**s.meta, "core_item": item}})


def test_variant_of_a_trained_scenario_is_not_held_out(tmp_path):
    trained = _item(True)  # on the held-out side of the split, yet an old mix trained on it
    unseen = _item(True, start=int(trained.split("t")[-1]) + 1)
    train_side = _item(False)
    study = tmp_path / "study"
    bank = [_with_item("a", trained), _with_item("b", trained), _with_item("c", unseen),
            _with_item("d", train_side)]
    write_bank(bank, study / "data" / "bank.jsonl")
    write_jsonl_atomic(study / "arms" / "trait" / "mix.jsonl", [{"source": "trait", "id": "a"},
                                                                 {"source": "task", "id": "c"}])
    model = study / "arms" / "trait" / "train" / "final"
    held, rest, source = split_bank([model], PersistConfig(), seed=0)
    # "b" has another id than the trained "a" but the same core item; "d" is on the split's train side.
    assert [s.id for s in held] == ["c"]
    assert sorted(s.id for s in rest) == ["a", "b", "d"]
    assert "core item" in source
