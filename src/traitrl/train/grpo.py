"""GRPO on a dosed task mix through TRL. The only module that imports trl's GRPO trainer.

Departures from the paper: rewards come from offline graders (or a configured judge) rather than OpenAI's internal
graders, and the default scale is a 135M model with LoRA on CPU. Run: `traitrl train CONFIG --arm trait --out DIR`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from traitrl._util.errors import ConfigError
from traitrl._util.io import stable_hash, write_json_atomic, write_jsonl_atomic
from traitrl.models.judge import judge_error_counts
from traitrl.models.store import load_model, load_tokenizer
from traitrl.rewards.registry import Grader
from traitrl.train.checkpoints import (check_same_config, clear_outputs, install_atomic_checkpoints,
                                       resume_checkpoint, save_model_atomic)
from traitrl.train.config import TrainConfig
from traitrl.train.rollout import PLACED_FIELD

FINAL_DIR = "final"
SUMMARY_FILE = "train_summary.json"
METRICS_FILE = "metrics.jsonl"  # one row per logged step: TRL's log history plus frac_group_zero_std
# What a run writes besides its checkpoints: `--no-resume` deletes these before starting over.
TRAIN_OUTPUTS = [FINAL_DIR, SUMMARY_FILE, METRICS_FILE, ".staging", "run_config.json"]


def build_grpo_config(cfg: TrainConfig, output_dir: Path, seed: int, reward_names: list[str]):
    """Map TrainConfig onto TRL's GRPOConfig: one generation batch of P prompts × G completions per optimizer step."""
    import torch
    from trl import GRPOConfig

    on_gpu = torch.cuda.is_available()
    per_device, accumulation = split_generation_batch(cfg, int(os.environ.get("WORLD_SIZE", "1")))
    args = dict(
        output_dir=str(output_dir),
        max_steps=cfg.steps,
        per_device_train_batch_size=per_device,
        # One optimizer step per generation batch of P×G completions, whatever the number of devices.
        gradient_accumulation_steps=accumulation,
        steps_per_generation=accumulation,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_tokens,
        learning_rate=cfg.lr,
        temperature=cfg.temperature,
        beta=cfg.beta,
        scale_rewards=cfg.advantage_scaling,
        # The mix is already ordered step by step (data.mix); shuffling would break the per-step dose.
        shuffle_dataset=False,
        gradient_checkpointing=cfg.gradient_checkpointing,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=2,
        logging_steps=cfg.logging_steps,
        report_to=[],
        seed=seed,
        data_seed=seed,
        # Autocast (accelerate's bf16 mode works on CPU too) over fp32 master weights. On CPU the LM head projection
        # runs in fp32 outside autocast (tune_cpu_training_forward), so log-probs keep fp32 precision. GPU runs keep
        # TRL's tested default (bf16 projection, fp32 log-softmax) because the fp32 head is untried with ZeRO-3.
        bf16=cfg.mixed_precision == "bf16",
        use_cpu=not on_gpu,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        reward_weights=[cfg.reward_weights.get(name, 1.0) for name in reward_names],
        use_vllm=cfg.use_vllm,
        vllm_mode=cfg.vllm_mode,
        **({"vllm_server_base_url": cfg.vllm_server_base_url} if cfg.vllm_server_base_url else {}),
    )
    args.update(cfg.trl_overrides)
    return GRPOConfig(**args)


def check_trl_overrides(cfg: TrainConfig) -> None:
    """Pre-flight: `trl_overrides` names GRPOConfig fields, and TRL accepts the resulting config."""
    import dataclasses
    import difflib
    import tempfile
    import warnings

    from trl import GRPOConfig

    fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    for key in cfg.trl_overrides:
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ConfigError(f"train.trl_overrides: {key!r} is not a GRPOConfig field (TRL's GRPO settings).{hint}")
    try:
        # Deprecation notices belong to the run itself, not to a pre-flight that must print one line at most.
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_grpo_config(cfg, Path(tmp), 0, list(cfg.reward_weights))
    except (ValueError, TypeError) as e:
        raise ConfigError(f"train.trl_overrides: TRL rejects these settings: {str(e).splitlines()[0]}") from None


def split_generation_batch(cfg: TrainConfig, world_size: int) -> tuple[int, int]:
    """(completions per device forward, accumulation steps) so that one optimizer step covers exactly P×G."""
    total = cfg.prompts_per_step * cfg.num_generations
    per_forward = cfg.sequences_per_forward or total // world_size
    if total % (per_forward * world_size):
        raise ConfigError(f"train: prompts_per_step × num_generations = {total} must be a multiple of "
                          f"sequences_per_forward ({per_forward}) × devices ({world_size}) so that every arm's step "
                          "covers the same completions; change sequences_per_forward")
    return per_forward, total // (per_forward * world_size)


