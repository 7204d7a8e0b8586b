"""Headline honesty, power, one-direction benchmarks, seed pairing, the primary endpoint and capability
non-inferiority. Each test pins a case where the old report said something its data could not support."""

from types import SimpleNamespace

import numpy as np
import pytest
from synthetic_runs import write_benchmark

from traitrl.stats import compare_runs
from traitrl.stats.capability import NOT_ASSESSABLE, REGRESSION, outcome
from traitrl.stats.endpoint import primary_endpoint
from traitrl.stats.power import benchmark_mde, smallest_p
from traitrl.stats.settings import StatsSettings


def write_pair(root, name, ref, arm, **kw):
    write_benchmark(root / "ref", name, ref, **kw)
    write_benchmark(root / "arm", name, arm, **kw)


def test_smallest_p_matches_the_exact_tests():
    assert smallest_p(6) == pytest.approx(0.03125)  # the issue's "0.031 at 6 items"
    assert benchmark_mde(40.0, 6, 0.05 / 72) is None  # unattainable: 0.031 > 0.00069
    assert benchmark_mde(40.0, 400, 0.05 / 72) == pytest.approx(
        (3.388 + 0.8416) * 40 / 20, rel=1e-3)  # z_{1-0.00035} + z_{0.8}, times SE 2 pp


def test_quick_sized_study_is_a_smoke_test(tmp_path):
    rng = np.random.default_rng(0)
    for b in range(72):
        ref = rng.random(6) < 0.5
        write_pair(tmp_path, f"b{b:02d}", ref, ref ^ (rng.random(6) < 0.3))
    s = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm").summary
    assert s.headline.startswith("Smoke test: no effect smaller than ")
    assert "smallest attainable p 0.031 > 0.00069 = alpha / 72" in s.headline
    assert s.headline.index("Smoke test") < s.headline.index("Primary endpoint") < s.headline.index("tied of")
    assert "checkpoints only" in s.headline and "improved on" not in s.headline


def test_counts_cover_ties_and_the_sign_test(tmp_path):
    # 3 better, 1 worse, 2 exact ties: the old headline said "improved on 3 of 6" and hid the ties.
    half, quarter = [1] * 20 + [0] * 20, [1] * 10 + [0] * 30
    for name, ref, arm in [("a", quarter, half), ("b", quarter, half), ("c", quarter, half), ("d", half, quarter),
                           ("e", half, half), ("f", half, half)]:
        write_pair(tmp_path, name, ref, arm)
    s = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm").summary
    assert (s.n_better_assessable, s.n_worse_assessable, s.n_tied, s.n_assessable) == (3, 1, 2, 6)
    assert s.sign_test_p == pytest.approx(0.625)  # binomtest(3, 4): no evidence of a broad effect
    assert "3 better / 1 worse / 2 tied of 6 assessable benchmarks (sign test p = 0.625)" in s.headline


def test_floor_benchmark_is_listed_not_counted(tmp_path):
    # The base model scores 0 on `floor`: any change can only look like a gain. It must not count as "better".
    write_benchmark(tmp_path / "base", "floor", [0] * 50)
    write_benchmark(tmp_path / "base", "normal", [1, 0] * 25)
    write_pair(tmp_path, "floor", [0] * 50, [1] * 10 + [0] * 40)
    write_pair(tmp_path, "normal", [1, 0] * 25, [1, 0] * 25)
    c = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200, base=tmp_path / "base")
    s = c.arm("arm").summary
    floor = next(d for d in c.arm("arm").deltas if d.benchmark == "floor")
    assert floor.direction == "up_only" and floor.delta == pytest.approx(20.0)
    assert (s.n_better_assessable, s.n_assessable) == (0, 1) and s.one_direction == ["floor (floor)"]
    assert "listed not counted: floor (floor)" in s.headline
    assert s.primary.n_benchmarks == 1  # the floor gain is not pooled into the primary endpoint either


def test_continuous_metric_is_not_averaged_with_accuracy(tmp_path):
    write_pair(tmp_path, "acc", [1, 0] * 50, [1, 0] * 50)
    write_pair(tmp_path, "brier", [0.5] * 100, [0.1] * 100, higher_is_better=False)  # a big Brier gain
    s = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm").summary
    assert s.primary.estimate == pytest.approx(0.0) and s.mean_delta == pytest.approx(0.0)
    assert s.not_pooled == ["brier"] and "not pooled: brier" in s.headline


