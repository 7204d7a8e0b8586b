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


SEEDED_ARMS = ("seeds: [0, 1, 2]\narms:\n  - {name: baseline, dose: 0}\n  - {name: trait, dose: 0.25}\n"
               "  - {name: placebo, dose: 0.25, method: placebo, seeds: [SEEDS]}\n")


def test_an_arm_can_run_at_a_subset_of_the_seeds(tmp_path):
    cfg = load_config(StudyConfig, write(tmp_path, SEEDED_ARMS.replace("SEEDS", "0")))
    assert [a.name for a in cfg.seeded_arms()] == ["baseline-s0", "trait-s0", "placebo-s0", "baseline-s1",
                                                   "trait-s1", "baseline-s2", "trait-s2"]
    assert [a.name for a in cfg.first_seed_arms()] == ["baseline-s0", "trait-s0", "placebo-s0"]
    later = load_config(StudyConfig, write(tmp_path, SEEDED_ARMS.replace("SEEDS", "2")))
    assert [a.name for a in later.first_seed_arms()] == ["baseline-s0", "trait-s0"]  # no placebo run at seed 0


def test_arm_seeds_outside_the_study_seeds_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"arms.2.seeds \[5\] \('placebo'\): must be a subset"):
        load_config(StudyConfig, write(tmp_path, SEEDED_ARMS.replace("SEEDS", "5")))
    reference = SEEDED_ARMS.replace("{name: baseline, dose: 0}", "{name: baseline, dose: 0, seeds: [0]}")
    with pytest.raises(ConfigError, match="leave its `seeds` unset"):
        load_config(StudyConfig, write(tmp_path, reference.replace("SEEDS", "0")))