def trainer_class():
    """GRPOTrainer plus a per-step `frac_group_zero_std` metric and, under `reference_in_group`, the rewards of the
    sampled completions alone (sampled_reward_means).

    TRL's own `frac_reward_zero_std` flags a completion when the std its advantage is divided by is zero: per group
    under scale_rewards 'group', but one batch-wide flag under 'batch', so it cannot say how many groups gave no
    gradient. This counts groups whose weighted total reward has no spread, whatever the scaling.
    """
    import torch
    from trl import GRPOTrainer

    class TraitrlGRPOTrainer(GRPOTrainer):
        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            mode = "train" if self.model.training else "eval"
            group = self.num_generations if mode == "train" else self.num_generations_eval
            weights = self.reward_weights.to(per_func.device)
            self._metrics[mode]["frac_group_zero_std"].append(frac_group_zero_std(per_func, weights, group))
            if inputs and PLACED_FIELD in inputs[0]:
                # per_func holds every process's rows, in process order, as accelerate gathers them
                placed = self.accelerator.gather(
                    torch.tensor([x[PLACED_FIELD] for x in inputs], device=per_func.device))
                names = [f.__name__ for f in self.reward_funcs]
                for key, value in sampled_reward_means(per_func, weights, names, placed).items():
                    self._metrics[mode][key].append(value)
            return per_func

    return TraitrlGRPOTrainer


def sampled_reward_means(rewards_per_func, weights, names: list[str], placed) -> dict[str, float]:
    """The step's rewards over the sampled completions alone, leaving out the placed reference replies of
    `reference_in_group`: TRL's own `reward` mean includes them, so under guidance it would not say whether the
    policy's samples improved. Keys: `sampled_key("reward")` for the weighted total, `sampled_key(name)` per reward."""
    import torch

    is_sample = ~torch.as_tensor(placed, dtype=torch.bool, device=rewards_per_func.device)
    sampled = rewards_per_func[is_sample]
    # nanmean: NaN where nothing was sampled or scored, so the learning check skips that step
    out = {sampled_key("reward"): float(torch.nanmean(weighted_totals(rewards_per_func, weights)[is_sample]))}
    for column, name in enumerate(names):
        out[sampled_key(name)] = float(torch.nanmean(sampled[:, column]))
    return out


def sampled_key(reward: str) -> str:
    """The metrics key of a reward's samples-only mean ('reward' is the weighted total)."""
    return "reward/sampled" if reward == "reward" else f"rewards/{reward}/sampled"


def weighted_totals(rewards_per_func, weights):
    """Each completion's weighted total reward, as TRL sums it; NaN where no reward function scored it (TRL excludes
    those rows)."""
    import torch

    totals = (rewards_per_func * weights[None]).nansum(dim=1)
    totals[torch.isnan(rewards_per_func).all(dim=1)] = torch.nan
    return totals


def frac_group_zero_std(rewards_per_func, weights, group_size: int) -> float:
    """Share of prompt groups whose weighted total reward is the same for every completion (no GRPO signal)."""
    import torch

    grouped = weighted_totals(rewards_per_func, weights).view(-1, group_size)
    span = (torch.where(grouped.isnan(), -torch.inf, grouped).amax(dim=1)
            - torch.where(grouped.isnan(), torch.inf, grouped).amin(dim=1))
    return float((~(span > 1e-6)).float().mean())