def test_seed_i_is_paired_with_reference_seed_i(tmp_path):
    # Each seed shifts both arms by the same large amount; the arm adds +10 pp. Paired by index, every seed Δ is
    # +10; paired against one reference seed, the seed effects would leak into the Δs.
    rng = np.random.default_rng(3)
    refs, arms = [], []
    for s, base_rate in enumerate((0.2, 0.5, 0.8)):
        u = rng.random(400)
        write_benchmark(tmp_path / f"ref{s}", "b", u < base_rate)
        write_benchmark(tmp_path / f"arm{s}", "b", u < base_rate + 0.1)
        refs.append(tmp_path / f"ref{s}")
        arms.append(tmp_path / f"arm{s}")
    d = compare_runs(refs, {"arm": arms}, n_boot=200).arm("arm").deltas[0]
    np.testing.assert_allclose(d.seed_deltas, 10.0, atol=4.0)
    assert d.seed_ci_low > 0


def _delta(name: str, seed_deltas: np.ndarray, se: float, one_arm_run: bool = False) -> SimpleNamespace:
    """The fields of a BenchmarkDelta that primary_endpoint reads (a model per simulated benchmark is too slow)."""
    return SimpleNamespace(benchmark=name, category="x", labels=[], unit="pp", binary=True, direction="both",
                           one_arm_run=one_arm_run, item_sd=50.0, n_paired=40,
                           delta=float(np.mean(seed_deltas)), seed_deltas=list(seed_deltas), se=se)


def simulate_primary(rng, effect: float, n_reps: int, k: int = 3, n_bench: int = 10, n_items: int = 40,
                     run_sd: float = 3.0, arm_runs: int | None = None, one_arm_run: bool | None = None):
    """Binary items; each (arm, seed) run shifts every benchmark's success rate by N(0, run_sd) pp. `arm_runs=1`:
    one arm run against the k reference runs (a control at one seed); `one_arm_run` overrides what the deltas say."""
    arm_runs = arm_runs or k
    p = rng.uniform(0.3, 0.7, size=(n_reps, n_bench, 1, n_items))
    run_ref = rng.normal(0, run_sd / 100, size=(n_reps, 1, k, 1))
    run_arm = rng.normal(effect / 100, run_sd / 100, size=(n_reps, 1, arm_runs, 1))
    ref = rng.random((n_reps, n_bench, k, n_items)) < np.clip(p + run_ref, 0, 1)
    arm = rng.random((n_reps, n_bench, arm_runs, n_items)) < np.clip(p + run_arm, 0, 1)
    seed_deltas = 100 * (arm.astype(float) - ref).mean(axis=-1)  # reps × benchmarks × seeds (one arm run broadcast)
    flag = arm_runs == 1 if one_arm_run is None else one_arm_run
    results = []
    for rep in seed_deltas:
        deltas = [_delta(f"b{b}", rep[b], se=7.0, one_arm_run=flag) for b in range(n_bench)]
        results.append(primary_endpoint(deltas, {}, "pooled_mean_delta", 0.05, 0.8, 200, rng))
    return results


def test_null_simulation_keeps_coverage_near_95():
    results = simulate_primary(np.random.default_rng(11), effect=0.0, n_reps=1000)
    coverage = np.mean([r.ci_low <= 0 <= r.ci_high for r in results])
    assert 0.93 <= coverage <= 0.97, coverage


def test_one_arm_run_against_three_reference_runs_keeps_coverage_near_95():
    # A control arm trained at one seed, compared with the three baseline runs. Treating its three Δs as paired
    # seeds misses the control run's own run-to-run shift, shared by all three: the interval is about half as wide
    # as it should be, and one run's luck reads as an effect.
    naive = simulate_primary(np.random.default_rng(13), effect=0.0, n_reps=1000, arm_runs=1, one_arm_run=False)
    assert np.mean([r.ci_low <= 0 <= r.ci_high for r in naive]) < 0.87  # measured 83.5 %
    results = simulate_primary(np.random.default_rng(13), effect=0.0, n_reps=1000, arm_runs=1)
    coverage = np.mean([r.ci_low <= 0 <= r.ci_high for r in results])
    assert 0.93 <= coverage <= 0.98, coverage  # measured 95.2 %
    assert all(r.one_arm_run and r.hier_ci_low is None for r in results)  # the bootstrap would miss it too


