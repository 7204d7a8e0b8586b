"""Crash-safe checkpoints: a kill during a save never blocks resume; resume refuses a changed config."""

import json

import pytest
import torch
import transformers
from safetensors.torch import save_file

from helpers import tiny_model_dir
from traitrl._util.errors import ConfigError
from traitrl.train.checkpoints import check_same_config, checkpoint_problem, resume_checkpoint
from traitrl.train.config import TrainConfig
from traitrl.train.grpo import train_grpo
from test_grpo import config as grpo_config, length_reward, rows_for


def config(**overrides) -> TrainConfig:
    return grpo_config(**{"steps": 3, **overrides})


def fake_checkpoint(folder, step):
    folder.mkdir(parents=True)
    save_file({"w": torch.ones(4, 4)}, folder / "model.safetensors")
    torch.save({"state": {}}, folder / "optimizer.pt")
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return folder


def test_newest_complete_checkpoint_wins_and_broken_ones_are_skipped_with_a_warning(tmp_path):
    # Case 4: a truncated or half-written newest checkpoint made every later resume fail.
    fake_checkpoint(tmp_path / "checkpoint-1", 1)
    weights = fake_checkpoint(tmp_path / "checkpoint-2", 2) / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    no_state = fake_checkpoint(tmp_path / "checkpoint-3", 3)
    (no_state / "trainer_state.json").unlink()
    optim = fake_checkpoint(tmp_path / "checkpoint-10", 10) / "optimizer.pt"
    optim.write_bytes(optim.read_bytes()[:40])
    warned = []
    assert resume_checkpoint(tmp_path, warned.append) == str(tmp_path / "checkpoint-1")
    assert [w.split(":")[0] for w in warned] == [str(tmp_path / f"checkpoint-{n}") for n in (10, 3, 2)]
    assert "truncated" in warned[0] and "trainer_state" in warned[1] and "truncated" in warned[2]
    assert checkpoint_problem(tmp_path / "checkpoint-1") is None
    assert resume_checkpoint(tmp_path / "missing") is None


def test_kill_during_a_save_leaves_the_previous_checkpoint_usable(tmp_path, monkeypatch):
    cfg = config()
    real = transformers.Trainer._save_rng_state
    saves = {"n": 0}

    def killed_during_second_save(self, output_dir):
        saves["n"] += 1
        if saves["n"] == 2:
            raise KeyboardInterrupt("kill -9 while checkpoint-2 is being written")
        return real(self, output_dir)

    monkeypatch.setattr(transformers.Trainer, "_save_rng_state", killed_during_second_save)
    with pytest.raises(KeyboardInterrupt):
        train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], cfg, tmp_path)
    monkeypatch.setattr(transformers.Trainer, "_save_rng_state", real)
    # Written under .staging and never renamed: no half checkpoint-2 for the next run to trip over.
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-1"]
    train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], cfg, tmp_path)
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["resumed_from"].endswith("checkpoint-1") and summary["steps"] == 3
    assert not (tmp_path / ".staging").exists()
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]

    # Case 6: the same folder under another learning rate or mix is refused, naming the keys.
    with pytest.raises(ConfigError, match=r"train\.lr: 0\.01 → 0\.001.*--no-resume"):
        train_grpo(str(tiny_model_dir()), rows_for(cfg), [length_reward], config(lr=1e-3), tmp_path)
    with pytest.raises(ConfigError, match=r"rows:"):
        train_grpo(str(tiny_model_dir()), rows_for(cfg)[::-1], [length_reward], cfg, tmp_path)


def test_truncated_newest_checkpoint_falls_back_during_training(tmp_path):
    import shutil

    train_grpo(str(tiny_model_dir()), rows_for(config()), [length_reward], config(), tmp_path)
    # As if killed after the last checkpoint, before the final model, with the newest checkpoint cut short.
    shutil.rmtree(tmp_path / "final")
    (tmp_path / "train_summary.json").unlink()
    weights = tmp_path / "checkpoint-3" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.warns(UserWarning, match="checkpoint-3: incomplete checkpoint"):
        train_grpo(str(tiny_model_dir()), rows_for(config()), [length_reward], config(), tmp_path)
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["resumed_from"].endswith("checkpoint-2") and summary["steps"] == 3


def test_check_same_config_names_every_differing_key(tmp_path):
    check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait"}, "steps": 10}, fix="FIX")
    check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait"}, "steps": 10}, fix="FIX")
    with pytest.raises(ConfigError, match=r"arm\.dose: 0\.05 → 0\.1; steps: 10 → 12\); FIX"):
        check_same_config(tmp_path, {"arm": {"dose": 0.1, "name": "trait"}, "steps": 12}, fix="FIX")


def test_a_setting_added_since_the_run_started_blocks_resume_only_when_set(tmp_path):
    check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait"}}, fix="FIX")
    # traitrl gained an optional `arm.seeds` (default None) after this run started: resuming must still work.
    check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait", "seeds": None}}, fix="FIX")
    with pytest.raises(ConfigError, match=r"arm\.seeds: None → \[0\]"):  # the resume recorded None
        check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait", "seeds": [0]}}, fix="FIX")
    # A feature switch gained since (`rollout.reference_in_group`, default False) resumes while off, not when on.
    check_same_config(tmp_path, {"arm": {"dose": 0.05, "name": "trait", "seeds": None, "guided": False}}, fix="FIX")
    check_same_config(tmp_path / "b", {"arm": {"dose": 0.05}}, fix="FIX")
    with pytest.raises(ConfigError, match=r"arm\.guided: '<unset>' → True"):
        check_same_config(tmp_path / "b", {"arm": {"dose": 0.05, "guided": True}}, fix="FIX")
    with pytest.raises(ConfigError, match=r"arm\.steps: '<unset>' → 0"):  # 0 is a setting, not "off"
        check_same_config(tmp_path / "b", {"arm": {"dose": 0.05, "steps": 0}}, fix="FIX")
