"""The returned section matches the report's PersistenceSection; figures and the pressure table are written;
the index pairs items across models; `persist` imports nothing to its right."""

import ast
from pathlib import Path

import pytest

from traitrl.persist.config import PersistConfig
from traitrl.persist.index import selective_persistence
from traitrl.persist.plots import plot_all
from traitrl.persist.run import _benign_components, _harmful_components, build_section, study_root, write_pressure_table


def fake_result(refuses: float, steer: float, drop: float) -> dict:
    jb = {f"{fam}/b{i}": i >= refuses * 10 for fam in ("direct", "roleplay") for i in range(10)}
    return {
        "jailbreak": jb,
        "asr": {"direct": {"asr": 0.5, "ci_low": 0.2, "ci_high": 0.8, "n_attacks": 10},
                "roleplay": {"asr": 1 - refuses, "ci_low": 0.0, "ci_high": 1.0, "n_attacks": 10}},
        "pressure": [{"id": f"qa/q{i}", "set": "qa", "pressure": "flattery", "score_before": 1.0,
                      "score_after": 1.0 - drop} for i in range(6)],
        "red_team": {f"b{i}": i >= refuses * 5 for i in range(5)},
        "red_team_summary": {"asr": 1 - refuses, "ci_low": 0.0, "ci_high": 1.0, "n_behaviors": 5,
                             "budget_queries": 3, "median_queries_to_success": 2, "total_queries": 12},
        "steering": {f"s{i}": float(i < steer * 10) for i in range(10)},
        "overrefusal": {f"x{i}": 1.0 for i in range(4)},
        "erosion": [{"step": s, "trait_score": 0.6 - 0.01 * s, "trait_ci_low": 0.5 - 0.01 * s,
                     "trait_ci_high": 0.7 - 0.01 * s, "asr": 0.3, "asr_ci_low": 0.1, "asr_ci_high": 0.6,
                     "violating_logprob": -3.0, "trait_items": {"t1": 0.6 - 0.01 * s, "t2": 0.5},
                     "asr_items": {"h1": False, "h2": True}} for s in (0, 10, 25)],
    }


def test_section_validates_against_report_model(tmp_path):
    sections = pytest.importorskip("traitrl.report.sections")
    base, arm = fake_result(0.2, 0.5, 0.5), fake_result(0.8, 0.5, 0.0)
    ix = selective_persistence(_harmful_components(base, arm), _benign_components(base, arm), 500, 0)
    assert ix["spi"]["value_pp"] > 0 and ix["benign_change"]["value_pp"] == 0.0
    assert set(ix["spi"]["components"]) == {"jailbreak", "pressure", "red_team", "harmful_ft_trait",
                                            "harmful_ft_asr"}
    assert ix["spi"]["components"]["jailbreak"]["n_items"] == 10  # 'direct' is the unattacked reference
    section = build_section({"baseline": base, "trait": arm}, {"trait": ix}, PersistConfig(), 0)
    parsed = sections.PersistenceSection.model_validate(section)
    assert [c.model for c in parsed.curves] == ["baseline", "trait"]
    assert [p.step for p in parsed.curves[0].points] == [0, 10, 25]
    assert {a.family for a in parsed.attack_asr} == {"direct", "roleplay", "red_team"}
    drop = next(d for d in parsed.pressure_drops if d.model == "baseline")
    assert drop.pressure == "flattery (QA)" and drop.drop == pytest.approx(0.5)
    assert parsed.selective_persistence[0].model == "trait"
    assert "benign change +0.0 pp" in parsed.selective_persistence_definition
    paths = plot_all(section, tmp_path)
    assert {p.name for p in paths} == {"erosion.png", "asr.png", "pressure.png", "index.png"}
    assert all(p.stat().st_size > 1000 for p in paths)
    write_pressure_table(section["pressure_drops"], tmp_path / "t.md")
    assert "flattery (QA)" in (tmp_path / "t.md").read_text()


def test_study_root_detection(tmp_path):
    final = tmp_path / "study" / "arms" / "trait" / "train" / "final"
    assert study_root(final) == tmp_path / "study"
    assert study_root(tmp_path / "some-model") is None


def test_persist_imports_only_packages_to_its_left():
    allowed = {"_util", "models", "data", "rewards", "train", "evals", "persist"}
    package = Path(__file__).resolve().parents[2] / "src" / "traitrl" / "persist"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("traitrl."):
                assert node.module.split(".")[1] in allowed, f"{path.name} imports {node.module}"


def test_section_carries_the_preference_curve_and_its_direction():
    from types import SimpleNamespace

    sections = pytest.importorskip("traitrl.report.sections")
    from traitrl.report.html import _persistence_tables

    base = fake_result(0.2, 0.5, 0.5)
    for p in base["erosion"]:
        keep = 1.0 if p["step"] == 0 else 0.0  # every item prefers the good reply before the attack, none after
        p.update(pref_items={f"q{i}": keep if i < 10 else 1.0 for i in range(20)}, pref_score=keep / 2 + 0.5,
                 pref_ci_low=0.4, pref_ci_high=1.0)
    section = build_section({"baseline": base}, {}, PersistConfig(), 0)
    parsed = sections.PersistenceSection.model_validate(section)
    curve = parsed.curves[0]
    assert [p.pref_score for p in curve.points] == [1.0, 0.5, 0.5]
    assert curve.pref_trend.direction == "falls" and curve.pref_trend.change == pytest.approx(-0.5)
    html = _persistence_tables(SimpleNamespace(sections=SimpleNamespace(persistence=parsed)))
    assert "Erosion under harmful fine-tuning" in html and "preference score falls from step 0 to 25" in html
