"""GRPO through TRL on a tiny random-init model: parameters move, checkpoints land, a crashed run resumes."""

import json

import pytest
import torch
from safetensors.torch import load_file

from helpers import tiny_model_dir
from traitrl.data.mix import mix_dose
from traitrl.data.tasks import generate_tasks
from traitrl.rewards.tasks import task_reward
from traitrl.train.config import TrainConfig
from traitrl.train.grpo import build_grpo_config, train_grpo


def length_reward(prompts, completions, **_):
    # Varies within a group, so GRPO advantages are non-zero even for a random model.
    return [float(len(str(c))) / 100 for c in completions]


def config(**overrides) -> TrainConfig:
    base = dict(steps=2, prompts_per_step=2, num_generations=2, max_completion_tokens=8, lr=1e-2,
                rollout={"engine": "trl"}, save_steps=1, lora=None)
    return TrainConfig(**{**base, **overrides})


def rows_for(cfg: TrainConfig) -> list[dict]:
    return mix_dose(generate_tasks(50), [], cfg.steps, cfg.prompts_per_step, 0.0)


def test_grpo_config_maps_one_generation_batch_per_step(tmp_path):
    cfg = config(prompts_per_step=3, num_generations=4)
    args = build_grpo_config(cfg, tmp_path, seed=1, reward_names=["task_reward", "trait_reward"])
    assert args.per_device_train_batch_size == 12 and args.num_generations == 4
    assert args.shuffle_dataset is False and args.max_steps == 2 and args.reward_weights == [1.0, 1.0]


def test_a_yaml_no_is_read_as_mixed_precision_no(tmp_path):
    import yaml

    from traitrl._util.config import load_config

    path = tmp_path / "train.yaml"
    path.write_text("mixed_precision: no\n")  # YAML 1.1 reads a bare `no` as false
    assert yaml.safe_load(path.read_text()) == {"mixed_precision": False}
    assert load_config(TrainConfig, path).mixed_precision == "no"
    with pytest.raises(Exception, match="mixed_precision"):
        TrainConfig(mixed_precision=True)  # `yes` stays an error: it names no precision


def test_full_finetune_moves_parameters(tmp_path):
    cfg = config()
    before = load_file(tiny_model_dir() / "model.safetensors")
    final = train_grpo(str(tiny_model_dir()), rows_for(cfg), [task_reward(), length_reward], cfg, tmp_path)
    after = load_file(final / "model.safetensors")
    moved = [k for k in before if k in after and not torch.equal(before[k], after[k])]
    assert moved, "no parameter changed after two GRPO steps"
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["steps"] == 2 and summary["generated_tokens"] > 0


def test_lora_is_merged_into_the_final_model(tmp_path):
    cfg = config(lora={"r": 4, "alpha": 8}, steps=1)
    final = train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], cfg, tmp_path)
    weights = load_file(final / "model.safetensors")
    assert not any("lora" in k for k in weights)


def crashing_reward_factory():
    """length_reward that kills the run during step 3 (the reward is computed once per step)."""
    calls = {"n": 0}

    def crashing_reward(prompts, completions, **_):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated kill during step 3")
        return length_reward(prompts, completions)

    return crashing_reward


def test_crashed_run_resumes_from_its_last_checkpoint(tmp_path):
    cfg = config(steps=3)
    with pytest.raises(KeyboardInterrupt):
        train_grpo(str(tiny_model_dir()), rows_for(cfg), [crashing_reward_factory()], cfg, tmp_path)
    assert (tmp_path / "checkpoint-2").is_dir() and not (tmp_path / "train_summary.json").exists()
    train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], cfg, tmp_path)
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["resumed_from"].endswith("checkpoint-2")
    assert summary["steps"] == 3


def test_generation_batch_is_split_across_devices_and_forwards():
    from traitrl._util.errors import ConfigError
    from traitrl.train.grpo import split_generation_batch

    assert split_generation_batch(config(prompts_per_step=4, num_generations=4), world_size=1) == (16, 1)
    assert split_generation_batch(config(prompts_per_step=64, num_generations=8, sequences_per_forward=16),
                                  world_size=4) == (16, 8)
    with pytest.raises(ConfigError, match="multiple of"):
        split_generation_batch(config(prompts_per_step=3, num_generations=2, sequences_per_forward=4), world_size=1)


def test_fast_rollout_with_accumulated_forwards_trains(tmp_path):
    # sequences_per_forward < P×G: TRL splits one generation batch over several accumulated forwards.
    cfg = config(steps=1, prompts_per_step=2, num_generations=2, sequences_per_forward=2, rollout={"engine": "fast"})
    before = load_file(tiny_model_dir() / "model.safetensors")
    final = train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], cfg, tmp_path)
    after = load_file(final / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before if k in after)
    assert json.loads((tmp_path / "train_summary.json").read_text())["steps"] == 1


def test_advantage_scaling_maps_onto_trl_and_defaults_to_batch(tmp_path):
    names = ["task_reward"]
    assert build_grpo_config(config(), tmp_path, 0, names).scale_rewards == "batch"
    for choice in ("group", "none"):
        assert build_grpo_config(config(advantage_scaling=choice), tmp_path, 0, names).scale_rewards == choice
    with pytest.raises(ValueError):
        config(advantage_scaling="per-group")


