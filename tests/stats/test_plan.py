"""`traitrl plan`: power before the run, and a cost model that reproduces the quick study it was measured on."""

import pytest
from synthetic_runs import write_benchmark
from typer.testing import CliRunner

from traitrl._util.io import read_json, write_json_atomic
from traitrl.cli.main import cli
from traitrl.persist.config import load_persist_config
from traitrl.stats.plan import (
    PlannedBenchmark,
    cost_table,
    persist_units,
    pilot_costs,
    pilot_item_sds,
    pilot_run_sds,
    plan_power,
    predict_costs,
    wall_seconds,
)

QUICK_SHAPE = {"prompts_per_step": 4, "num_generations": 4, "max_completion_tokens": 48}


def test_quick_sized_plan_is_a_smoke_test():
    plan = plan_power([PlannedBenchmark(f"b{i}", "x", 6) for i in range(76)], 1, 0.05, 0.8, "bh", 10.0)
    assert all(mde is None for _, _, mde in plan.benchmarks)
    assert plan.benchmarks[0][1] == pytest.approx(0.03125)
    assert plan.smoke.startswith("smoke test: no effect smaller than") and "0.031 > 0.00066" in plan.smoke
    assert plan.primary_method_mde[3] > plan.primary_method_mde[10]  # more seeds, smaller MDE


def test_large_plan_is_not_a_smoke_test():
    plan = plan_power([PlannedBenchmark(f"b{i}", "x", 800) for i in range(50)], 5, 0.05, 0.8, "bh", 10.0)
    assert plan.smoke is None and all(mde is not None and mde < 10 for _, _, mde in plan.benchmarks)


def _persist(stages) -> float:
    return sum(s.seconds for s in stages if s.stage.startswith("persist"))


def test_cost_model_reproduces_the_quick_study_it_was_measured_on():
    # Measured before harmful FT scored the likelihood preference, so without its items.
    calibrated = load_persist_config({"preset": "quick", "harmful_ft": {"steps": [0, 10, 20], "n_pref_scenarios": 0}})
    stages = {s.stage: s for s in predict_costs(76 * 6, 2, QUICK_SHAPE, 16, calibrated, True, cost_table(),
                                                n_persist_models=2)}
    assert stages["eval_base"].seconds == pytest.approx(128, rel=0.01)
    assert 178 * 2 <= stages["train (all runs)"].seconds <= 234 * 2
    assert _persist(stages.values()) == pytest.approx(191, rel=0.01)  # the measured persistence stage
    assert {k for k in stages if k.startswith("persist")} == {f"persist · {k}" for k in (
        "jailbreak", "pressure", "red_team", "steerability", "harmful_ft")}  # persona, sweep off by default
    doubled = {s.stage: s for s in predict_costs(76 * 6, 2, {**QUICK_SHAPE, "max_completion_tokens": 96}, 16,
                                                 None, True, cost_table())}
    assert doubled["train (all runs)"].seconds == pytest.approx(2 * stages["train (all runs)"].seconds)
    assert not any(k.startswith("persist") for k in doubled)  # no `persist:`, no persistence cost


def test_persist_unit_costs_follow_from_their_documented_derivation():
    costs = cost_table()
    d, cal = costs["persist_derivation"], costs["persist_calibration"]
    secs, toks = d["loaded_seconds_per_model"], d["loaded_tokens_per_model"]
    per_token = (secs["jailbreak"] + secs["pressure"] + secs["steerability"]) / (
        toks["jailbreak"] + toks["pressure"] + toks["steerability"])
    per_step = (secs["harmful_ft"] - toks["harmful_ft_measurements"] * per_token) / d["loaded_harmful_ft_steps"]
    units = persist_units(load_persist_config({"preset": cal["preset"],
                                               "harmful_ft": {"steps": cal["harmful_ft_steps"]}}))
    tokens, steps = sum(u.tokens for u in units.values()), sum(u.sft_steps for u in units.values())
    scale = cal["seconds"] / (cal["n_models"] * (tokens * per_token + steps * per_step))
    assert costs["persist_seconds_per_generated_token"] == pytest.approx(per_token * scale, rel=1e-3)
    assert costs["persist_seconds_per_sft_step"] == pytest.approx(per_step * scale, rel=1e-3)
    assert costs["persist_seconds_per_scenario_item"] == costs["eval_seconds_per_item"]
    # The loaded token counts are those of the quick defaults the loaded timings were taken with.
    default = persist_units(load_persist_config({"preset": "quick"}))
    assert toks["jailbreak"] == default["jailbreak"].tokens and toks["pressure"] == default["pressure"].tokens
    assert toks["steerability"] == default["steerability"].tokens
    assert (default["harmful_ft"].sft_steps, default["harmful_ft"].tokens) == (25, toks["harmful_ft_measurements"])


