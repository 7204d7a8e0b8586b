"""Log-likelihood of continuations under a local causal LM, computing each shared prefix once.

Tokenisation follows lm-evaluation-harness 0.4 (`_encode_pair`): trailing context spaces move into the continuation,
and an empty context is replaced by the BOS token. Departure, for speed only: lm-eval runs every (context, choice)
pair from scratch. Here the prefix common to all requests (a few-shot preamble) runs once into a key/value cache,
and each question is one packed row: its context once, then all its choices, with an attention mask that lets a
choice see the context but not the other choices, and position ids that restart after the context. That is the same
computation as separate sequences, without recomputing the context per choice or copying caches. In fp32 the
log-likelihoods match lm-eval's to float rounding (tests/evals/test_mc_engine.py, test_lmeval_parity.py).

`precision="bf16"` runs the decoder under bf16 autocast (CPUs with bf16 matrix units do it at about 3x the fp32 rate)
and keeps the LM head and log-softmax in fp32. Log-likelihoods then differ from fp32 by bf16 rounding, so an
answer can flip on a near tie; which benchmarks keep their accuracy is measured (bench/mc_parity.py), not assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from traitrl._util.errors import ConfigError

PRECISIONS = ("fp32", "bf16")


@dataclass
class Request:
    """One tokenised MC question: the model reads `context` then each continuation in turn."""

    context: list[int]
    continuations: list[list[int]]


def render_context(tokenizer, context: str | list[dict[str, str]]) -> str:
    """Chat messages become text through the model's chat template, ready for the assistant's answer."""
    if isinstance(context, str):
        return context
    return tokenizer.apply_chat_template(context, tokenize=False, add_generation_prompt=True)


def encode_request(tokenizer, context: str, choices: Sequence[str]) -> Request:
    """Tokenise like lm-eval's HFLM (no special tokens added; BOS, else EOS, stands in for an empty context)."""
    if context == "":
        bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        conts = [tokenizer.encode(c, add_special_tokens=False) for c in choices]
        # lm-eval splits per request; the context differs only if a choice itself starts with BOS.
        if any(c[:1] == [bos] for c in conts):
            raise ValueError("a choice starts with the BOS token; give the item a non-empty context")
        return Request([bos], conts)
    stripped = context.rstrip()
    spaces = context[len(stripped):]
    ctx = tokenizer.encode(stripped, add_special_tokens=False)
    conts = [tokenizer.encode(stripped + spaces + c, add_special_tokens=False)[len(ctx):] for c in choices]
    return Request(ctx, conts)


def _common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for i in range(n):
        if any(s[i] != first[i] for s in seqs):
            return i
    return n


def shared_prefix_len(requests: Sequence[Request]) -> int:
    """Tokens that run once, into a cache every row shares: the prefix common to all (context + choice) sequences,
    short of each context's last token, whose output predicts the first choice token and so belongs to the rows."""
    seqs = [r.context + c for r in requests for c in r.continuations]
    return max(0, min(_common_prefix_len(seqs), min(len(r.context) for r in requests) - 1))


def _kv_cache(layers, batch_size: int):
    """A fresh DynamicCache holding the global prefix `layers` ([(k, v)] with batch 1), expanded to `batch_size`."""
    from transformers import DynamicCache

    return DynamicCache([(k.expand(batch_size, -1, -1, -1), v.expand(batch_size, -1, -1, -1)) for k, v in layers])


def _target_logprobs(model, hidden, rows, positions, targets):
    """log p(targets) read from `hidden[rows, positions]`: the LM head runs only where a target is predicted, in
    the head's own dtype on fp32 input (a bf16 decoder's output is cast up, so the vocabulary softmax stays fp32)."""
    import torch

    device = hidden.device
    if not targets:
        return torch.zeros(0, device=device)
    head = model.get_output_embeddings()
    picked = hidden[torch.tensor(rows, device=device), torch.tensor(positions, device=device)].to(head.weight.dtype)
    logits = head(picked).float()
    return logits.log_softmax(-1).gather(1, torch.tensor(targets, device=device)[:, None])[:, 0]


@dataclass
class _Packed:
    """One question as one row: context, then every choice but its last token, each choice seeing only the context.

    `segments` is 0 for context tokens and j + 1 for choice j's tokens; `targets` lists (row position whose output
    predicts the token, token id, choice index).
    """

    ids: list[int]
    positions: list[int]
    segments: list[int]
    targets: list[tuple[int, int, int]]


