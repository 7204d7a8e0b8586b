"""The held-out trait sets answer the study's second question. A trait arm trains on these traits, so a gain there
must never pass for a change in the out-of-distribution battery: they have their own endpoint and family, and the
battery's numbers are the same with or without them."""

import math

import numpy as np
import pytest
from synthetic_runs import write_benchmark

from traitrl._util.io import write_json_atomic
from traitrl.report.controls import heldout_trait_section
from traitrl.stats import compare_runs
from traitrl.stats.plan import PlannedBenchmark, format_plan, pilot_run_sds, plan_power

N_ITEMS = 200


def delta(arm, benchmark: str):
    return next(d for d in arm.deltas if d.benchmark == benchmark)


def write_run(out, rng, battery_shift: float, trait_shift: float, traits: bool = True) -> None:
    """Six battery benchmarks and, with `traits`, four held-out trait sets (category trait_heldout, label
    'traits'); each item succeeds with probability 0.5 plus the shift."""
    for b in range(6):
        write_benchmark(out, f"battery{b}", rng.random(N_ITEMS) < 0.5 + battery_shift)
    if traits:
        for t in range(4):
            write_benchmark(out, f"trait_heldout_t{t}", rng.random(N_ITEMS) < 0.5 + trait_shift,
                            category="trait_heldout", labels=("traits", f"t{t}"))


def write_seeds(root, trait_shifts: list[float], traits: bool = True) -> tuple[list, list]:
    """Seed-paired reference and arm runs: the arm's trait sets gain `trait_shifts[k]` at seed k; the battery does
    not move. The same generator seeds give the same battery items with or without the trait sets."""
    refs, arms = [], []
    for k, shift in enumerate(trait_shifts):
        ref, arm = root / f"ref{k}", root / f"arm{k}"
        write_run(ref, np.random.default_rng(10 + k), 0.0, 0.0, traits)
        write_run(arm, np.random.default_rng(10 + k), 0.0, shift, traits)  # same draws: battery Δ exactly 0
        refs.append(ref)
        arms.append(arm)
    return refs, arms


def test_a_held_out_trait_gain_does_not_move_the_battery(tmp_path):
    refs, arms = write_seeds(tmp_path, [0.25, 0.3, 0.2])
    s = compare_runs(refs, {"trait": arms}, n_boot=200, n_perm=999).arm("trait").summary
    assert s.primary.n_benchmarks == 6 and s.primary.estimate == pytest.approx(0.0)
    assert (s.n_assessable, s.n_better_assessable, s.n_better_adjusted) == (6, 0, 0)
    assert s.mean_delta == pytest.approx(0.0) and s.seed_mean_deltas == pytest.approx([0.0] * 3)
    t = s.trait_endpoint
    assert t.n_benchmarks == 4 and t.n_seeds == 3 and t.estimate == pytest.approx(25.0, abs=3.0)
    assert t.seed_ci_low > 0 and s.n_traits_better_adjusted == 4
    assert "Held-out trait endpoint" in s.headline and "4 better and 0 worse of 4 held-out trait sets" in s.headline
    assert "0 better / 0 worse / 6 tied of 6 assessable benchmarks" in s.headline


def test_the_battery_reads_the_same_with_or_without_the_trait_sets(tmp_path):
    refs, arms = write_seeds(tmp_path / "with", [0.25, 0.3, 0.2])
    alone_refs, alone_arms = write_seeds(tmp_path / "alone", [0.25, 0.3, 0.2], traits=False)
    # A battery that moves a little, so that its adjusted p-values and MDEs are not all at their bounds.
    for k in range(3):
        for root in (arms[k], alone_arms[k]):
            write_benchmark(root, "battery0", np.random.default_rng(99 + k).random(N_ITEMS) < 0.6)
    with_traits = compare_runs(refs, {"trait": arms}, n_boot=200, n_perm=999).arm("trait")
    alone = compare_runs(alone_refs, {"trait": alone_arms}, n_boot=200, n_perm=999).arm("trait")
    assert alone.summary.trait_endpoint is None
    for name in [f"battery{b}" for b in range(6)]:
        a, b = delta(with_traits, name), delta(alone, name)
        assert (a.delta, a.p_value, a.p_holm, a.p_bh, a.mde) == (b.delta, b.p_value, b.p_holm, b.p_bh, b.mde)
    assert with_traits.summary.primary == alone.summary.primary


def test_held_out_table_carries_the_across_seed_interval(tmp_path):
    refs, arms = write_seeds(tmp_path, [0.25, 0.3, 0.2])
    comparison = compare_runs(refs, {"trait": arms}, n_boot=200, n_perm=999)
    section = heldout_trait_section(comparison, "test scorer")
    expected = delta(comparison.arm("trait"), "trait_heldout_t0")
    row = next(r for r in section.rows if r.trait == "t0")
    assert (row.deltas[0].seed_ci_low, row.deltas[0].seed_ci_high) == (expected.seed_ci_low, expected.seed_ci_high)
    [aggregate] = section.aggregate_deltas
    endpoint = comparison.arm("trait").summary.trait_endpoint
    assert (aggregate.seed_ci_low, aggregate.seed_ci_high) == (endpoint.seed_ci_low, endpoint.seed_ci_high)
    [(_, caption, _, rows)] = section.tables()
    assert "across-seed" in caption and " seeds [" in rows[-1][-1]
    one_seed = heldout_trait_section(compare_runs(refs[0], {"trait": [arms[0]]}, n_boot=200, n_perm=999), "s")
    [(_, caption, _, rows)] = one_seed.tables()
    assert "across-seed" not in caption and "seeds" not in rows[-1][-1]  # one seed: no run-to-run interval


def test_plan_prices_the_battery_without_the_trait_sets():
    battery = [PlannedBenchmark(f"b{i}", "fairness", 200) for i in range(40)]
    traits = [PlannedBenchmark(f"trait_heldout_t{i}", "trait_heldout", 120, trait_evaluation=True) for i in range(13)]
    alone = plan_power(battery, 3, 0.05, 0.8, "bh", 10.0)
    both = plan_power(battery + traits, 3, 0.05, 0.8, "bh", 10.0, trait_run_sd=2.0)
    assert (both.threshold, both.primary_items_mde, both.primary_method_mde) == (
        alone.threshold, alone.primary_items_mde, alone.primary_method_mde)
    assert both.trait_items_mde > alone.primary_items_mde  # 13 sets of 120 items against 40 of 200
    assert both.trait_method_mde[3] > both.primary_method_mde[3]  # and a larger run-to-run SD
    text = format_plan("plan", both, [], "test")
    assert "Held-out trait endpoint (mean Δ over the 13 held-out trait sets)" in text
    assert "over the 40 battery benchmarks" in text and "run-to-run SD 2 pp" in text


def test_pilot_measures_each_endpoints_run_to_run_sd_apart(tmp_path):
    # The trait sets vary a lot from seed to seed and the battery not at all: each endpoint gets its own SD.
    refs, arms = write_seeds(tmp_path, [0.05, 0.35, 0.2])
    comparison = compare_runs(refs, {"trait": arms}, n_boot=200, n_perm=999)
    write_json_atomic(tmp_path / "comparison.json", comparison.model_dump(mode="json"))
    battery_sd, trait_sd = pilot_run_sds(tmp_path)
    assert battery_sd == pytest.approx(0.0)
    seed_values = np.mean([delta(comparison.arm("trait"), f"trait_heldout_t{t}").seed_deltas for t in range(4)], axis=0)
    assert trait_sd == pytest.approx(float(np.std(seed_values, ddof=1)) / math.sqrt(2)) and trait_sd > 5
