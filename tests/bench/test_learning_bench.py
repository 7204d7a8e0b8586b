"""bench/learning.py's held-out sets never overlap what the arm trains on."""

import json

from helpers import load_bench


def test_task_heldout_prompts_are_never_trained_on(tmp_path):
    bench = load_bench("learning.py")
    args = bench.parse_args(["--out", str(tmp_path), "--dose", "0", "--steps", "30", "--heldout", "40"])
    rows, heldout = bench.build_rows(args)
    trained = {json.dumps(r["prompt"]) for r in rows}
    held = [json.dumps(t.messages()) for t in heldout]
    assert len(held) == 40 and len(set(held)) == 40 and not trained & set(held)
    assert {t.kind for t in heldout} == {"arithmetic", "format", "factual"}


def test_trait_heldout_shares_no_core_item_with_training(tmp_path):
    bench = load_bench("learning.py")
    args = bench.parse_args(["--out", str(tmp_path), "--dose", "1", "--steps", "30", "--heldout", "50"])
    rows, heldout = bench.build_rows(args)
    trait_rows = [r for r in rows if r["source"] == "trait"]
    assert len(heldout) == 50 and len(trait_rows) > 0.8 * len(rows)  # pair steps keep two task slots
    from traitrl.data.scenario import Scenario
    from traitrl.data.split import core_item

    trained_cores = {core_item(Scenario.model_validate_json(r["scenario"])) for r in trait_rows}
    held_cores = {core_item(s) for s in heldout}
    assert held_cores and not trained_cores & held_cores
    # The split is the project's (data.split): the same held-out side the trait_heldout benchmarks score.
    from traitrl.evals.benchmarks.trait_heldout import heldout_scenarios

    assert {s.id for s in heldout} <= {s.id for t in {s.trait.value for s in heldout} for s in heldout_scenarios(t)}


def test_imitation_trains_on_the_training_side_and_scores_the_held_out_side(tmp_path):
    from helpers import tiny_model_dir

    bench = load_bench("learning.py")
    out = tmp_path / "imitation"
    result = bench.main(["--out", str(out), "--model", str(tiny_model_dir()), "--dose", "1", "--traits", "honesty",
                         "--imitation", "--steps", "2", "--prompts", "2", "--heldout", "4", "--max-tokens", "4"])
    assert result["reward_trend"] is None and result["heldout"]["heldout_trait"]["n"] == 4
    assert result["train_config"]["max_length"] == 1024 and "num_generations" not in result["train_config"]  # SFT's
    assert (out / "imitation_model" / "config.json").is_file() and (out / "greedy_after.jsonl").is_file()


def test_imitation_needs_a_trait_arm(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="--dose"):
        load_bench("learning.py").main(["--out", str(tmp_path), "--imitation", "--dose", "0"])


def test_the_task_scorer_keeps_its_greedy_replies_with_their_verdicts(tmp_path):
    from helpers import tiny_model_dir

    bench = load_bench("learning.py")
    args = bench.parse_args(["--out", str(tmp_path), "--dose", "0", "--heldout", "3", "--max-tokens", "3",
                             "--samples", "2"])
    _, heldout = bench.build_rows(args)
    scores = bench.score_tasks(str(tiny_model_dir()), heldout, args, "before")
    written = [json.loads(line) for line in (tmp_path / "greedy_before.jsonl").read_text().splitlines()]
    assert [w["id"] for w in written] == [t.id for t in heldout]
    assert [w["pass"] for w in written] == scores["greedy"] and len(scores["sampled"]) == 3
