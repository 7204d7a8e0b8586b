"""A tiny 3-seed study end to end: every arm at every seed, trait seed i paired with baseline seed i."""

import json

import pytest
from test_study_e2e import TINY_STUDY, run_tiny_study

SEEDED = {**TINY_STUDY, "name": "tiny-seeds", "seeds": [0, 1, 2],
          "train": {**TINY_STUDY["train"], "steps": 1},
          "eval": {**TINY_STUDY["eval"], "suite": ["truthfulqa_mc1", "xstest_safe"], "include_base": False}}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return run_tiny_study(tmp_path_factory.mktemp("seeded"), SEEDED, "seeds")[0]


def test_every_arm_runs_at_every_seed_and_pairs_by_seed(seeded):
    arms = sorted(p.name for p in (seeded / "arms").iterdir())
    assert arms == ["baseline-s0", "baseline-s1", "baseline-s2", "trait-s0", "trait-s1", "trait-s2"]
    manifest = json.loads((seeded / "manifest.json").read_text())
    assert manifest["seeds"]["trait-s1"] == manifest["seeds"]["baseline-s1"] == 1
    report = json.loads((seeded / "report.json").read_text())
    c = report["comparison"]
    assert [a["name"] for a in c["arms"]] == ["trait"] and c["reference_name"] == "baseline"
    assert c["references"] == [str(seeded / "arms" / f"baseline-s{s}" / "evals") for s in range(3)]
    assert c["arms"][0]["runs"] == [str(seeded / "arms" / f"trait-s{s}" / "evals") for s in range(3)]
    for d in c["arms"][0]["deltas"]:
        assert len(d["seed_deltas"]) == 3 and d["seed_ci_low"] <= d["delta"] <= d["seed_ci_high"]


def test_seed_level_test_and_hierarchical_interval(seeded):
    summary = json.loads((seeded / "report.json").read_text())["comparison"]["arms"][0]["summary"]
    primary = summary["primary"]
    assert primary["n_seeds"] == 3 and primary["method_uncertainty"] is True
    assert 0.0 <= primary["seed_p_value"] <= 1.0
    assert primary["hier_ci_low"] <= primary["estimate"] <= primary["hier_ci_high"]
    assert "paired t-test over 3 seeds" in summary["headline"]


def test_compute_section_shows_measured_quantities(seeded):
    compute = json.loads((seeded / "report.json").read_text())["sections"]["compute"]
    rows = {a["arm"]: a for a in compute["arms"]}
    assert rows["trait-s2"]["reference"] == "baseline-s2"
    assert rows["trait-s0"]["steps_run"] == 1 and rows["trait-s0"]["generated_tokens"] > 0
    assert rows["trait-s0"]["wall_seconds"] > 0 and rows["trait-s0"]["prompt_tokens"] > 0
    assert compute["matched"] is True and compute["measured_matched"] in (True, False)
