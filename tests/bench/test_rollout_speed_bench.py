"""bench/rollout_speed.py compares like with like: every path samples all G completions of every group."""

from pathlib import Path

from helpers import load_bench, tiny_model_dir


def test_the_traitrl_path_places_no_reference_even_when_the_config_guides(tmp_path):
    # The shipped configs guide the trait arm (train.rollout.reference_in_group): one of each trait group's G
    # completions is then the rubric's reply, copied, not generated. TRL's paths cannot do that, so a bench that kept
    # it would time traitrl on fewer generated tokens.
    from traitrl._util.config import load_config, parse_overrides
    from traitrl.config import StudyConfig

    bench = load_bench("rollout_speed.py")
    config = load_config(StudyConfig, Path(__file__).resolve().parents[2] / "configs" / "quick.yaml",
                         parse_overrides([f"model={tiny_model_dir()}", "train.steps=2", "data.n_tasks=16"]))
    assert config.train.rollout.reference_in_group  # the premise: the config as shipped guides
    rows = bench.study_rows(config, "trait", tmp_path)
    assert any(row["source"] == "trait" for row in rows[:config.train.prompts_per_step * 2])
    trainer = bench.build_trainer("traitrl", config, rows, str(tmp_path / "traitrl"))
    assert trainer.rollout_func.generation.reference_in_group is False and trainer.rollout_func.references == {}
