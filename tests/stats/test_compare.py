import json

import numpy as np
import pytest
from synthetic_runs import write_benchmark, write_study

from traitrl._util.errors import ConfigError, DataError
from traitrl.stats import compare_runs, dose_response, find_arms, holm, resolve_runs, transfer_matrix
from traitrl.stats.models import ArmMeta, Comparison


def test_holm_hand_computed():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_delta_is_signed_so_positive_is_better(tmp_path):
    ref, arm = tmp_path / "ref", tmp_path / "arm"
    # Lower is better (e.g. attack success): the arm fails 10 of 100 items instead of 30.
    write_benchmark(ref, "asr", [1] * 30 + [0] * 70, higher_is_better=False, category="jailbreak")
    write_benchmark(arm, "asr", [1] * 10 + [0] * 90, higher_is_better=False, category="jailbreak")
    d = compare_runs(ref, {"arm": [arm]}, n_boot=500).arm("arm").deltas[0]
    assert d.delta == pytest.approx(20.0)
    assert d.unit == "pp" and d.test == "mcnemar_exact"
    assert d.ci_low < 20.0 < d.ci_high and d.ci_low > 0
    assert d.p_value == pytest.approx(2 * 0.5 ** 20)  # 20 discordant pairs, all one way


def test_unpaired_and_errored_items_are_counted(tmp_path):
    ref, arm = tmp_path / "ref", tmp_path / "arm"
    write_benchmark(ref, "b", [1, 0, 1, 1], ids=["a", "b", "c", "d"], errors={"d"})
    write_benchmark(arm, "b", [1, 1, 0, 1, 1], ids=["a", "b", "c", "e", "f"], errors={"f"})
    d = compare_runs(ref, {"arm": [arm]}, n_boot=200).arm("arm").deltas[0]
    assert (d.n_paired, d.n_unpaired_reference, d.n_unpaired_arm) == (3, 0, 1)
    assert (d.n_errors_reference, d.n_errors_arm) == (1, 1)


def test_version_mismatch_refuses_to_pair(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0], version=1)
    write_benchmark(tmp_path / "arm", "b", [1, 1], version=2)
    with pytest.raises(DataError, match=r"arm/b\.json: benchmark 'b' has version 2 .* has 1"):
        compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]})


def test_duplicate_item_names_file_and_line(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0, 1], ids=["x", "y", "x"])
    write_benchmark(tmp_path / "arm", "b", [1, 1], ids=["x", "y"])
    with pytest.raises(DataError, match=r"ref/b\.jsonl:3: item id 'x' appears twice"):
        compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]})


def test_score_none_without_error_names_line(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0])
    write_benchmark(tmp_path / "arm", "b", [1, 1])
    path = tmp_path / "arm" / "b.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["score"] = None
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=r"arm/b\.jsonl:2: item 'b-1' has score None and no `error`"):
        compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]})


def test_missing_benchmark_is_listed_not_dropped(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0])
    write_benchmark(tmp_path / "ref", "only_ref", [1, 0])
    write_benchmark(tmp_path / "arm", "b", [1, 1])
    arm = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm")
    assert [m.benchmark for m in arm.missing] == ["only_ref"]
    assert arm.missing[0].absent_from == [str(tmp_path / "arm")]
    assert "1 benchmark(s) not compared" in arm.summary.headline


def test_benchmark_with_no_item_scored_in_every_run_is_listed_not_compared(tmp_path):
    # e.g. a calibration set where the reference stated no confidence anywhere: every item is an error there
    write_benchmark(tmp_path / "ref", "b", [1, 0])
    write_benchmark(tmp_path / "ref", "calib", [0, 0], errors={"calib-0", "calib-1"})
    write_benchmark(tmp_path / "arm", "b", [1, 1])
    write_benchmark(tmp_path / "arm", "calib", [1, 0])
    arm = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm")
    assert [d.benchmark for d in arm.deltas] == ["b"]
    assert [(m.benchmark, m.reason) for m in arm.missing] == [("calib", "no item scored without error in every run")]
    assert "1 benchmark(s) not compared" in arm.summary.headline


def test_study_summary_seeds_and_capability(tmp_path):
    ref, runs = write_study(tmp_path, n_benchmarks=10, n_items=200, shift=0.15, n_seeds=3)
    c = compare_runs(ref, runs, n_boot=300, n_perm=999)
    arm = c.arm("trait")
    s = arm.summary
    assert s.n_benchmarks == 10 and s.n_improved + s.n_worse + s.n_unchanged == 10
    assert s.n_significant_better >= 5 and s.n_significant_worse == 0
    assert len(s.seed_n_improved) == 3 and s.seed_mean_delta_ci_low < s.mean_delta < s.seed_mean_delta_ci_high
    d = arm.deltas[0]
    assert d.test == "sign_flip" and len(d.seed_deltas) == 3
    assert d.delta == pytest.approx(np.mean(d.seed_deltas))
    assert s.capability.status == "no_regression" and s.capability.n_benchmarks == 1
    assert s.headline.startswith("Primary endpoint (pre-registered: pooled mean") and "improved on" not in s.headline
    assert f"{s.n_better_assessable} better / {s.n_worse_assessable} worse / {s.n_tied} tied of 10 assessable" \
        in s.headline and "after BH" in s.headline and "paired t-test over 3 seeds" in s.headline
    assert arm.meta == ArmMeta(dose_frac=0.05, method="trait_rl")
    assert Comparison.model_validate_json(c.model_dump_json()) == c  # JSON round trip
    # Same seed → same numbers; results keyed by name, not order.
    assert compare_runs(ref, runs, n_boot=300, n_perm=999) == c