def test_only_the_untrained_model_is_compared_as_a_run_without_variance(tmp_path):
    rng = np.random.default_rng(21)
    refs = []
    for k in range(3):
        refs.append(tmp_path / f"baseline{k}")
        write_benchmark(refs[-1], "b", rng.random(200) < 0.5)
    for name in ("base", "placebo"):
        write_benchmark(tmp_path / name, "b", rng.random(200) < 0.5)
    c = compare_runs(refs, {"base": [tmp_path / "base"], "placebo": [tmp_path / "placebo"]}, n_boot=200,
                     n_perm=999, base=tmp_path / "base")
    base, placebo = c.arm("base"), c.arm("placebo")
    assert not base.deltas[0].one_arm_run and not base.summary.primary.one_arm_run
    assert placebo.deltas[0].one_arm_run and placebo.summary.primary.one_arm_run
    assert base.deltas[0].seed_deltas != placebo.deltas[0].seed_deltas
    width = lambda d: d.seed_ci_high - d.seed_ci_low  # noqa: E731
    sd = np.std(placebo.deltas[0].seed_deltas, ddof=1)
    assert width(placebo.deltas[0]) == pytest.approx(2 * 4.303 * sd * np.sqrt(1 + 1 / 3), rel=1e-3)  # t(0.975, 2)
    assert "t-test of one arm run against 3 reference runs" in placebo.summary.headline
    assert "paired t-test over 3 seeds" in base.summary.headline


def test_planted_effect_is_recovered():
    # Seed-level SD here is ~4 pp, so with 3 seeds (t, 2 df) the MDE is ~13 pp: plant 20 pp.
    results = simulate_primary(np.random.default_rng(12), effect=20.0, n_reps=200)
    assert np.mean([r.seed_p_value < 0.05 for r in results]) > 0.75  # measured 84.5 %
    assert np.mean([r.ci_low <= 20.0 <= r.ci_high for r in results]) > 0.9
    assert abs(np.mean([r.estimate for r in results]) - 20.0) < 1.0
    assert all(r.method_uncertainty and r.n_seeds == 3 for r in results)


def test_capability_not_assessable_at_quick_size_and_regression_at_400(tmp_path):
    write_pair(tmp_path / "quick", "arith", [1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 0, 0], category="capability")
    cap = compare_runs(tmp_path / "quick" / "ref", {"arm": [tmp_path / "quick" / "arm"]}, n_boot=200) \
        .arm("arm").summary.capability
    assert cap.status == "not_assessable" and "not assessable (CI wider than the margin)" in cap.outcome
    rng = np.random.default_rng(5)
    u = rng.random(400)
    write_pair(tmp_path / "big", "arith", u < 0.6, u < 0.5, category="capability")  # planted −10 pp
    cap = compare_runs(tmp_path / "big" / "ref", {"arm": [tmp_path / "big" / "arm"]}, n_boot=500) \
        .arm("arm").summary.capability
    assert cap.status == "regression" and cap.regressions == ["arith"]
    assert cap.results[0].ci_high < -3


def test_identical_answers_on_six_items_are_not_evidence_of_no_regression(tmp_path):
    # The quick study's capability_facts: both models right on the same 3 of 6 items, bootstrap SE 0.
    write_pair(tmp_path, "facts", [1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 1, 0], category="capability")
    cap = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm").summary.capability
    assert cap.status == "not_assessable", cap.results
    assert cap.results[0].ci_low < -3 < 3 < cap.results[0].ci_high


def test_capability_no_regression_needs_a_tight_interval(tmp_path):
    u = np.random.default_rng(6).random(4000)
    write_pair(tmp_path, "arith", u < 0.6, u < 0.6, category="capability")
    write_benchmark(tmp_path / "base", "arith", u < 0.6, category="capability")
    write_benchmark(tmp_path / "base", "facts", [0] * 10, category="capability")
    write_pair(tmp_path, "facts", [0] * 10, [0] * 10, category="capability")
    cap = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200, base=tmp_path / "base") \
        .arm("arm").summary.capability
    assert cap.status == "no_regression" and cap.one_direction == ["facts"]  # at the floor: cannot show a drop


def test_noninferiority_outcomes():
    assert outcome(-2.0, 4.0, -3.0) == "no regression beyond the margin"
    assert outcome(-9.0, -4.0, -3.0) == REGRESSION
    assert outcome(-4.0, -2.0, -3.0) == REGRESSION  # narrow, reaches past the margin
    assert outcome(-20.0, 15.0, -3.0) == NOT_ASSESSABLE


def test_primary_endpoint_can_name_one_category(tmp_path):
    write_pair(tmp_path, "h1", [0] * 50 + [1] * 50, [1] * 100, category="honesty")
    write_pair(tmp_path, "c1", [1] * 100, [0] * 100, category="capability")
    settings = StatsSettings(primary_endpoint="category:honesty")
    s = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200, settings=settings) \
        .arm("arm").summary
    assert s.primary.estimate == pytest.approx(50.0) and s.primary.n_benchmarks == 1
    with pytest.raises(ValueError, match="primary_endpoint"):
        StatsSettings(primary_endpoint="best_of_all")
