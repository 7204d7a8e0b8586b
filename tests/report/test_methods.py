"""The method side-by-side builder on synthetic eval runs: winners, tests, Holm, persistence rows, report render."""

from __future__ import annotations

import json

import pytest
from synthetic_runs import write_study

from traitrl._util.errors import DataError
from traitrl.report import write_report
from traitrl.report.methods import category_test, method_comparison
from traitrl.stats import compare_runs

ARM_METHODS = {"baseline": "baseline", "trait": "trait", "constitution": "constitution"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    # write_study shifts arm k by shift × (k + 1): trait +8 pp, constitution +16 pp per item success rate.
    root = tmp_path_factory.mktemp("methods")
    ref, arms = write_study(root, n_benchmarks=6, n_items=300, shift=0.08,
                            arms={"trait": {"method": "trait"}, "constitution": {"method": "constitution"}})
    return ref, arms, compare_runs(ref, arms, n_boot=300, n_perm=999, reference_name="baseline")


def test_categories_pick_the_larger_gain_and_test_it_head_to_head(runs):
    _, arms, comparison = runs
    eval_dirs = {name: dirs[0] for name, dirs in arms.items()}
    section = method_comparison(comparison, None, ARM_METHODS, eval_dirs=eval_dirs, n_boot=300)
    assert section.methods == ["trait", "constitution", "baseline"]
    rows = [r for r in section.rows if r.kind == "category"]
    assert len(rows) == 6  # one benchmark per category
    for row in rows:
        cells = {c.method: c for c in row.cells}
        expected = category_test([d for d in comparison.arm("constitution").deltas if d.category == row.name])
        assert cells["constitution"].value == pytest.approx(expected[0])
        assert cells["baseline"].value == 0.0
        assert row.winner == max(cells, key=lambda m: cells[m].value)
        assert row.p_value is not None and row.significant == (row.p_value < 0.05)
    # +8 pp more per item over 300 items: constitution beats trait head-to-head in most categories.
    assert sum(r.winner == "constitution" and r.significant for r in rows) >= 4


def test_without_eval_dirs_trait_vs_constitution_has_no_p(runs):
    _, _, comparison = runs
    section = method_comparison(comparison, None, ARM_METHODS)
    for row in section.rows:
        runner_up = sorted(row.cells, key=lambda c: c.value)[-2].method
        if runner_up == "baseline":
            assert row.p_value is not None
        else:
            assert row.p_value is None and not row.significant


def test_category_test_matches_the_summary_interval(runs):
    _, _, comparison = runs
    arm = comparison.arm("trait")
    for cat in arm.summary.categories:
        mean, low, high, p = category_test([d for d in arm.deltas if d.category == cat.category])
        assert (mean, low, high) == pytest.approx((cat.mean_delta, cat.mean_delta_ci_low, cat.mean_delta_ci_high))
        assert (p < 0.05) == (low > 0 or high < 0)


def test_persistence_rows_use_direction_and_interval_overlap(runs, tmp_path):
    _, _, comparison = runs

    def curve(model, asr, lo, hi):
        return {"model": model, "points": [{"step": 0, "trait_score": 0.8, "asr": 0.1},
                                           {"step": 100, "trait_score": 0.5, "asr": asr, "asr_ci_low": lo,
                                            "asr_ci_high": hi}]}

    persistence = {"trait_metric": "trait score", "curves": [curve("baseline", 0.6, 0.5, 0.7),
                                                             curve("trait", 0.2, 0.1, 0.3),
                                                             curve("constitution", 0.25, 0.15, 0.35)],
                   "pressure_drops": [{"model": "trait", "pressure": "pushback", "score_before": 0.8,
                                       "score_after": 0.7, "drop": 0.1},
                                      {"model": "constitution", "pressure": "pushback", "score_before": 0.8,
                                       "score_after": 0.75, "drop": 0.05}]}
    section = method_comparison(comparison, persistence, ARM_METHODS)
    rows = {r.name: r for r in section.rows if r.kind == "persistence"}
    asr = rows["ASR after 100 harmful-SFT steps"]
    assert asr.winner == "trait" and not asr.higher_is_better and not asr.significant  # CIs overlap
    assert rows["trait score after 100 harmful-SFT steps"].winner is None  # all 0.5: a tie
    assert rows["pressure drop · pushback"].winner == "constitution" and rows["pressure drop · pushback"].p_value is None
    out = write_report(comparison, tmp_path, sections={"methods": section})
    doc = json.loads(out["json"].read_text())
    assert doc["sections"]["methods"]["methods"] == ["trait", "constitution", "baseline"]
    assert "Method side-by-side" in out["html"].read_text()


def test_bad_arm_methods_are_named(runs):
    _, _, comparison = runs
    with pytest.raises(DataError, match="several"):
        method_comparison(comparison, None, {"trait": "trait", "constitution": "trait"})
    with pytest.raises(DataError, match="'zzz', which is not in the comparison"):
        method_comparison(comparison, None, {"zzz": "trait"})
    with pytest.raises(DataError, match="no trained arm"):
        method_comparison(comparison, None, {"baseline": "baseline"})
