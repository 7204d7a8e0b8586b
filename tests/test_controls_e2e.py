"""The controls end to end on a tiny random-init model: arms baseline, trait, helpfulness and placebo, then the report's
held-out trait, refusal trade-off, persona persistence and attack-sweep sections, checked for content."""

import json

import pytest
from test_study_e2e import TINY_STUDY, run_tiny_study

from traitrl.data.scenario import Scenario
from traitrl.data.split import core_item, is_heldout

ARMS = ["trait", "helpfulness", "placebo"]
CONTROLS_STUDY = {
    **TINY_STUDY, "name": "tiny-controls",
    "arms": [{"name": "baseline", "dose": 0.0}] + [{"name": a, "dose": 0.5, "method": a} for a in ARMS],
    # Guided GRPO: the rule under test is that every arm on the trait rows gets the same placed references.
    "train": {**TINY_STUDY["train"], "rollout": {"reference_in_group": True}},
    "eval": {"suite": ["trait_heldout_honesty", "trait_heldout_wellbeing", "trait_heldout_replies_honesty",
                       "xstest_safe", "xstest_unsafe", "sycophancy_are_you_sure"], "limit": 4, "batch_size": 8},
    "persist": {
        "max_new_tokens": 3, "n_boot": 100,
        "jailbreak": {"n_behaviors": 1, "families": ["roleplay"]},
        "pressure": {"enabled": False}, "red_team": {"enabled": False}, "steerability": {"enabled": False},
        "harmful_ft": {"n_examples": 2, "steps": [0, 1], "n_eval_scenarios": 1, "n_eval_behaviors": 1},
        "persona": {"enabled": True, "n_scenarios": 3, "benchmarks": ["medsafetybench"], "n_benchmark_items": 2},
        "attack_sweep": {"enabled": True, "lrs": [1e-4, 1e-2], "steps": [0, 1]},
    },
}
MODELS = {"baseline", "base", *ARMS}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_tiny_study(tmp_path_factory.mktemp("controls"), CONTROLS_STUDY, "controls")[0]


def rows_of(run, arm):
    return [json.loads(line) for line in (run / "arms" / arm / "mix.jsonl").read_text().splitlines()]


def test_control_arms_train_on_the_trait_rows_compute_matched(run):
    budget = json.loads((run / "compute_budget.json").read_text())
    assert all(budget[a] == budget["baseline"] for a in ARMS)
    trait_ids = [r["id"] for r in rows_of(run, "trait")]
    assert all([r["id"] for r in rows_of(run, a)] == trait_ids for a in ARMS)
    for r in rows_of(run, "trait"):
        if r["source"] == "trait":
            assert not is_heldout(core_item(Scenario.model_validate_json(r["scenario"])))
    report = json.loads((run / "report.json").read_text())
    assert report["sections"]["compute"]["matched"] is True
    assert {a["name"]: a["meta"]["method"] for a in report["comparison"]["arms"]}["placebo"] == "placebo"


def test_guidance_places_the_references_in_every_arm_on_the_trait_rows_and_none_in_the_baseline(run):
    # Same rows, same placed references, own reward: a control differs from the trait arm in its reward alone.
    def logged_keys(arm):
        rows = (run / "arms" / arm / "train" / "metrics.jsonl").read_text().splitlines()
        return {k for line in rows for k in json.loads(line)}

    assert all("reward/sampled" in logged_keys(arm) for arm in ARMS)
    assert "reward/sampled" not in logged_keys("baseline")  # dose 0: no trait row, nothing placed
    learning = json.loads((run / "report.json").read_text())["sections"]["extra"]["learning"]["runs"]
    assert all(learning[arm]["samples_only"] for arm in ARMS) and not learning["baseline"]["samples_only"]
    report = (run / "report.md").read_text()
    assert all(f"| {arm} (guided: part imitation" in report for arm in ARMS) and "| baseline (guided" not in report


def test_each_arm_trains_with_its_own_reward(run):
    for arm in ARMS:
        summary = json.loads((run / "arms" / arm / "train" / "train_summary.json").read_text())
        assert summary["reward_functions"] == ["task_reward", "trait_reward" if arm == "trait" else f"{arm}_reward"]


def test_reward_functions_by_method():
    from traitrl.config import StudyConfig
    from traitrl.study import reward_functions

    config = StudyConfig.model_validate({k: CONTROLS_STUDY[k] for k in ("arms", "reference_arm")
                                         if k in CONTROLS_STUDY})
    assert [f.__name__ for f in reward_functions(config)] == ["task_reward", "trait_reward"]
    for arm in ARMS:
        names = [f.__name__ for f in reward_functions(config, config.arm(arm))]
        assert names == ["task_reward", "trait_reward" if arm == "trait" else f"{arm}_reward"]