def test_zero_spread_groups_are_counted_per_group_whatever_the_scaling():
    from traitrl.train.grpo import frac_group_zero_std

    nan = float("nan")
    # 3 groups of 2; two reward functions, each row scored by one. Group 1 has no spread, group 2 differs by 1e-3,
    # group 3 has one row no function scored (excluded) and so no spread among the rest.
    per_func = torch.tensor([[1.0, nan], [1.0, nan], [nan, 0.500], [nan, 0.501], [0.0, nan], [nan, nan]])
    assert frac_group_zero_std(per_func, torch.tensor([1.0, 1.0]), 2) == pytest.approx(2 / 3)
    # Weights apply before the spread is measured: a zero-weighted function gives no signal.
    assert frac_group_zero_std(per_func, torch.tensor([1.0, 0.0]), 2) == pytest.approx(1.0)


def test_the_samples_only_means_leave_out_the_placed_references():
    from traitrl.train.grpo import sampled_reward_means

    nan = float("nan")
    # Rows 2 and 4 are placed references (reward 1.0); a sampled row no reward scored is excluded from the total.
    per_func = torch.tensor([[0.0, 0.2], [0.1, 0.2], [1.0, 1.0], [nan, nan], [1.0, 1.0]])
    placed = torch.tensor([False, False, True, False, True])
    means = sampled_reward_means(per_func, torch.tensor([1.0, 0.5]), ["trait_reward", "reference_similarity"], placed)
    assert means == pytest.approx({"reward/sampled": (0.1 + 0.2) / 2, "rewards/trait_reward/sampled": 0.05,
                                   "rewards/reference_similarity/sampled": 0.2})


def test_a_guided_run_logs_its_samples_reward_apart_from_the_placed_reference(tmp_path):
    import random

    from traitrl.data.generators import epistemic_humility
    from traitrl.data.scenario import Domain

    def reference_reward(prompts, completions, placed_reference, **_):
        # Pays only the placed reference: TRL's mean sees it, the samples-only mean must not.
        return [float(p) for p in placed_reference]

    cfg = config(steps=2, num_generations=4, rollout={"engine": "fast", "reference_in_group": True})
    scenarios = epistemic_humility.generate(Domain.science, random.Random(0), 4)
    rows = mix_dose(generate_tasks(50), scenarios, cfg.steps, cfg.prompts_per_step, 1.0)
    train_grpo(str(tiny_model_dir()), rows, [reference_reward], cfg, tmp_path)
    steps = [s for s in map(json.loads, (tmp_path / "metrics.jsonl").read_text().splitlines()) if "loss" in s]
    assert len(steps) == 2
    assert all(s["rewards/reference_reward/mean"] == pytest.approx(0.25) for s in steps)  # 1 of G = 4 placed
    assert all(s["reward/sampled"] == 0.0 and s["rewards/reference_reward/sampled"] == 0.0 for s in steps)


def test_per_step_metrics_land_in_metrics_jsonl(tmp_path):
    cfg = config(steps=2, rollout={"engine": "fast"})
    train_grpo(str(tiny_model_dir()), rows_for(cfg), [task_reward(), length_reward], cfg, tmp_path)
    steps = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    steps = [s for s in steps if "loss" in s]
    assert len(steps) == 2
    for key in ("grad_norm", "frac_group_zero_std", "frac_reward_zero_std", "rewards/length_reward/mean",
                "rewards/length_reward/std", "rewards/task_reward/mean", "reward", "entropy"):
        assert all(key in s for s in steps), key
    assert all(0.0 <= s["frac_group_zero_std"] <= 1.0 for s in steps)


def test_metrics_are_streamed_while_training_so_a_killed_run_keeps_its_curve(tmp_path):
    cfg = config(steps=3)
    (tmp_path / "metrics.jsonl").write_text('{"step": 9, "loss": 1.0}\n')  # left by an abandoned run: dropped
    with pytest.raises(KeyboardInterrupt):
        train_grpo(str(tiny_model_dir()), rows_for(cfg), [crashing_reward_factory()], cfg, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2] and all("rewards/crashing_reward/mean" in r for r in rows)


def _advantages_after_one_step(tmp_path, scaling: str) -> list[float]:
    from traitrl.train.grpo import build_trainer

    def positional_reward(prompts, completions, **_):
        # Group 1 (first 4 completions): a 0.003 spread that carries no signal. Group 2: a real 0/1 difference.
        return [0.5 + 0.001 * i if i < 4 else float(i % 2) for i in range(len(completions))]

    cfg = config(steps=1, num_generations=4, advantage_scaling=scaling, rollout={"engine": "fast"})
    trainer = build_trainer(str(tiny_model_dir()), rows_for(cfg), [positional_reward], cfg, tmp_path / scaling)
    trainer.train()
    return list(trainer._logs["advantages"])


def test_batch_scaling_keeps_a_tiny_spread_tiny_where_group_scaling_inflates_it(tmp_path):
    group = _advantages_after_one_step(tmp_path, "group")
    batch = _advantages_after_one_step(tmp_path, "batch")
    assert max(abs(a) for a in group[:4]) > 1.0  # TRL's default: a 0.003 spread becomes unit-size advantages
    assert max(abs(a) for a in batch[:4]) < 0.02 < min(abs(a) for a in batch[4:])
