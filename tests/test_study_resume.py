"""Study resume keyed by config: `--no-resume` redoes every stage, a changed config is refused naming its keys."""

import json

import pytest

import traitrl.study as study
from helpers import tiny_model_dir
from traitrl._util.errors import ConfigError
from traitrl.config import StudyConfig


def tiny_config(dose: float) -> StudyConfig:
    return StudyConfig.model_validate({
        "model": str(tiny_model_dir()), "arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": dose}],
        "data": {"n_tasks": 64}, "train": {"steps": 4, "prompts_per_step": 4}, "eval": {"include_base": False}})


@pytest.fixture
def fake_stages(monkeypatch):
    """Training, evaluation and the report replaced by recorders: this checks which inputs each stage sees."""
    trained = {}

    def train_arm(config, arm, rows, arm_dir, resume):
        trained[arm.name] = sum(r["source"] == "trait" for r in rows)
        return arm_dir / "train" / "final"

    monkeypatch.setattr(study, "train_arm", train_arm)
    monkeypatch.setattr(study, "evaluate", lambda config, model, out_dir: None)
    monkeypatch.setattr(study, "compare_and_report", lambda config, out, sections: {})
    return trained


def test_no_resume_redoes_the_mix_under_the_new_dose(fake_stages, tmp_path):
    # Case 2: `--no-resume` with a new dose kept A's mix while manifest.json said B's dose.
    study.run_study(tiny_config(0.25), tmp_path)
    assert fake_stages["trait"] == 4
    study.run_study(tiny_config(0.5), tmp_path, resume=False)
    assert fake_stages["trait"] == 8
    summary = json.loads((tmp_path / "arms" / "trait" / "mix_summary.json").read_text())
    assert summary["trait_share"] == 0.5
    assert json.loads((tmp_path / "manifest.json").read_text())["config"]["arms"][1]["dose"] == 0.5


def test_resume_under_another_config_names_the_keys(fake_stages, tmp_path):
    study.run_study(tiny_config(0.25), tmp_path)
    with pytest.raises(ConfigError, match=r"arms\.1\.dose: 0\.25 → 0\.5.*--no-resume"):
        study.run_study(tiny_config(0.5), tmp_path)


def test_train_alone_refuses_a_mix_built_for_another_dose(tmp_path):
    # Case 6, through the arm's mix: `traitrl train` reused the old mix.jsonl under a new dose.
    config = tiny_config(0.25)
    bank = study.build_bank_file(config, tmp_path)
    study.build_arm_mix(config, config.arm("trait"), bank, tmp_path / "arms" / "trait")
    changed = tiny_config(0.5)
    with pytest.raises(ConfigError, match=r"arm\.dose: 0\.25 → 0\.5"):
        study.build_arm_mix(changed, changed.arm("trait"), bank, tmp_path / "arms" / "trait")