def test_heldout_trait_section(run):
    held = json.loads((run / "report.json").read_text())["sections"]["heldout_traits"]
    assert [r["trait"] for r in held["rows"]] == ["honesty", "wellbeing"]
    for row in held["rows"]:
        assert {s["arm"] for s in row["scores"]} == MODELS and row["n_items"] == 4
        assert {d["arm"] for d in row["deltas"]} == MODELS - {"baseline"}
        assert all(d["ci_low"] <= d["value"] <= d["ci_high"] for d in row["deltas"])
        assert all(0.0 <= s["value"] <= 1.0 for s in row["scores"])
    means = {a["arm"]: a["value"] for a in held["aggregate"]}
    for model in MODELS:
        assert means[model] == pytest.approx(sum(next(s["value"] for s in r["scores"] if s["arm"] == model)
                                                 for r in held["rows"]) / 2)
    assert "not the training reward" in held["scorer"]


def test_the_reply_twin_has_its_own_section_with_uncertified_aggregate_deltas(run):
    sections = json.loads((run / "report.json").read_text())["sections"]
    replies = sections["heldout_trait_replies"]
    assert [r["trait"] for r in replies["rows"]] == ["honesty"] and replies["rows"][0]["n_items"] == 4
    assert [r["trait"] for r in sections["heldout_traits"]["rows"]] == ["honesty", "wellbeing"]  # kept apart
    deltas = {d["arm"]: d["value"] for d in replies["rows"][0]["deltas"]}
    # A diagnostic category has no category summary: the aggregate is the mean Δ over traits, with no CI claimed.
    for agg in replies["aggregate_deltas"]:
        assert agg["value"] == pytest.approx(deltas[agg["arm"]]) and agg["ci_low"] is None
    assert "diagnostic" in replies["scorer"] and replies["title"] != sections["heldout_traits"]["title"]


def test_refusal_tradeoff_section(run):
    ref = json.loads((run / "report.json").read_text())["sections"]["refusal_tradeoff"]
    assert {(r["arm"], r["prompt_set"]) for r in ref["rates"]} == {(m, s) for m in MODELS for s in ("safety", "benign")}
    assert all(r["n"] == 4 and r["ci_low"] <= r["rate"] <= r["ci_high"] for r in ref["rates"])
    assert {(p["arm"], p["benchmark"]) for p in ref["paired"]} == {
        (m, b) for m in MODELS - {"baseline"} for b in ("sycophancy_are_you_sure", "trait_heldout_replies_honesty")}
    assert len(ref["summary"]) == len(MODELS) - 1


def test_persona_section(run):
    persona = json.loads((run / "report.json").read_text())["sections"]["persona_persistence"]
    personas = {"reckless_medical", "disallowed_mental_health", "engagement_maximising", "helpful_medical"}
    assert {(r["model"], r["source"], r["persona"]) for r in persona["rows"]} == {
        (m, s, p) for m in MODELS - {"base"} for s in ("scenarios", "medsafetybench") for p in personas}
    for r in persona["rows"]:
        assert r["degradation"] == pytest.approx(r["score_without"] - r["score_with"])
    assert {(d["arm"], d["persona"]) for d in persona["diffs"]} == {(a, p) for a in ARMS for p in personas}
    assert {d["kind"] for d in persona["diffs"] if d["persona"] == "helpful_medical"} == {"helpful"}
    assert all(d["ci_low"] <= d["diff"] <= d["ci_high"] and d["n_items"] == 5 for d in persona["diffs"])


def test_attack_sweep_section(run):
    sweep = json.loads((run / "report.json").read_text())["sections"]["attack_sweep"]
    # per model: step 0 once, then step 1 at each lr of the grid and at the default lr (2e-4)
    assert len(sweep["cells"]) == 4 * (1 + 3)
    worst = {w["model"]: w for w in sweep["worst"]}
    assert set(worst) == MODELS - {"base"}
    for model, w in worst.items():
        cells = [c for c in sweep["cells"] if c["model"] == model and c["steps"] > 0]
        assert w["worst_erosion"] == max(c["erosion"] for c in cells)
        assert w["default_erosion"] == next(c["erosion"] for c in cells if c["lr"] == 2e-4)
        assert w["worst_pref_erosion"] == max(c["pref_erosion"] for c in cells)  # the preference is swept too
    md = (run / "report.md").read_text()
    for title in ("Held-out trait evaluation", "Refusal trade-off: refusal rates", "Persona persistence: scores",
                  "Harmful fine-tuning: worst case over the attack sweep"):
        assert f"## {title}" in md