def _plan_persist(raw: dict, n_models: int = 4) -> dict[str, float]:
    stages = predict_costs(100, n_models, QUICK_SHAPE, 16, load_persist_config(raw), True, cost_table(),
                           n_persist_models=n_models)
    return {s.stage.removeprefix("persist · "): s.seconds for s in stages if s.stage.startswith("persist")}


def test_persona_and_attack_sweep_add_their_priced_work():
    c = cost_table()
    tok, step, item = (c["persist_seconds_per_generated_token"], c["persist_seconds_per_sft_step"],
                       c["persist_seconds_per_scenario_item"])
    base = {"harmful_ft": {"steps": [0, 10, 20]}}
    plain = _plan_persist(base)
    persona = _plan_persist({**base, "persona": {"enabled": True, "n_scenarios": 24, "n_benchmark_items": 8}})
    # 4 models × 5 personas (4 + "none") × (24 scored scenarios + 8 medsafetybench × 64 + 8 vera_mh × 96 tokens)
    assert sum(persona.values()) - sum(plain.values()) == pytest.approx(4 * 5 * (24 * item + 8 * (64 + 96) * tok))
    sweep = _plan_persist({**base, "attack_sweep": {"enabled": True, "lrs": [5e-5, 1e-3], "steps": [0, 10, 20]}})
    # lrs {5e-5, 2e-4 (harmful FT's), 1e-3} × 20 SFT steps; 3 + 2 × 2 measured points × 12 replies × 48 tokens
    assert sum(sweep.values()) - sum(plain.values()) == pytest.approx(
        4 * (3 * 20 * step + 7 * (12 * 48 * tok + 60 * item)))
    assert sweep["attack_sweep"] > 100  # the grid's SFT dominates: 4 models × 60 steps
    assert _plan_persist(base, n_models=2)["harmful_ft"] == pytest.approx(plain["harmful_ft"] / 2)


def test_disabled_substages_cost_nothing():
    full = _plan_persist({"persona": {"enabled": True}, "attack_sweep": {"enabled": True}})
    off = {k: {"enabled": False} for k in ("jailbreak", "pressure", "red_team", "steerability", "persona",
                                              "attack_sweep")}
    bare = _plan_persist({**off, "harmful_ft": {"enabled": False}})
    assert set(bare) == {"harmful_ft"} and set(full) > set(bare)
    c = cost_table()
    # Disabled harmful FT still measures step 0: 12 replies × 48 tokens and 60 preference items, no SFT.
    assert bare["harmful_ft"] == pytest.approx(4 * (12 * 48 * c["persist_seconds_per_generated_token"]
                                                    + 60 * c["persist_seconds_per_scenario_item"]))
    for stage, disabled in off.items():  # switching one sub-stage off removes exactly its row
        one_off = _plan_persist({"persona": {"enabled": True}, "attack_sweep": {"enabled": True}, stage: disabled})
        assert stage not in one_off
        assert sum(one_off.values()) == pytest.approx(sum(full.values()) - full[stage])


def write_pilot(root):
    config = {"reference_arm": "baseline", "arms": [{"name": "baseline"}, {"name": "trait"}],
              "train": {"steps": 8, **QUICK_SHAPE}, "persist": {"preset": "quick"}}
    write_json_atomic(root / "manifest.json", {"config": config})
    write_json_atomic(root / "timings.json", {"data": {"seconds": 3.0, "peak_rss_gib": 0.5},
                                              "eval_base": {"seconds": 50.0, "peak_rss_gib": 2.0},
                                              "persist": {"seconds": 300.0, "peak_rss_gib": 4.0}})
    for arm, train_s in (("baseline", 80.0), ("trait", 120.0)):
        write_json_atomic(root / "arms" / arm / "timings.json", {"train": {"seconds": train_s, "peak_rss_gib": 3.0},
                                                                 "eval": {"seconds": 50.0, "peak_rss_gib": 2.5}})
    for arm, scores in (("base", [1, 0] * 50), ("baseline", [1, 0] * 50), ("trait", [1, 1] * 50)):
        record = write_benchmark(root / "arms" / arm / "evals", "b", scores)
        # The base model's items were scored (50 s); the arms' records say how long their scoring took.
        write_json_atomic(record, {**read_json(record), "seconds": 50.0})


