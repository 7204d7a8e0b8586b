"""TrainConfig: the GRPO settings every arm of a study shares (that sharing is what makes arms compute-matched)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from traitrl.train.rollout import RolloutConfig


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    target_modules: str | list[str] = Field("all-linear", description="PEFT target modules.")


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = Field(30, ge=1, description="Optimizer steps (one generation batch per step).")
    prompts_per_step: int = Field(4, ge=1, description="Distinct prompts per step (P).")
    num_generations: int = Field(4, ge=2, description="Completions per prompt (G), the GRPO group size.")
    max_completion_tokens: int = Field(64, ge=1, description="Generation cap per completion.")
    sequences_per_forward: int | None = Field(
        None, ge=1, description="Completions per forward/backward per device; the P×G batch is accumulated over "
        "several. None = all P×G at once (fine for a 135M model; cap it on GPUs, e.g. 16 for 1.5B × 1k tokens).")
    lr: float = Field(5e-5, gt=0, description="Learning rate (AdamW).")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature for rollouts.")
    beta: float = Field(0.0, ge=0, description="KL coefficient; 0 skips the reference model (TRL default).")
    advantage_scaling: Literal["group", "batch", "none"] = Field(
        "batch", description="How GRPO advantages (reward minus group mean) are scaled: 'group' divides by each "
        "group's reward std (TRL's default; turns a 0.002 spread into unit advantages), 'batch' by the std over the "
        "whole step, 'none' not at all (Dr. GRPO). docs/training.md has the ablation behind the default.")
    lora: LoraSettings | None = Field(default_factory=LoraSettings, description="None = full fine-tuning.")
    dtype: Literal["float32", "bfloat16"] = Field(
        "float32", description="Master-weight dtype. Keep float32: pure-bf16 steps barely move the loss.")
    mixed_precision: Literal["no", "bf16"] = Field(
        "no", description="'bf16': the policy's forward/backward under bf16 autocast (CPU or GPU) over fp32 master "
        "weights, with log-softmax and loss in fp32 (and on CPU the LM head projection too). Needs dtype float32. "
        "Over 3 seeds it reached fp32's reward within seed noise; its replies hit the cap in 2 of 3 seeds against 1 "
        "of 3 at lr 1e-3, and in neither of the two seeds rerun at lr 3e-4 (docs/training.md). configs/standard.yaml "
        "uses it.")
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in backward; saves memory, costs ~30 % time (off for small CPU runs).")
    save_steps: int = Field(10, ge=1, description="Checkpoint every N steps (resume continues from the last).")
    logging_steps: int = Field(1, ge=1)
    rollout: RolloutConfig = Field(
        default_factory=RolloutConfig,
        description="engine 'fast' = traitrl's batched CPU rollout (train.rollout); 'trl' = TRL's own generation.")
    use_vllm: bool = Field(False, description="GPU only: vLLM rollouts through TRL.")
    vllm_mode: Literal["colocate", "server"] = "colocate"
    vllm_server_base_url: str | None = None
    reward_weights: dict[str, float] = Field(
        default_factory=lambda: {"task_reward": 1.0, "trait_reward": 1.0},
        description="Weight per reward function; each row is scored by exactly one (the others return None).")
    trl_overrides: dict[str, Any] = Field(default_factory=dict, description="Extra GRPOConfig fields, passed as-is.")

    @field_validator("mixed_precision", mode="before")
    @classmethod
    def _yaml_no(cls, value: Any) -> Any:
        return "no" if value is False else value  # YAML reads a bare `no` as false

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.mixed_precision == "bf16" and self.dtype != "float32":
            raise ValueError("mixed_precision 'bf16' keeps fp32 master weights: set `dtype: float32` with it")
        if self.use_vllm and self.rollout.engine == "fast":
            raise ValueError("`use_vllm: true` replaces the generation backend: set `rollout: {engine: trl}` with it "
                             "('fast' is traitrl's CPU rollout path)")
        if self.vllm_mode == "server" and self.use_vllm and not self.vllm_server_base_url:
            raise ValueError("vllm_mode 'server' needs `vllm_server_base_url` (start the server as in docs/gpu.md)")
        return self

    def compute_budget(self, sft_steps: int = 0) -> dict[str, int]:
        """What compute matching compares across arms; SFT steps (constitution arm) count as optimizer steps."""
        return {
            "optimizer_steps": self.steps,
            "sft_steps_within_budget": sft_steps,
            "prompts_per_step": self.prompts_per_step,
            "num_generations": self.num_generations,
            "max_completion_tokens": self.max_completion_tokens,
            "max_generated_tokens": (self.steps - sft_steps) * self.prompts_per_step * self.num_generations
            * self.max_completion_tokens,
        }
