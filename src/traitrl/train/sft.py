"""Supervised fine-tuning through TRL's SFTTrainer: LoRA over fp32 master weights, loss on the reply only.

Used by the persistence suite's harmful fine-tuning attack (persist.harmful_ft): the model is trained in memory and
measured at chosen step counts through `on_step`, so nothing is saved and one run yields the whole erosion curve.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

OnStep = Callable[[int, Any], None]


class SFTSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lr: float = Field(2e-4, gt=0, description="Learning rate (AdamW, constant schedule: step counts stay comparable).")
    batch_size: int = Field(2, ge=1, description="Examples per optimizer step.")
    lora_r: int = Field(16, ge=1, description="LoRA rank (harmful FT is LoRA, like the cheap fine-tuning it models).")
    lora_alpha: int = Field(32, ge=1)
    max_length: int = Field(256, ge=16, description="Tokens per example (prompt + reply); longer ones are truncated.")
    trl_overrides: dict[str, Any] = Field(default_factory=dict, description="Extra SFTConfig fields, passed as-is.")


def sft_rows(pairs: Sequence[tuple[list[dict[str, str]], str]]) -> list[dict]:
    """(messages, reply) pairs as TRL's conversational prompt-completion rows (loss on the completion only)."""
    return [{"prompt": list(messages), "completion": [{"role": "assistant", "content": reply}]}
            for messages, reply in pairs]


def build_sft_config(settings: SFTSettings, output_dir: str, max_steps: int, seed: int):
    import torch
    from trl import SFTConfig

    args = dict(
        output_dir=output_dir, max_steps=max_steps, per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=1, learning_rate=settings.lr, lr_scheduler_type="constant", warmup_steps=0,
        max_length=settings.max_length, completion_only_loss=True, packing=False, save_strategy="no",
        logging_steps=max(1, max_steps // 5), report_to=[], seed=seed, data_seed=seed,
        use_cpu=not torch.cuda.is_available(), bf16=False, dataloader_num_workers=0, disable_tqdm=True,
    )
    args.update(settings.trl_overrides)
    return SFTConfig(**args)


def _step_callback(on_step: OnStep, eval_steps: set[int]):
    from transformers import TrainerCallback

    class MeasureAtSteps(TrainerCallback):
        def _measure(self, step: int, model) -> None:
            on_step(step, model)
            model.train()

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if 0 in eval_steps:
                self._measure(0, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step in eval_steps:
                self._measure(state.global_step, model)

    return MeasureAtSteps()


def train_sft(model, tokenizer, rows: list[dict], settings: SFTSettings, max_steps: int, seed: int = 0,
              on_step: OnStep | None = None, eval_steps: Sequence[int] = ()):
    """LoRA-SFT `model` (fp32) for `max_steps` steps on `rows`, calling `on_step(step, model)` at `eval_steps`.

    Returns the trained PEFT model. Step 0 is measured before the first update; rows repeat when k·epochs runs out.
    """
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTTrainer

    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    peft_config = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                             target_modules="all-linear", task_type="CAUSAL_LM")
    callbacks = [_step_callback(on_step, set(eval_steps))] if on_step else []
    with tempfile.TemporaryDirectory(prefix="traitrl-sft-") as tmp:
        trainer = SFTTrainer(model=model, args=build_sft_config(settings, tmp, max_steps, seed),
                             train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                             peft_config=peft_config, callbacks=callbacks)
        trainer.train()
    return trainer.model
