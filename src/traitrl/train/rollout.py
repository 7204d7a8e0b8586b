"""Fast GRPO rollouts on CPU, plugged into TRL's GRPOTrainer through its `rollout_func` hook (no trainer fork).

Same policy samples as TRL's default `model.generate` path, only faster: one bf16 copy of the current policy
(LoRA merged in) per training step, each prompt prefilled once for its G completions, all completions of the
generation batch decoded together (see models/rollout_engine.py). Sampling settings come from the trainer's own
`generation_kwargs` (GRPOConfig temperature/top_p/top_k/min_p/repetition_penalty/max_completion_length), so the two
paths cannot drift apart. Benchmarks: bench/rollout_speed.py, bench/scaling.py; notes: docs/rollout.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from traitrl._util.errors import ConfigError

RolloutFunc = Callable[[list, Any], dict[str, list]]
# Extra rollout field (TRL hands it to the reward functions and the trainer's inputs): True where the completion is
# the placed reference reply of `reference_in_group`, not a sample.
PLACED_FIELD = "placed_reference"

# generation_kwargs keys the fast engine honours; TRL fills the rest (pad/bos ids, cache_implementation) for HF.
_HANDLED_KWARGS = {"max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
                   "eos_token_id", "pad_token_id", "bos_token_id", "cache_implementation"}


class RolloutConfig(BaseModel, extra="forbid"):
    engine: Literal["fast", "trl"] = Field("fast", description="'fast': this module's engine; 'trl': TRL's own "
                                           "model.generate path (make_rollout_func returns None).")
    dtype: Literal["bfloat16", "float32"] = Field("bfloat16", description="Inference weights and KV cache dtype. "
                                                  "The fp32 master weights used for training are never touched.")
    return_logprobs: bool = Field(False, description="Hand the sampling log-probs to TRL. Without vLLM, TRL 1.16 "
                                  "uses them only for off_policy_mask_threshold; bf16 ones differ from the fp32 "
                                  "training forward (see docs/rollout.md).")
    num_threads: int | None = Field(None, ge=1, description="torch threads while generating; None keeps the "
                                    "process setting.")
    reference_in_group: bool = Field(False, description="Off-policy guidance, as in LUFFY (Yan et al., 2025): in the "
                                     "group of each trait prompt, the last of the G completions is the rubric's good "
                                     "reference reply (cut to the completion cap) instead of a sample. It is rewarded "
                                     "and weighted like the samples, so the arm is part imitation. Every arm on trait "
                                     "rows gets it (controls included; a constitution arm never). On in "
                                     "configs/quick.yaml and configs/standard.yaml.")

    @model_validator(mode="after")
    def _guidance_needs_the_fast_engine(self) -> RolloutConfig:
        if self.reference_in_group and (self.engine != "fast" or self.return_logprobs):
            raise ValueError("`reference_in_group` needs `engine: fast` and `return_logprobs: false`: the reference "
                             "reply is placed by traitrl's engine and has no sampling log-probs")
        return self


class FastRollout:
    """rollout_func(prompts, trainer) -> {"prompt_ids", "completion_ids", "logprobs"} for GRPOTrainer."""

    def __init__(self, processing_class, generation: RolloutConfig):
        import torch

        self.processing_class = processing_class
        self.generation = generation
        # prompt ids → reference completion ids, filled by make_rollout_func under reference_in_group
        self.references: dict[tuple[int, ...], list[int]] = {}
        self.dtype = getattr(torch, generation.dtype)
        self._weights = None
        self.last_sampling_logprobs: list[list[float]] = []  # kept even when not returned, for checks and benches

    def tokenize(self, prompts: list, trainer=None) -> list[list[int]]:
        """Prompt token ids exactly as GRPOTrainer._tokenize_prompts builds them for text-only prompts."""
        if prompts and isinstance(prompts[0], list):  # conversational: list of {"role", "content"} messages
            return self.processing_class.apply_chat_template(
                conversation=prompts, tools=getattr(trainer, "tools", None) or None,
                chat_template=getattr(trainer, "chat_template", None), add_generation_prompt=True, tokenize=True,
                return_dict=True, **(getattr(trainer, "chat_template_kwargs", None) or {}))["input_ids"]
        return self.processing_class(text=prompts)["input_ids"]

    def sync_weights(self, model) -> None:
        """Refresh the inference copy from the training weights (~0.2 s for 135M parameters)."""
        from traitrl.models.rollout_engine import extract_weights

        # On every call, not keyed on global_step: TRL calls rollout_func once per generation batch anyway, and a
        # step counter restarts on resume or a second train(), which would leave stale weights behind.
        self._weights = extract_weights(model, self.dtype)

    def __call__(self, prompts: list, trainer) -> dict[str, list]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        self.sync_weights(model)
        params = sampling_params(trainer.generation_kwargs)
        prompt_ids = self.tokenize(prompts, trainer)
        out = self.generate_ids(prompt_ids, params)
        extra = {}
        if self.references:
            out["completion_ids"], extra[PLACED_FIELD] = self.place_references(prompt_ids, out["completion_ids"],
                                                                               params.max_new_tokens)
        return {**out, "logprobs": out["logprobs"] if self.generation.return_logprobs else None, **extra}

    def place_references(self, prompt_ids: list[list[int]], completions: list[list[int]],
                         cap: int) -> tuple[list[list[int]], list[bool]]:
        """The last completion of each prompt that has a reference becomes that reference, cut to `cap` tokens.
        Also returns which completions were replaced, so the learning check can read the samples' reward alone."""
        last = {tuple(ids): i for i, ids in enumerate(prompt_ids)}
        placed, is_reference = list(completions), [False] * len(completions)
        for key, i in last.items():
            if key in self.references:
                placed[i], is_reference[i] = self.references[key][:cap], True
        return placed, is_reference

    def generate_ids(self, prompt_ids: list[list[int]], params, seed: int | None = None) -> dict[str, list]:
        """Sample one completion per prompt row; identical rows share one prefill. `seed`: torch.manual_seed first."""
        from traitrl.models.rollout_engine import generate_unique

        if self._weights is None:
            raise RuntimeError("FastRollout.generate_ids called before sync_weights")
        out = generate_unique(self._weights, prompt_ids, params, self.dtype, seed, self.generation.num_threads)
        self.last_sampling_logprobs = out["logprobs"]
        return out