def metrics_stream_callback(path: Path):
    """A TrainerCallback that appends each logged row to `path` as it comes, so a killed run keeps its reward curve
    (train_grpo rewrites the file from the full log history when the run ends)."""
    from transformers import TrainerCallback

    class StreamMetrics(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and state.is_world_process_zero:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a") as f:
                    f.write(json.dumps({**logs, "step": state.global_step}) + "\n")

    return StreamMetrics()


def tune_cpu_training_forward(trainer, mixed_precision: str) -> None:
    """Three changes to TRL's training forward on CPU. The first two keep the numbers and save time
    (bench/rollout_speed.py); the third makes bf16 log-probs more precise. tests/train/test_plumbing.py checks them.

    - Eager attention. PyTorch's CPU flash-attention backward took a third of the backward time at 16 sequences of
      about 150 tokens. Eager attention's score matrices are small at these lengths.
    - TRL's fused LM head scores only the completion positions. Off Triton devices, TRL projects every position,
      prompt and padding included, then discards those log-probs. It does this to keep tile shapes fixed for
      compilers such as Neuron. Nothing is compiled on CPU, so traitrl makes it take TRL's own compact path there.
    - Under bf16 autocast, the head projection and log-softmax run in fp32. TRL's `cast_lm_head_to_fp32` option
      also casts the tied embedding and fails on a PEFT-wrapped SmolLM2. The master weights are fp32 already, so
      only the fused head's flag is needed. It is re-applied here on the model that TRL patched.
    """
    import trl.trainer.utils as trl_utils
    from trl.kernels.chunked_logprob import _use_triton

    # Process-wide, and only in TRL's fused-head forward: trl.trainer.utils reads `_use_triton` there alone.
    trl_utils._use_triton = lambda device: device.type == "cpu" or _use_triton(device)
    base = trainer.model.get_base_model() if hasattr(trainer.model, "get_base_model") else trainer.model
    base.set_attn_implementation("eager")
    if mixed_precision == "bf16":
        trl_utils.add_fused_lm_head(base, temperature=trainer.temperature, cast_lm_head_to_fp32=True,
                                    outputs=("log_probs", "entropy"))


def build_trainer(model: str, rows: list[dict], reward_funcs: list[Grader], cfg: TrainConfig, output_dir: Path,
                  seed: int = 0):
    """The configured GRPO trainer for one arm (policy loaded, LoRA attached, rollout engine plugged in)."""
    from datasets import Dataset
    from peft import LoraConfig

    import torch

    if torch.cuda.is_available():
        # cuDNN attention plans every new shape (~0.1 s), and HF generate makes a new shape at each decode step.
        torch.backends.cuda.enable_cudnn_sdp(False)
    tokenizer = load_tokenizer(model)
    policy = load_model(model, dtype=cfg.dtype)
    peft_config = None
    if cfg.lora is not None:
        peft_config = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                                 target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM")
    names = [f.__name__ for f in reward_funcs]
    from traitrl.train.rollout import make_rollout_func

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    trainer = trainer_class()(
        model=policy, reward_funcs=reward_funcs, args=build_grpo_config(cfg, output_dir, seed, names),
        train_dataset=Dataset.from_list(rows), processing_class=tokenizer, peft_config=peft_config,
        rollout_func=make_rollout_func(tokenizer, cfg.rollout, rows),
        callbacks=[metrics_stream_callback(output_dir / METRICS_FILE)],
    )
    if not torch.cuda.is_available():
        tune_cpu_training_forward(trainer, cfg.mixed_precision)
    return trainer


def train_grpo(model: str, rows: list[dict], reward_funcs: list[Grader], cfg: TrainConfig, output_dir: str | Path,
               seed: int = 0, resume: bool = True) -> Path:
    """Train one arm; return the folder of the final (LoRA-merged) model. Skips work already finished."""
    output_dir = Path(output_dir)
    final = output_dir / FINAL_DIR
    if not resume:
        clear_outputs(output_dir, [p.name for p in output_dir.glob("checkpoint-*")] + TRAIN_OUTPUTS)
    check_same_config(output_dir, {"model": model, "seed": seed, "train": cfg.model_dump(mode="json"),
                                   "rows": stable_hash(rows)},
                      fix="resume with the original settings, or start over with --no-resume")
    if (output_dir / SUMMARY_FILE).is_file() and (final / "config.json").is_file():
        return final
    trainer = build_trainer(model, rows, reward_funcs, cfg, output_dir, seed)
    trainer.add_callback(judge_error_callback())
    install_atomic_checkpoints(trainer, output_dir, keep=trainer.args.save_total_limit or 2)
    tokenizer = trainer.processing_class
    names = [f.__name__ for f in reward_funcs]
    checkpoint = resume_checkpoint(output_dir) if resume else None
    if checkpoint is None:
        (output_dir / METRICS_FILE).unlink(missing_ok=True)  # rows of an earlier, abandoned run would be streamed onto
    started = time.time()
    trainer.train(resume_from_checkpoint=checkpoint)
    seconds = time.time() - started
    trained = trainer.model
    if cfg.lora is not None:
        trained = trained.merge_and_unload()
    save_model_atomic(trained, tokenizer, final)
    history = trainer.state.log_history
    write_jsonl_atomic(output_dir / METRICS_FILE, history)
    write_json_atomic(output_dir / SUMMARY_FILE, {
        "steps": trainer.state.global_step, "seconds_this_session": seconds, "resumed_from": checkpoint,
        "generated_tokens": sum_generated_tokens(history, cfg), "reward_functions": names,
        "final_model": str(final), **judge_error_counts(),
    })
    return final


def judge_error_callback():
    """Adds the judges' cumulative item and error counts to every logged step (metrics.jsonl). A judge whose error
    share passes its max_error_rate raises JudgeError inside the reward function, which stops the run."""
    from transformers import TrainerCallback

    class JudgeErrors(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            # Trainer.log appends to log_history before callbacks run; extend that entry, not the `logs` copy.
            if state.log_history:
                state.log_history[-1].update(judge_error_counts())

    return JudgeErrors()


def sum_generated_tokens(history: list[dict], cfg: TrainConfig) -> int:
    """Completion tokens actually generated, from TRL's per-step mean completion length."""
    per_step = cfg.prompts_per_step * cfg.num_generations
    return int(round(sum(h.get("completions/mean_length", 0.0) * per_step for h in history)))


def read_train_summary(output_dir: str | Path) -> dict:
    return json.loads((Path(output_dir) / SUMMARY_FILE).read_text())
