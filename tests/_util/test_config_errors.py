import pytest

from traitrl._util.config import load_config
from traitrl._util.errors import ConfigError
from traitrl.config import StudyConfig


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key `train.stepz`"):
        load_config(StudyConfig, write(tmp_path, "train:\n  stepz: 3\n"))


def test_bad_value_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"`arms.1.dose`"):
        load_config(StudyConfig, write(tmp_path, "arms:\n  - {name: baseline, dose: 0}\n  - {name: t, dose: 2}\n"))


def test_reference_arm_must_have_zero_dose(tmp_path):
    with pytest.raises(ConfigError, match="must have dose 0"):
        load_config(StudyConfig, write(tmp_path, "arms:\n  - {name: baseline, dose: 0.1}\n"))


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"c.yaml:3"):
        load_config(StudyConfig, write(tmp_path, "train:\n  steps: [1\nseed: 1\n"))


def test_overrides_beat_the_file(tmp_path):
    cfg = load_config(StudyConfig, write(tmp_path, "train:\n  steps: 3\n"), {"train.steps": 5, "seed": 7})
    assert cfg.train.steps == 5 and cfg.seed == 7


def test_same_judge_for_training_and_eval_is_refused(tmp_path):
    judge = "{base_url: 'http://x', model: m}"
    with pytest.raises(ConfigError, match="train_judge"):
        load_config(StudyConfig, write(tmp_path, f"judge: {judge}\ntrain_judge: {judge}\n"))