def test_capability_regression_flagged(tmp_path):
    write_benchmark(tmp_path / "ref", "mmlu", [1] * 400 + [0] * 400, category="capability")
    write_benchmark(tmp_path / "arm", "mmlu", [1] * 300 + [0] * 500, category="capability")
    s = compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200).arm("arm").summary
    assert s.capability.status == "regression" and s.capability.regressions == ["mmlu"]
    assert "Capability: regression beyond the margin -3 pp on mmlu" in s.headline


def test_find_arms_in_study_dir(tmp_path):
    write_study(tmp_path, n_benchmarks=2, n_items=20, n_seeds=2)
    arms = find_arms(tmp_path)
    assert sorted(arms) == ["baseline", "trait"]
    assert [p.name for p in arms["trait"]] == ["seed0", "seed1"]
    assert find_arms(f"x={tmp_path / 'evals' / 'baseline'}") == {"x": [tmp_path / "evals" / "baseline"]}
    with pytest.raises(DataError, match="neither an eval directory"):
        find_arms(tmp_path / "nope")


def test_sweep_views(tmp_path):
    metas = {"d05": {"dose_frac": 0.05, "domains": ["health"]}, "d10": {"dose_frac": 0.10, "domains": ["law"]}}
    ref, runs = write_study(tmp_path, n_benchmarks=10, n_items=200, shift=0.05, arms=metas)
    c = compare_runs(ref, runs, n_boot=300)
    dose = dose_response(c)
    assert [p.dose_frac for p in dose.points] == [0.05, 0.10]
    assert dose.points[1].mean_delta > dose.points[0].mean_delta  # shift doubles for the second arm
    tm = transfer_matrix(c)
    assert tm.rows == ["d05", "d10"] and tm.row_domains["d05"] == ["health"]
    cell = next(x for x in tm.cells if x.row == "d10" and x.column == "health")
    health = [d for d in c.arm("d10").deltas if d.category == "health"]
    assert cell.mean_delta == pytest.approx(np.mean([d.delta for d in health]))
    assert all(x.p_holm >= x.p_value for x in tm.cells)
    by_label = transfer_matrix(c, by="label")
    assert by_label.columns == ["health"] and by_label.n_unlabelled == 9


def test_resolve_runs_collects_seeds_across_study_dirs(tmp_path):
    for s in (0, 1):
        write_study(tmp_path / f"s{s}", n_benchmarks=2, n_items=20, seed=s)
    label, ref, arms = resolve_runs([tmp_path / "s0", tmp_path / "s1"])
    assert (label, ref) == ("baseline", tmp_path / "s0" / "evals" / "baseline")
    # s1's baseline is compared too (the seed-to-seed noise floor); trait gathers one seed per study dir.
    assert arms == {"trait": [tmp_path / f"s{s}" / "evals" / "trait" for s in (0, 1)],
                    "baseline": [tmp_path / "s1" / "evals" / "baseline"]}
    with pytest.raises(DataError, match="given twice"):
        resolve_runs([tmp_path / "s0", tmp_path / "s0" / "evals" / "trait"])
    with pytest.raises(ConfigError, match="no arm 'control'.*--reference"):
        resolve_runs([tmp_path / "s0"], reference_label="control")


def test_diagnostic_benchmarks_are_shown_but_not_counted(tmp_path):
    ref, arm = tmp_path / "ref", tmp_path / "arm"
    for out, shift in ((ref, 0), (arm, 1)):
        write_benchmark(out, "scored", [shift] * 50 + [0] * 50)
        write_benchmark(out, "political_lean", [shift] * 50 + [0] * 50, labels=("diagnostic",))
    comparison = compare_runs(ref, {"arm": [arm]}, n_boot=200)
    summary = comparison.arms[0].summary
    assert summary.n_benchmarks == 1 and summary.n_improved == 1
    assert {d.benchmark for d in comparison.arms[0].deltas} == {"scored", "political_lean"}
    diagnostic = next(d for d in comparison.arms[0].deltas if d.benchmark == "political_lean")
    assert diagnostic.p_holm == diagnostic.p_value  # its own family of one, not adjusted with the scored ones


def test_compare_groups_seeded_study_runs_and_pairs_references(tmp_path):
    for s in (0, 1, 2):
        for arm, ones in (("baseline", 10), ("trait", 14)):
            write_benchmark(tmp_path / "arms" / f"{arm}-s{s}" / "evals", "b", [1] * ones + [0] * (20 - ones))
    label, refs, arms = resolve_runs([tmp_path])
    assert label == "baseline" and refs == [tmp_path / "arms" / f"baseline-s{s}" / "evals" for s in (0, 1, 2)]
    assert arms == {"trait": [tmp_path / "arms" / f"trait-s{s}" / "evals" for s in (0, 1, 2)]}
    d = compare_runs(refs, arms, n_boot=200).arm("trait").deltas[0]
    assert d.seed_deltas == [20.0, 20.0, 20.0]
