"""`traitrl plan`: power before the run, and a cost model that reproduces the quick study it was measured on."""

import math

import pytest
from synthetic_runs import write_benchmark
from typer.testing import CliRunner

from traitrl._util.io import write_json_atomic
from traitrl.cli.main import cli
from traitrl.stats.plan import PlannedBenchmark, cost_table, pilot_costs, pilot_item_sds, plan_power, predict_costs

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


def test_cost_model_reproduces_the_quick_study_it_was_measured_on():
    stages = {s.stage: s for s in predict_costs(76 * 6, 2, QUICK_SHAPE, 16, "quick", True, cost_table())}
    assert stages["eval_base"].seconds == pytest.approx(128, rel=0.01)
    assert 178 * 2 <= stages["train (all runs)"].seconds <= 234 * 2
    assert stages["persist"].seconds == 191
    doubled = {s.stage: s for s in predict_costs(76 * 6, 2, {**QUICK_SHAPE, "max_completion_tokens": 96}, 16,
                                                 "unknown-preset", True, cost_table())}
    assert doubled["train (all runs)"].seconds == pytest.approx(2 * stages["train (all runs)"].seconds)
    assert math.isnan(doubled["persist"].seconds) and "no measured cost" in doubled["persist"].basis


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
    write_benchmark(root / "arms" / "base" / "evals", "b", [1, 0] * 50)
    write_benchmark(root / "arms" / "baseline" / "evals", "b", [1, 0] * 50)
    write_benchmark(root / "arms" / "trait" / "evals", "b", [1, 1] * 50)


def test_pilot_replaces_defaults(tmp_path):
    write_pilot(tmp_path)
    costs = pilot_costs(tmp_path, cost_table())
    assert costs["eval_seconds_per_item"] == pytest.approx(0.5)  # 50 s for 100 items
    assert costs["train_seconds_per_step"] == pytest.approx(12.5)  # mean 100 s over 8 steps
    assert costs["persist_seconds"]["quick"] == 300.0 and costs["stage_peak_rss_gib"]["train"] == 3.0
    assert costs["data_seconds"] == 3.0 and costs["estimated_not_measured"] == ["report_seconds"]  # not in pilot
    sds, run_sd = pilot_item_sds(tmp_path)
    assert sds["b"] == (pytest.approx(50.25, rel=0.01), True) and run_sd is None  # half the items flip 0→1


def test_plan_cli_prints_power_and_cost():
    result = CliRunner().invoke(cli, ["plan", "configs/quick.yaml", "--set", "eval.suite=capability"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Smoke test: no effect smaller than" in out and "smallest p" in out and "unattainable" in out
    assert "Primary endpoint" in out and "Predicted wall time" in out and "total" in out
