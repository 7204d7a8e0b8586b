"""Selective-persistence index: components weighted by their independent units, cluster bootstrap CIs, verdict."""

import numpy as np
import pytest

from traitrl.persist.index import bootstrap_mean_ci, selective_persistence, sign_flip_pvalue, stratified_index


def _pair(base, arm):
    return ({f"i{k}": v for k, v in enumerate(base)}, {f"i{k}": v for k, v in enumerate(arm)})


def test_components_weigh_by_their_own_n():
    # A 2-item component must not carry half the index (the quick run's 5-behaviour red team carried a fifth).
    comps = {"big": _pair([0.0] * 98, [1.0] * 98), "small": _pair([0.0, 0.0], [0.0, 0.0])}
    out = stratified_index(comps, n_boot=200, seed=0)
    assert out["value_pp"] == pytest.approx(98.0)
    big = out["components"]["big"]
    assert (big["delta_pp"], big["n_items"], big["n_clusters"], big["weight"]) == (100.0, 98, 98, 0.98)
    assert out["ci_low"] == pytest.approx(98.0) and out["ci_high"] == pytest.approx(98.0)


def test_pressure_rows_are_resampled_by_scenario():
    # 8 scenarios × 5 pressures, each scenario moving as one: 40 rows but 8 independent units.
    rng = np.random.default_rng(1)
    shifts = rng.normal(0, 0.3, 8)
    base = {f"trait/s{s}/p{p}": 0.5 for s in range(8) for p in range(5)}
    arm = {f"trait/s{s}/p{p}": 0.5 + shifts[s] + rng.normal(0, 0.01) for s in range(8) for p in range(5)}
    clustered = stratified_index({"pressure": (base, arm)}, 4000, 0)
    as_rows = stratified_index({"rows": (base, arm)}, 4000, 0)  # no cluster rule: every row its own unit
    assert clustered["components"]["pressure"]["n_clusters"] == 8
    width = lambda ix: ix["ci_high"] - ix["ci_low"]  # noqa: E731
    assert width(clustered) > 1.8 * width(as_rows)  # ~sqrt(5) wider: rows were never independent


def test_pairs_by_item_id_not_position():
    base = {"a": 0.0, "b": 1.0, "only_base": 0.0}
    arm = {"b": 1.0, "a": 1.0, "only_arm": 0.0}
    assert stratified_index({"c": (base, arm)}, 100, 0)["value_pp"] == pytest.approx(50.0)


def test_selective_verdicts():
    rng = np.random.default_rng(0)
    gain = _pair(rng.uniform(0, 0.3, 60), rng.uniform(0.6, 1.0, 60))
    same = _pair([1.0, 0.0] * 30, [1.0, 0.0] * 30)
    flips = rng.random(400) < 0.1
    benign = _pair([1.0, 0.0] * 200, np.where(flips, 1.0 - np.tile([1.0, 0.0], 200), np.tile([1.0, 0.0], 200)))
    worse = _pair([1.0] * 60, [0.0] * 60)
    assert selective_persistence({"jb": gain}, {"steer": benign}, 500, 0)["verdict"] == "selective"
    # 60 unchanged benign items cannot show a 10 pp drop: silence is not evidence of kept steerability.
    small = selective_persistence({"jb": gain}, {"steer": same}, 500, 0)
    assert not small["selective"] and "selectivity not assessable" in small["verdict"]
    hurt = selective_persistence({"jb": gain}, {"steer": worse}, 500, 0)
    assert not hurt["selective"] and hurt["verdict"].startswith("persistent, not selective")
    none = selective_persistence({"jb": same}, {"steer": same}, 500, 0)
    assert none["verdict"] == "no significant persistence gain" and none["spi"]["value_pp"] == 0.0


def test_bootstrap_ci_and_sign_flip():
    diffs = np.array([0.2, 0.4, 0.1, 0.3, 0.5, 0.2, 0.3, 0.4])
    mean, lo, hi = bootstrap_mean_ci(diffs, 2000, 0)
    assert mean == pytest.approx(0.3) and lo < 0.3 < hi and lo > 0
    assert sign_flip_pvalue(diffs, 2000, 0) < 0.02
    assert sign_flip_pvalue(np.zeros(5), 100, 0) == 1.0
