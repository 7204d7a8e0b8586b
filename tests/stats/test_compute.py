"""Compute matching measured from the training logs: an arm that generated longer completions is flagged."""

from synthetic_runs import write_benchmark

from traitrl._util.io import write_json_atomic, write_jsonl_atomic
from traitrl.stats import compare_runs
from traitrl.stats.compute import compute_flag, measure_run, mismatches
from traitrl.stats.settings import ComputeTolerance
from traitrl.stats.summary import flag_compute


def write_run(run, mean_length: float, grad_norm: float, zero_std: float, steps: int = 4, per_step: int = 16):
    """A run's logs as traitrl's trainer writes them under batch advantage scaling: TRL's frac_reward_zero_std is
    a batch-wide flag (0 here) and frac_group_zero_std the share of groups without reward spread."""
    history = [{"step": s + 1, "completions/mean_length": mean_length, "grad_norm": grad_norm,
                "frac_group_zero_std": zero_std, "frac_reward_zero_std": 0.0,
                "num_tokens": (s + 1) * per_step * (20 + mean_length)}
               for s in range(steps)]
    write_jsonl_atomic(run / "train" / "metrics.jsonl", history)
    write_json_atomic(run / "train" / "train_summary.json",
                      {"steps": steps, "generated_tokens": int(steps * per_step * mean_length)})
    write_json_atomic(run / "timings.json", {"train": {"seconds": 100.0, "peak_rss_gib": 1.0}})
    return run


def test_measured_quantities_come_from_the_logs(tmp_path):
    m = measure_run(write_run(tmp_path / "baseline", mean_length=30, grad_norm=1.0, zero_std=0.5))
    assert m["optimizer_steps"] == 4 and m["generated_tokens"] == 4 * 16 * 30
    assert m["prompt_tokens"] == 4 * 16 * 20  # cumulative num_tokens minus what was generated
    assert (m["grad_norm"], m["zero_std_fraction"], m["kl"], m["wall_seconds"]) == (1.0, 0.5, None, 100.0)


def test_longer_completions_are_flagged_and_matched_arms_are_not(tmp_path):
    tol = ComputeTolerance()
    ref = measure_run(write_run(tmp_path / "baseline", mean_length=30, grad_norm=1.0, zero_std=0.5))
    same = measure_run(write_run(tmp_path / "same", mean_length=31, grad_norm=1.1, zero_std=0.55))
    longer = measure_run(write_run(tmp_path / "longer", mean_length=40, grad_norm=1.31, zero_std=0.5))
    assert mismatches(same, ref, tol) == []
    found = mismatches(longer, ref, tol)
    assert found == ["generated_tokens +33% vs reference (tolerance ±10%)",
                     "grad_norm +31% vs reference (tolerance ±25%)"]
    assert compute_flag({"trait-s0": []}) is None
    assert compute_flag({"trait-s0": found}).startswith("Compute NOT matched as run")


def test_flag_goes_into_the_headline_after_the_smoke_warning(tmp_path):
    for b in range(3):
        write_benchmark(tmp_path / "ref", f"b{b}", [1, 0, 1, 0, 1, 0])
        write_benchmark(tmp_path / "arm", f"b{b}", [1, 1, 1, 0, 1, 0])
    c = compare_runs(tmp_path / "ref", {"trait": [tmp_path / "arm"]}, n_boot=200)
    flag_compute(c, {"trait": "Compute NOT matched as run (measured, not configured): trait: x."})
    assert c.headline.startswith("Smoke test") and c.arm("trait").summary.compute_flag
    assert c.headline.index("Smoke test") < c.headline.index("Compute NOT matched") < c.headline.index("Primary")


def test_study_compute_section_holds_each_seed_to_its_own_baseline(tmp_path):
    from traitrl.config import StudyConfig
    from traitrl.study import compute_budgets, compute_section

    config = StudyConfig(seeds=[0, 1])
    write_json_atomic(tmp_path / "compute_budget.json", compute_budgets(config))
    for seed, trait_length in ((0, 31), (1, 48)):  # seed 1's trait arm generated 60 % longer completions
        write_run(tmp_path / "arms" / f"baseline-s{seed}", mean_length=30, grad_norm=1.0, zero_std=0.5)
        write_run(tmp_path / "arms" / f"trait-s{seed}", mean_length=trait_length, grad_norm=1.0, zero_std=0.5)
    section, flags = compute_section(config, tmp_path, "baseline")
    rows = {a["arm"]: a for a in section["arms"]}
    assert rows["trait-s1"]["reference"] == "baseline-s1" and rows["trait-s0"]["mismatches"] == []
    assert rows["trait-s1"]["mismatches"][0].startswith("generated_tokens +60%")
    assert section["matched"] is True and section["measured_matched"] is False  # pre-flight passes, the run does not
    assert flags["trait"].startswith("Compute NOT matched as run") and "trait-s1" in flags["trait"]
    assert flags["baseline"] is None
