"""Greedy batched generation for generative benchmarks: chat template, length-sorted batches.

On CPU, Llama-family models decode through the fast rollout engine (models/rollout_engine.py: a bf16 copy of the
weights with any LoRA merged in, ~4x HF generate); other models, and any model on a GPU, use HF `generate`, under
bf16 autocast on CPU (measured: ~100 vs 73 tok/s at batch 8). Greedy decoding keeps results deterministic for a
given model, dtype and batch composition; batches are formed from the length-sorted conversations, so the same
inputs always land in the same batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from traitrl._util.errors import ModelError


def _autocast(model, use_bf16: bool):
    import torch

    if use_bf16 and model.device.type == "cpu" and next(model.parameters()).dtype == torch.float32:
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _progress(enabled: bool):
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import Progress

    return Progress(transient=True)


def generate_responses(model, tokenizer, conversations: list[list[dict[str, str]]], max_new_tokens: int,
                       batch_size: int = 8, use_bf16: bool = True, progress: bool = False,
                       engine: str = "auto", temperature: float = 0.0) -> list[str]:
    """One reply per conversation, in input order: greedy, or sampled at `temperature` > 0 (used to build the
    refusal classifier's labeled set, whose replies must not all be the greedy mode). `engine`: 'auto' (the fast
    engine where it applies), 'fast' (the fast engine or ModelError) or 'hf' (always HF generate)."""
    import torch

    from traitrl.models.rollout_engine import SamplingParams, eos_token_ids, local_engine

    if engine not in ("auto", "fast", "hf"):
        raise ValueError(f"engine must be 'auto', 'fast' or 'hf', got {engine!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError(f"tokenizer {tokenizer.name_or_path!r} has no chat template; generative benchmarks need a "
                         "chat (instruct) model or a tokenizer with `chat_template` set")
    prompts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    lengths = [len(tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]
    # Longest first: similar lengths share a batch (less padding), and an out-of-memory error shows up at once.
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    pad_side, tokenizer.padding_side = tokenizer.padding_side, "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    replies: list[str | None] = [None] * len(prompts)
    model.eval()
    # Synced on every call: harmful fine-tuning changes the weights between calls.
    fast = None if engine == "hf" else local_engine(model, "bfloat16" if use_bf16 else "float32")
    if fast is None and engine == "fast":
        raise ModelError(f"the fast engine needs a bias-free Llama-family model on the CPU; {tokenizer.name_or_path!r} "
                         "is not one: use hf:PATH")
    sampling = SamplingParams(max_new_tokens, eos_token_ids(model, tokenizer), do_sample=temperature > 0,
                              temperature=temperature or 1.0)
    try:
        with _progress(progress) as bar:
            task = bar.add_task("generating", total=len(prompts)) if bar else None
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                if fast is not None:
                    ids = tokenizer([prompts[i] for i in idx], add_special_tokens=False).input_ids
                    new_tokens = fast.generate_ids(ids, sampling)["completion_ids"]
                else:
                    batch = tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True,
                                      add_special_tokens=False).to(model.device)
                    with torch.inference_mode(), _autocast(model, use_bf16):
                        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=temperature > 0,
                                             temperature=temperature or None, pad_token_id=tokenizer.pad_token_id)
                    new_tokens = out[:, batch.input_ids.shape[1]:]
                for i, text in zip(idx, tokenizer.batch_decode(new_tokens, skip_special_tokens=True), strict=True):
                    replies[i] = text.strip()
                if bar:
                    bar.advance(task, len(idx))
    finally:
        tokenizer.padding_side = pad_side
    return replies  # type: ignore[return-value]


def make_responder(model, tokenizer, max_new_tokens: int, batch_size: int = 8, use_bf16: bool = True,
                   progress: bool = False) -> Callable[[list[list[dict[str, str]]]], list[str]]:
    """Bind a model to the Responder interface that multi-step benchmark protocols call."""

    def respond(conversations: list[list[dict[str, str]]]) -> list[str]:
        return generate_responses(model, tokenizer, conversations, max_new_tokens, batch_size, use_bf16, progress)

    return respond