def test_pilot_replaces_defaults(tmp_path):
    write_pilot(tmp_path)
    costs = pilot_costs(tmp_path, cost_table())
    assert costs["eval_seconds_per_item"] == pytest.approx(0.5)  # 50 s for 100 items, in each model's records
    assert costs["train_seconds_per_step"] == pytest.approx(12.5)  # mean 100 s over 8 steps
    assert costs["stage_peak_rss_gib"]["train"] == 3.0
    # The pilot's persistence (2 models, quick defaults) took 300 s: every persist unit cost is rescaled to match.
    pilot_persist = _persist(predict_costs(1, 2, QUICK_SHAPE, 8, load_persist_config({"preset": "quick"}), False,
                                           costs, n_persist_models=2))
    assert pilot_persist == pytest.approx(300.0) and costs["stage_peak_rss_gib"]["persist"] == 4.0
    assert costs["data_seconds"] == 3.0 and costs["estimated_not_measured"] == ["report_seconds"]  # not in pilot
    assert pilot_item_sds(tmp_path)["b"] == (pytest.approx(50.25, rel=0.01), True)  # half the items flip 0→1
    assert pilot_run_sds(tmp_path) == (None, None)  # one seed and no comparison: nothing measured


def test_items_read_from_the_cache_are_not_priced_as_free(tmp_path):
    """A pilot whose base eval came from the content cache took seconds for thousands of items; a fresh study will
    not. Only scored items set the price."""
    write_pilot(tmp_path)
    base = tmp_path / "arms" / "base" / "evals" / "b.json"
    write_json_atomic(base, {**read_json(base), "seconds": 0.01, "cache_hits": 100})
    assert pilot_costs(tmp_path, cost_table())["eval_seconds_per_item"] == pytest.approx(0.5)
    resumed = tmp_path / "arms" / "trait" / "evals" / "b.json"  # 60 items scored before a stop, 40 after it
    write_json_atomic(resumed, {**read_json(resumed), "seconds": 20.0, "cache_hits": 60})
    assert pilot_costs(tmp_path, cost_table())["eval_seconds_per_item"] == pytest.approx(70 / 140)
    for arm in ("baseline", "trait"):  # nothing scored at all: the default table's price stays
        record = tmp_path / "arms" / arm / "evals" / "b.json"
        write_json_atomic(record, {**read_json(record), "cache_hits": 100})
    assert pilot_costs(tmp_path, cost_table())["eval_seconds_per_item"] == cost_table()["eval_seconds_per_item"]


def test_parallel_workers_split_only_the_per_run_stages():
    stages = predict_costs(100, 3, QUICK_SHAPE, 16, None, True, cost_table())
    once = {s.stage: s.seconds for s in stages}
    per_run = once["train (all runs)"] + once["eval (all runs)"]
    alone = sum(once.values())
    assert wall_seconds(stages, 3, 1) == pytest.approx(alone)
    # 3 runs on 2 workers take two rounds, not 1.5: a run is not split between workers.
    assert wall_seconds(stages, 3, 2) == pytest.approx(alone - per_run / 3)
    assert wall_seconds(stages, 3, 8) == pytest.approx(alone - 2 * per_run / 3)  # extra workers idle
    assert wall_seconds(stages, 3, 8) > once["eval_base"] + once["data"] + once["report"]


def test_plan_cli_prints_power_and_cost():
    result = CliRunner().invoke(cli, ["plan", "configs/quick.yaml", "--set", "eval.suite=capability"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Smoke test: no effect smaller than" in out and "smallest p" in out and "unattainable" in out
    assert "Primary endpoint" in out and "Predicted wall time" in out and "total" in out
    for stage in ("jailbreak", "harmful_ft", "persona", "attack_sweep"):  # configs/quick.yaml enables both controls
        assert f"persist · {stage}" in out
    assert "at once" not in out
    parallel = CliRunner().invoke(cli, ["plan", "configs/quick.yaml", "--set", "eval.suite=capability",
                                        "--workers", "2"]).output
    assert "wall, 2 runs at once" in parallel and "2 rounds of the per-run stages" in parallel  # quick: 4 arms


def test_measured_persist_substages_use_the_plans_stage_names(tmp_path):
    from traitrl.persist.run import write_substage_timings

    write_json_atomic(tmp_path / "timings.json", {"persona": {"seconds": 50.0}})  # as persist.controls times it
    write_substage_timings(tmp_path, {
        "baseline": {"jailbreak": 10.0, "pressure": 5.0, "steering": 3.0, "overrefusal": 2.0, "harmful_ft": 40.0},
        "trait": {"jailbreak": 12.0, "pressure": 6.0, "steering": 4.0, "overrefusal": 1.0, "harmful_ft": 44.0}})
    from traitrl._util.io import read_json

    measured = read_json(tmp_path / "timings.json")
    assert measured["steerability"] == {"seconds": 10.0, "by_model": {"baseline": 5.0, "trait": 5.0}}
    assert measured["jailbreak"]["seconds"] == 22.0 and measured["persona"] == {"seconds": 50.0}
    assert "red_team" not in measured  # not run, not recorded
    planned = {s.stage.removeprefix("persist · ") for s in predict_costs(
        1, 2, QUICK_SHAPE, 1, load_persist_config({"persona": {"enabled": True}, "attack_sweep": {"enabled": True}}),
        False, cost_table()) if s.stage.startswith("persist")}
    assert set(measured) - {"red_team"} <= planned
