"""A lean KV-cached decoder for Llama-family models: the inference half of the fast rollout path.

Why not `model.generate`: on 2 CPU cores HF's per-step Python and cache bookkeeping, the unmerged LoRA layers and
fp32 matmuls cost more than the arithmetic. Here the weights are merged (base + LoRA delta) into one bf16 copy per
training step, q/k/v and gate/up are fused into one matmul each, the KV cache is preallocated, and each prompt is
prefilled once and its cache copied to its G completions. Sampling reuses HF's own logits warpers, so the
sampling distribution is the one `generate` would use.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from traitrl._util.errors import ConfigError

SUPPORTED_MODEL_TYPES = ("llama",)


@dataclass
class LayerWeights:
    ln_attn: torch.Tensor
    qkv: torch.Tensor  # [(n_heads + 2 * n_kv_heads) * head_dim, hidden]
    o: torch.Tensor
    ln_mlp: torch.Tensor
    gate_up: torch.Tensor  # [2 * intermediate, hidden]
    down: torch.Tensor


@dataclass
class DecoderWeights:
    embed: torch.Tensor
    layers: list[LayerWeights]
    norm: torch.Tensor
    lm_head: torch.Tensor
    inv_freq: torch.Tensor  # fp32 RoPE frequencies, taken from the model's own rotary module
    rope_scale: float
    n_heads: int
    n_kv_heads: int
    head_dim: int
    eps: float


def merged_weight(module) -> torch.Tensor:
    """Weight of a Linear, with any active (unmerged) PEFT LoRA adapters added in."""
    base = getattr(module, "base_layer", None)
    if base is None:
        return module.weight.detach()
    weight = base.weight.detach()
    if getattr(module, "merged", False) or getattr(module, "disable_adapters", False):
        return weight
    for name in module.active_adapters:
        if name in module.lora_A:
            weight = weight + module.get_delta_weight(name).detach()
    return weight


def extract_weights(model, dtype: torch.dtype) -> DecoderWeights:
    """Copy the (possibly PEFT-wrapped) policy's weights into a DecoderWeights of `dtype`."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config
    if config.model_type not in SUPPORTED_MODEL_TYPES or getattr(config, "attention_bias", False) or getattr(
            config, "mlp_bias", False) or config.hidden_act != "silu":
        raise ConfigError(f"rollout engine 'fast' supports bias-free SiLU {SUPPORTED_MODEL_TYPES} models, not "
                          f"{config.model_type!r}; set rollout engine: trl")
    with torch.no_grad():
        layers = []
        for layer in base.model.layers:
            attn, mlp = layer.self_attn, layer.mlp
            layers.append(LayerWeights(
                ln_attn=layer.input_layernorm.weight.detach().to(dtype),
                qkv=torch.cat([merged_weight(attn.q_proj), merged_weight(attn.k_proj), merged_weight(attn.v_proj)])
                .to(dtype).contiguous(),
                o=merged_weight(attn.o_proj).to(dtype).contiguous(),
                ln_mlp=layer.post_attention_layernorm.weight.detach().to(dtype),
                gate_up=torch.cat([merged_weight(mlp.gate_proj), merged_weight(mlp.up_proj)]).to(dtype).contiguous(),
                down=merged_weight(mlp.down_proj).to(dtype).contiguous(),
            ))
        embed = merged_weight(base.model.embed_tokens).to(dtype)
        lm_head = merged_weight(base.lm_head).to(dtype)
        rotary = base.model.rotary_emb
        return DecoderWeights(
            embed=embed, layers=layers, norm=base.model.norm.weight.detach().to(dtype),
            lm_head=embed if lm_head.data_ptr() == embed.data_ptr() else lm_head,
            inv_freq=rotary.inv_freq.detach().float(), rope_scale=float(getattr(rotary, "attention_scaling", 1.0)),
            n_heads=config.num_attention_heads, n_kv_heads=config.num_key_value_heads,
            head_dim=getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads,
            eps=config.rms_norm_eps,
        )


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    # Same op order as LlamaRMSNorm (normalize in fp32, cast back, then scale) so fp32 runs match it bit for bit;
    # F.rms_norm is slower here for bf16 (its CPU kernel decomposes into more copies).
    x32 = x.float()
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(x.dtype)


