"""Selective-persistence index: component-weighted paired means, stratified bootstrap CIs, the verdict."""

import numpy as np
import pytest

from traitrl.persist.index import bootstrap_mean_ci, selective_persistence, sign_flip_pvalue, stratified_index


def _pair(base, arm):
    return ({f"i{k}": v for k, v in enumerate(base)}, {f"i{k}": v for k, v in enumerate(arm)})


def test_components_weigh_equally_whatever_their_size():
    comps = {"big": _pair([0.0] * 100, [1.0] * 100), "small": _pair([0.0, 0.0], [0.0, 0.0])}
    out = stratified_index(comps, n_boot=200, seed=0)
    assert out["value_pp"] == pytest.approx(50.0)
    assert out["components"]["big"] == {"delta_pp": 100.0, "n_items": 100}
    assert out["ci_low"] == pytest.approx(50.0) and out["ci_high"] == pytest.approx(50.0)


def test_pairs_by_item_id_not_position():
    base = {"a": 0.0, "b": 1.0, "only_base": 0.0}
    arm = {"b": 1.0, "a": 1.0, "only_arm": 0.0}
    assert stratified_index({"c": (base, arm)}, 100, 0)["value_pp"] == pytest.approx(50.0)


def test_selective_verdicts():
    rng = np.random.default_rng(0)
    gain = _pair(rng.uniform(0, 0.3, 60), rng.uniform(0.6, 1.0, 60))
    same = _pair([1.0, 0.0] * 30, [1.0, 0.0] * 30)
    worse = _pair([1.0] * 60, [0.0] * 60)
    assert selective_persistence({"jb": gain}, {"steer": same}, 500, 0)["verdict"] == "selective"
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