def _pack(request: Request, n_global: int) -> _Packed:
    ctx = request.context
    ids, positions, segments = ctx[n_global:], list(range(n_global, len(ctx))), [0] * (len(ctx) - n_global)
    targets = []
    last_ctx = len(ctx) - 1 - n_global
    for j, cont in enumerate(request.continuations):
        start = len(ids)
        targets += [(last_ctx if t == 0 else start + t - 1, tok, j) for t, tok in enumerate(cont)]
        # A choice's last token predicts nothing we need, so it is not fed (single-token choices add no input).
        ids = ids + cont[:-1]
        positions += range(len(ctx), len(ctx) + len(cont) - 1)
        segments += [j + 1] * (len(cont) - 1)
    return _Packed(ids, positions, segments, targets)


def _attention_mask(segments, n_global: int, dtype):
    """Additive 4D mask: causal, and a choice token sees the global prefix, the context and its own choice only."""
    import torch

    device = segments.device
    order = torch.arange(segments.shape[1], device=device)
    causal = order[None, :, None] >= order[None, None, :]
    visible = (segments[:, :, None] == segments[:, None, :]) | (segments[:, None, :] == 0)
    allowed = torch.cat([torch.ones((*segments.shape, n_global), dtype=torch.bool, device=device), causal & visible],
                        dim=2)
    # A large negative, not -inf: padding rows stay finite.
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)[:, None]


class _Scorer:
    """Holds the model and the KV cache of the prefix shared by every request (a few-shot preamble)."""

    def __init__(self, model, requests: list[Request], pad_id: int, precision: str = "fp32"):
        import contextlib

        import torch

        attention = getattr(model.config, "_attn_implementation", "eager")
        if attention not in ("sdpa", "eager"):
            raise ConfigError(f"MC scoring packs choices with a custom attention mask, which {attention!r} attention "
                              "does not take; load the model with attn_implementation='sdpa'")
        if precision not in PRECISIONS:
            raise ConfigError(f"MC precision must be one of {PRECISIONS}, got {precision!r}")
        self.model, self.pad_id = model, pad_id
        self.decoder = model.get_decoder()
        self.dtype = next(model.parameters()).dtype
        self.autocast = (torch.autocast(model.device.type, dtype=torch.bfloat16) if precision == "bf16"
                         else contextlib.nullcontext())
        self.n_global = shared_prefix_len(requests)
        self.layers = []
        if self.n_global > 0:
            with self.autocast:
                out = self.decoder(input_ids=torch.tensor([requests[0].context[:self.n_global]], device=model.device),
                                   use_cache=True)
            self.layers = [(layer.keys, layer.values) for layer in out.past_key_values.layers]

    def score_batch(self, batch: list[Request]) -> list[list[float]]:
        import torch

        packed = [_pack(r, self.n_global) for r in batch]
        width = max(len(p.ids) for p in packed)

        def padded(rows: list[list[int]], fill: int):
            return torch.tensor([r + [fill] * (width - len(r)) for r in rows], dtype=torch.long,
                                device=self.model.device)

        ids = padded([p.ids for p in packed], self.pad_id)
        positions = padded([p.positions for p in packed], 0)
        segments = padded([p.segments for p in packed], -1)  # padding: a segment of its own
        past = _kv_cache(self.layers, len(batch)) if self.layers else None
        with self.autocast:
            hidden = self.decoder(input_ids=ids, attention_mask=_attention_mask(segments, self.n_global, self.dtype),
                                  position_ids=positions, past_key_values=past, use_cache=past is not None
                                  ).last_hidden_state
        rows, cols, tokens, owners = [], [], [], []
        for i, p in enumerate(packed):
            for col, tok, j in p.targets:
                rows.append(i), cols.append(col), tokens.append(tok), owners.append((i, j))
        totals = [[0.0] * len(r.continuations) for r in batch]
        for (i, j), lp in zip(owners, _target_logprobs(self.model, hidden, rows, cols, tokens).tolist(), strict=True):
            totals[i][j] += lp
        return totals


def score_requests(model, requests: list[Request], batch_size: int = 16, pad_id: int = 0,
                   precision: str = "fp32") -> list[list[float]]:
    """Summed log-prob of each continuation given its context, in input order (`precision`: see the module doc)."""
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not requests:
        return []
    model.eval()
    with torch.inference_mode():
        scorer = _Scorer(model, requests, pad_id, precision)
        # Longest first: similar lengths share a batch (less padding), and memory peaks at once, not at the end.
        size = [len(r.context) + sum(len(c) for c in r.continuations) for r in requests]
        order = sorted(range(len(requests)), key=lambda i: -size[i])
        out: list[list[float] | None] = [None] * len(requests)
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            for i, lls in zip(idx, scorer.score_batch([requests[i] for i in idx]), strict=True):
                out[i] = lls
    return out  # type: ignore[return-value]