def _rope_tables(w: DecoderWeights, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [B, T, n_heads + n_kv_heads, head_dim] for RoPE on the stacked q and k heads in one pass.

    HF rotates with `x * cos + rotate_half(x) * sin`; rotate_half(x) * sin equals roll(x, head_dim / 2) * sin with
    the sign of sin's first half flipped, which is one op instead of four. The q rows also carry attention's
    1 / sqrt(head_dim), so no layer scales its scores (exact when head_dim is a power of 4, as in SmolLM2).
    """
    freqs = positions.float()[..., None] * w.inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)[:, :, None, :]  # [B, T, 1, head_dim]
    half = w.head_dim // 2
    sign = torch.cat((torch.full((half,), -1.0), torch.ones(half)))
    head_scale = torch.cat((torch.full((w.n_heads, 1), w.head_dim ** -0.5), torch.ones(w.n_kv_heads, 1)))
    cos = emb.cos() * w.rope_scale * head_scale
    sin = emb.sin() * w.rope_scale * sign * head_scale
    return cos.to(dtype), sin.to(dtype)


def _decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    # One query token: plain batched matmuls beat SDPA's CPU flash kernel ~10x here (it tiles for long queries).
    # The query heads of one KV head are stacked as rows, so GQA needs no repeat of K and V. q is pre-scaled.
    bsz, n_heads, _, head_dim = q.shape
    n_kv = k.shape[1]
    scores = q.reshape(bsz, n_kv, n_heads // n_kv, head_dim) @ k.transpose(-1, -2)  # [B, kv_heads, group, S]
    probs = scores.masked_fill_(masked, float("-inf")).softmax(-1)  # bf16 in and out, accumulated in fp32
    return (probs @ v).reshape(bsz, n_heads * head_dim)


class KVCache:
    """Preallocated keys and values, [layers, batch, kv_heads, max_len, head_dim]; column `length` is written next."""

    def __init__(self, w: DecoderWeights, batch: int, max_len: int, dtype: torch.dtype):
        shape = (len(w.layers), batch, w.n_kv_heads, max_len, w.head_dim)
        self.k = torch.zeros(shape, dtype=dtype)
        self.v = torch.zeros(shape, dtype=dtype)
        self.length = 0


def forward(w: DecoderWeights, ids: torch.Tensor, positions: torch.Tensor, cache: KVCache,
            attn_mask: torch.Tensor | None) -> torch.Tensor:
    """Run `ids` [B, T] at `positions` [B, T] through the model, append to `cache`, return the fp32 logits of the
    last position [B, V] (the only ones sampling needs: the lm_head is a fifth of the model's FLOPs).

    `attn_mask` (True = attend) is, for one decode step (T = 1), a bool [B, 1, 1, max_len] over the whole preallocated
    cache, False on columns not yet written: attention over the contiguous cache is ~3x faster than over a strided
    slice of it. For T > 1 it is a bool [B, 1, T, cache.length + T], or None for one unpadded causal prefill.
    Few ops per layer (one RoPE pass over q and k, no score scaling, the mask inverted once): at decode batch sizes
    on CPU, per-op overhead costs nearly as much as the matmuls.
    """
    bsz, steps = ids.shape
    start, end = cache.length, cache.length + steps
    h = w.embed[ids].view(bsz * steps, -1)
    hidden = h.shape[1]
    cos, sin = _rope_tables(w, positions, h.dtype)
    n_qk, half = w.n_heads + w.n_kv_heads, w.head_dim // 2
    qk_size = n_qk * w.head_dim
    masked = None if attn_mask is None or steps > 1 else ~attn_mask  # computed once, used by every layer
    for i, layer in enumerate(w.layers):
        qkv = _rms_norm(h, layer.ln_attn, w.eps) @ layer.qkv.T
        qk = qkv[:, :qk_size].view(bsz, steps, n_qk, w.head_dim)
        qk = torch.addcmul(qk * cos, qk.roll(half, -1), sin).transpose(1, 2)  # [B, heads, T, head_dim]
        cache.k[i, :, :, start:end] = qk[:, w.n_heads:]
        cache.v[i, :, :, start:end] = qkv[:, qk_size:].view(bsz, steps, w.n_kv_heads, w.head_dim).transpose(1, 2)
        q = qk[:, :w.n_heads]
        if steps == 1:
            out = _decode_attention(q, cache.k[i], cache.v[i], masked)
        else:
            keys, values = cache.k[i, :, :, :end], cache.v[i, :, :, :end]
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=attn_mask, is_causal=attn_mask is None,
                                                 scale=1.0, enable_gqa=True).transpose(1, 2).reshape(bsz * steps, -1)
        h = h + out @ layer.o.T
        gate, up = (_rms_norm(h, layer.ln_mlp, w.eps) @ layer.gate_up.T).chunk(2, dim=-1)
        h = h + (F.silu(gate) * up) @ layer.down.T
    cache.length = end
    last = h.view(bsz, steps, hidden)[:, -1]
    return (_rms_norm(last, w.norm, w.eps) @ w.lm_head.T).float()


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int
    eos_token_ids: tuple[int, ...]
    do_sample: bool = True
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None


def _warpers(p: SamplingParams, prompt_pad: torch.Tensor):
    # The processors, and their order, that GenerationMixin._get_logits_processor builds for these settings.
    from transformers.generation.logits_process import (
        LogitsProcessorList,
        MinPLogitsWarper,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    procs = LogitsProcessorList()
    if p.repetition_penalty not in (None, 1.0):
        procs.append(RepetitionPenaltyLogitsProcessor(p.repetition_penalty, prompt_ignore_length=prompt_pad))
    if p.do_sample:
        if p.temperature != 1.0:
            procs.append(TemperatureLogitsWarper(p.temperature))
        if p.top_k:
            procs.append(TopKLogitsWarper(top_k=p.top_k))
        if p.top_p is not None and p.top_p < 1.0:
            procs.append(TopPLogitsWarper(top_p=p.top_p))
        if p.min_p is not None:
            procs.append(MinPLogitsWarper(min_p=p.min_p))
    return procs


def _sample(scores: torch.Tensor) -> torch.Tensor:
    # Inverse-CDF draw: the same distribution as torch.multinomial, whose CPU kernel draws one exponential per
    # vocabulary entry (24 ms for 32 x 49k, single-threaded) where this needs one uniform per row.
    cdf = scores.softmax(-1).cumsum(-1)
    u = torch.rand(cdf.shape[0], 1) * cdf[:, -1:]
    return torch.searchsorted(cdf, u).squeeze(1).clamp_(max=cdf.shape[1] - 1)


@torch.no_grad()
def generate(w: DecoderWeights, prompts: list[list[int]], group: list[int], p: SamplingParams,
             cache_dtype: torch.dtype) -> tuple[list[list[int]], list[list[float]]]:
    """Sample one completion per row; `group[r]` indexes the unique prompt of row r.

    Returns completion ids (up to and including the first EOS, as TRL keeps it) and, per token, the log-probability
    under the sampling policy before top-k/top-p truncation: log_softmax(logits / temperature), the quantity GRPO's
    training forward computes for the same token.
    """
    rows = len(group)
    max_prompt = max(len(ids) for ids in prompts)
    max_len = max_prompt + p.max_new_tokens
    cache = KVCache(w, rows, max_len, cache_dtype)
    prompt_pad = torch.tensor([max_prompt - len(prompts[g]) for g in group])
    last_logits = torch.empty(rows, w.embed.shape[0])
    # Prompts are left-padded so that every row writes its new token into the same cache column.
    group_t = torch.tensor(group)
    for g, ids in enumerate(prompts):
        one = KVCache(w, 1, len(ids), cache_dtype)
        logits = forward(w, torch.tensor([ids]), torch.arange(len(ids))[None], one, None)
        members = (group_t == g).nonzero().squeeze(1)
        cache.k[:, members, :, max_prompt - len(ids):max_prompt] = one.k
        cache.v[:, members, :, max_prompt - len(ids):max_prompt] = one.v
        last_logits[members] = logits[0]
    cache.length = max_prompt
    valid = torch.zeros(rows, max_len, dtype=torch.bool)  # the cache columns each row attends to
    valid[:, :max_prompt] = torch.arange(max_prompt)[None] >= prompt_pad[:, None]
    position = max_prompt - prompt_pad  # next position of each row
    tokens = torch.full((rows, max_len), 0, dtype=torch.long)
    tokens[:, :max_prompt] = torch.tensor([[0] * (max_prompt - len(prompts[g])) + prompts[g] for g in group])
    warpers = _warpers(p, prompt_pad)
    eos = torch.tensor(p.eos_token_ids)
    active = torch.arange(rows)  # original row of each batch row still being decoded
    done = torch.zeros(rows, dtype=torch.bool)
    res_ids = torch.full((rows, p.max_new_tokens), -1, dtype=torch.long)
    res_logps = torch.zeros(rows, p.max_new_tokens)
    logits = last_logits
    for step in range(p.max_new_tokens):
        scores = warpers(tokens[:, :max_prompt + step], logits)
        nxt = _sample(scores) if p.do_sample else scores.argmax(-1)
        base = logits / p.temperature if p.do_sample and p.temperature not in (0.0, 1.0) else logits
        live = ~done
        res_ids[active[live], step] = nxt[live]
        res_logps[active[live], step] = base.log_softmax(-1).gather(1, nxt[:, None]).squeeze(1)[live]
        tokens[:, max_prompt + step] = nxt
        done = done | torch.isin(nxt, eos)
        if bool(done.all()) or step == p.max_new_tokens - 1:
            break
        if int(done.sum()) * 4 >= len(done):
            # Drop finished rows once they are a quarter of the batch: decoding them further is pure waste, and
            # copying the cache every time a single row ends would cost more than it saves.
            keep = (~done).nonzero().squeeze(1)
            cache.k, cache.v = cache.k[:, keep], cache.v[:, keep]
            valid, position, tokens, nxt = valid[keep], position[keep], tokens[keep], nxt[keep]
            active, done, prompt_pad = active[keep], done[keep], prompt_pad[keep]
            warpers = _warpers(p, prompt_pad)
        valid[:, max_prompt + step] = True  # the column this step's token is written to
        logits = forward(w, nxt[:, None], position[:, None], cache, valid[:, None, None])
        position = position + 1
    ids, logps = res_ids.tolist(), res_logps.tolist()
    completions, completion_logps = [], []
    for r in range(rows):
        # Slots after a row's EOS stay -1 (never sampled); the EOS itself is kept, as TRL does.
        n = next((i + 1 for i, t in enumerate(ids[r]) if t in p.eos_token_ids), p.max_new_tokens)
        completions.append(ids[r][:n])
        completion_logps.append(logps[r][:n])
    return completions, completion_logps


def generate_unique(w: DecoderWeights, prompt_ids: list[list[int]], p: SamplingParams, cache_dtype: torch.dtype,
                    seed: int | None = None, num_threads: int | None = None) -> dict[str, list]:
    """Sample one completion per prompt row; identical rows share one prefill. `seed`: torch.manual_seed first."""
    if seed is not None:
        torch.manual_seed(seed)
    unique: dict[tuple[int, ...], int] = {}
    group = [unique.setdefault(tuple(ids), len(unique)) for ids in prompt_ids]
    threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        completions, logps = generate(w, [list(u) for u in unique], group, p, cache_dtype)
    finally:
        torch.set_num_threads(threads)
    return {"prompt_ids": [list(ids) for ids in prompt_ids], "completion_ids": completions, "logprobs": logps}


def eos_token_ids(model, tokenizer) -> tuple[int, ...]:
    """The ids HF generate stops at: the model's generation config, else the tokenizer's EOS."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    eos = tokenizer.eos_token_id if eos is None else eos
    return tuple(eos if isinstance(eos, (list, tuple)) else [eos])


class LocalEngine:
    """The engine bound to a snapshot of a local model's weights (taken at construction)."""

    def __init__(self, model, dtype: str = "bfloat16") -> None:
        self.dtype = getattr(torch, dtype)
        self.weights = extract_weights(model, self.dtype)

    def generate_ids(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int | None = None) -> dict:
        return generate_unique(self.weights, prompt_ids, params, self.dtype, seed)


def local_engine(model, dtype: str = "bfloat16") -> LocalEngine | None:
    """A LocalEngine synced to `model`'s current weights, or None where HF generate must serve (a model on a GPU,
    or one the engine does not support). Used for greedy benchmark replies and the SL stage's local generations."""
    if model.device.type != "cpu":
        return None
    try:
        return LocalEngine(model, dtype)
    except ConfigError:  # not a bias-free Llama-family model
        return None