def sampling_params(generation_kwargs: dict):
    """SamplingParams from the GenerationConfig kwargs that GRPOTrainer builds from GRPOConfig."""
    from traitrl.models.rollout_engine import SamplingParams

    unknown = sorted(k for k, v in generation_kwargs.items() if k not in _HANDLED_KWARGS and v is not None)
    if unknown:
        raise ConfigError(f"generation_kwargs {unknown} are not supported by rollout engine 'fast'; "
                          f"remove them or set rollout engine: trl")
    eos = generation_kwargs["eos_token_id"]
    temperature = generation_kwargs.get("temperature")
    return SamplingParams(
        max_new_tokens=int(generation_kwargs["max_new_tokens"]),
        eos_token_ids=tuple(eos if isinstance(eos, (list, tuple)) else [eos]),
        do_sample=bool(generation_kwargs.get("do_sample", True)) and temperature not in (None, 0.0),
        temperature=1.0 if temperature is None else float(temperature),
        top_k=generation_kwargs.get("top_k"), top_p=generation_kwargs.get("top_p"),
        min_p=generation_kwargs.get("min_p"), repetition_penalty=generation_kwargs.get("repetition_penalty"),
    )


def synced_rollout(model, tokenizer, dtype: str = "bfloat16") -> FastRollout:
    """A FastRollout (chat tokenising plus the fast engine) synced to `model`'s current weights, for scripts that
    sample outside a trainer (bench/learning.py, bench/task_spread.py)."""
    rollout = FastRollout(tokenizer, RolloutConfig(dtype=dtype))
    rollout.sync_weights(model)
    return rollout


def reference_completions(rollout: FastRollout, rows: list[dict]) -> dict[tuple[int, ...], list[int]]:
    """For every trait row: its prompt's token ids (as `rollout` tokenises them) → the rubric's good reference reply
    as completion ids, ending in EOS as a finished sample does."""
    from traitrl.rewards.combine import parse_scenario_column

    processing_class = rollout.processing_class
    trait = [(i, r) for i, r in enumerate(rows) if r.get("source") == "trait"]
    if not trait:
        return {}
    prompts = rollout.tokenize([r["prompt"] for _, r in trait])
    eos = processing_class.eos_token_id
    return {tuple(ids): processing_class(parse_scenario_column(r["scenario"], i).rubric.good_response,
                                         add_special_tokens=False)["input_ids"] + [eos]
            for ids, (i, r) in zip(prompts, trait, strict=True)}


def make_rollout_func(processing_class, generation: RolloutConfig, rows: list[dict] | None = None
                      ) -> RolloutFunc | None:
    """The callable to pass as GRPOTrainer(rollout_func=...); None for engine 'trl' (TRL's default generation).
    `rows` (the training dataset) supply the references when `reference_in_group` is on."""
    if not isinstance(generation, RolloutConfig):
        raise ConfigError(f"make_rollout_func needs a RolloutConfig, got {type(generation).__name__}")
    if generation.engine == "trl":
        return None
    if generation.reference_in_group and not rows:
        raise ConfigError("rollout `reference_in_group` needs the training rows, to find each prompt's reference")
    rollout = FastRollout(processing_class, generation)
    if generation.reference_in_group:
        rollout.references = reference_completions(rollout, rows)
    return rollout
