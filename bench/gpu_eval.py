"""The multiple-choice eval engine on one GPU: questions/s and MFU for random-init Qwen2.5-0.5B and -1.5B shapes.

Scores synthetic multiple-choice questions shaped like TruthfulQA MC1 in lm-eval (a shared few-shot preamble, a
question, several short choices) three ways, one after the other in one process, on the same model:
- traitrl fp32: `models.loglik.score_requests`, the engine every benchmark uses (prefix cached once, each question one
  packed row);
- traitrl bf16: the same under bf16 autocast, what a config's `eval.bf16_benchmarks` get;
- per pair: the computation lm-eval's HFLM runs, each (context + choice) its own padded sequence with the
  log-softmax over the whole vocabulary at every position, in fp32. lm-eval itself is not needed (the GPU machine
  may not have it); tests/evals/test_lmeval_parity.py checks on a CPU that traitrl's scores equal lm-eval's.
Every way must give the same log-likelihoods (fp32: to float rounding; bf16: its rounding), and the bench prints the
largest difference and how many answers bf16 flips, so a fast wrong engine cannot pass unseen.

MFU = 2·N·T / (seconds × peak), with T the tokens each way actually feeds through the model (the per-pair way feeds
the context once per choice), N as in bench/gpu_grpo.py. Questions/s is the comparable speed.

    python bench/gpu_eval.py --out runs/gpu_eval.json
    python bench/gpu_eval.py --device cpu --layers 1 --questions 8      # a smoke run without a GPU

Exits 0 with a message when the device is CUDA and there is no CUDA GPU.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gpu_grpo import (  # noqa: E402
    H100_BF16_DENSE_TFLOPS, QWEN25_SHAPES, count_matmul_params, default_tokenizer_dir, publish, report_skip)

WAYS = ("traitrl_fp32", "traitrl_bf16", "per_pair_fp32")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(QWEN25_SHAPES), help=f"Comma list of {list(QWEN25_SHAPES)}.")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--layers", type=int, default=None, help="Fewer layers than the real shape (smoke runs).")
    parser.add_argument("--questions", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32, help="Questions per batch (the per-pair way: pairs).")
    parser.add_argument("--preamble-tokens", type=int, default=120, help="Few-shot preamble shared by all questions.")
    parser.add_argument("--question-tokens", type=int, default=20)
    parser.add_argument("--choices", type=int, default=5, help="Choices per question (TruthfulQA MC1: 4-13).")
    parser.add_argument("--choice-tokens", type=int, default=10)
    parser.add_argument("--peak-tflops", type=float, default=H100_BF16_DENSE_TFLOPS,
                        help="Peak dense bf16 TFLOP/s of one GPU (H100 SXM: 989).")
    parser.add_argument("--tokenizer", type=Path, default=None, help="Tokenizer folder (its pad id only); default: "
                        "the embedded SmolLM2 model's.")
    parser.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    for name in args.models.split(","):
        if name not in QWEN25_SHAPES:
            parser.error(f"unknown model {name!r}; choose from {', '.join(QWEN25_SHAPES)}")
    return args


def random_model(shape: str, layers: int | None, device: str):
    """A random-init fp32 model of `shape` on `device` (fp32 weights: the eval engine's default)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    dims = {**QWEN25_SHAPES[shape], **({"num_hidden_layers": layers} if layers else {})}
    config = AutoConfig.for_model("qwen2", **dims, rope_theta=1_000_000.0, rms_norm_eps=1e-6,
                                  max_position_embeddings=32768, attn_implementation="sdpa")
    torch.manual_seed(0)
    with torch.device(device):
        return AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()


def make_requests(args: argparse.Namespace, vocab: int):
    """Questions as token ids: one shared preamble, then each its own question and choices (ids below `vocab`)."""
    from traitrl.models.loglik import Request

    rng = random.Random(0)

    def tokens(n: int) -> list[int]:
        return [rng.randrange(1, vocab) for _ in range(n)]

    preamble = tokens(args.preamble_tokens)
    return [Request(preamble + tokens(args.question_tokens), [tokens(args.choice_tokens) for _ in range(args.choices)])
            for _ in range(args.questions)]


def score_per_pair(model, requests, batch_size: int, pad_id: int) -> list[list[float]]:
    """lm-eval's computation: every (context + choice) a sequence of its own, right-padded into batches, the full
    vocabulary's log-softmax at every position, the choice's tokens gathered."""
    pairs = [(qi, ci, r.context + c, len(c)) for qi, r in enumerate(requests) for ci, c in enumerate(r.continuations)]
    out = [[0.0] * len(r.continuations) for r in requests]
    device = next(model.parameters()).device
    with torch.inference_mode():
        for lo in range(0, len(pairs), batch_size):
            batch = pairs[lo:lo + batch_size]
            width = max(len(seq) for _, _, seq, _ in batch)
            ids = torch.tensor([seq + [pad_id] * (width - len(seq)) for _, _, seq, _ in batch], device=device)
            mask = torch.tensor([[1] * len(seq) + [0] * (width - len(seq)) for _, _, seq, _ in batch], device=device)
            logprobs = model(input_ids=ids, attention_mask=mask).logits.float().log_softmax(-1)
            for row, (qi, ci, seq, n_choice) in enumerate(batch):
                start = len(seq) - n_choice
                picked = logprobs[row, start - 1:len(seq) - 1].gather(1, ids[row, start:len(seq), None])
                out[qi][ci] = picked.sum().item()
    return out


def fed_tokens(way: str, requests) -> int:
    """Tokens each way runs through the decoder (the shared preamble once for traitrl, per pair for lm-eval's)."""
    if way == "per_pair_fp32":
        return sum(len(r.context) + len(c) for r in requests for c in r.continuations)
    from traitrl.models.loglik import shared_prefix_len

    shared = shared_prefix_len(requests)
    return shared + sum(len(r.context) - shared + sum(len(c) - 1 for c in r.continuations) for r in requests)


def run_way(way: str, model, requests, args: argparse.Namespace, pad_id: int) -> tuple[list[list[float]], dict]:
    from traitrl.models.loglik import score_requests

    def synchronize() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    def score(batch):
        if way == "per_pair_fp32":
            return score_per_pair(model, batch, args.batch_size, pad_id)
        return score_requests(model, batch, args.batch_size, pad_id, way.rsplit("_", 1)[1])

    score(requests[:args.batch_size])  # warm-up: kernels, autocast caches
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    synchronize()
    start = time.perf_counter()
    lls = score(requests)
    synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if args.device.startswith("cuda") else None
    return lls, {"seconds": seconds, "questions_per_s": len(requests) / seconds,
                 "fed_tokens": fed_tokens(way, requests), "peak_memory_gib": peak}


def compare(lls: list[list[float]], reference: list[list[float]]) -> dict:
    diffs = [abs(a - b) for row, ref in zip(lls, reference, strict=True) for a, b in zip(row, ref, strict=True)]
    flips = sum(max(range(len(r)), key=r.__getitem__) != max(range(len(f)), key=f.__getitem__)
                for r, f in zip(lls, reference, strict=True))
    return {"max_abs_diff_vs_per_pair": max(diffs), "answers_flipped_vs_per_pair": flips}


def run_model(shape: str, args: argparse.Namespace, pad_id: int) -> list[dict]:
    model = random_model(shape, args.layers, args.device)
    n_params = count_matmul_params(model)
    requests = make_requests(args, model.config.vocab_size)
    scored = {way: run_way(way, model, requests, args, pad_id) for way in WAYS}
    reference, reference_stats = scored["per_pair_fp32"]
    results = []
    for way, (lls, stats) in scored.items():
        mfu = 2 * n_params * stats["fed_tokens"] / (stats["seconds"] * args.peak_tflops * 1e12)
        results.append({"model": shape, "way": way, "n_params_matmul": n_params, **stats, "mfu": mfu,
                        "speed_vs_per_pair": stats["questions_per_s"] / reference_stats["questions_per_s"],
                        **compare(lls, reference)})
    del model
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()
    return results


def format_table(results: list[dict], peak_tflops: float) -> str:
    header = (f"{'model':<13} {'way':<14} {'N (M)':>6} {'seconds':>8} {'questions/s':>11} {'x per pair':>10} "
              f"{'MFU':>6} {'max |diff|':>10} {'flips':>5} {'mem GiB':>7}")
    lines = [f"MFU against {peak_tflops:.0f} TFLOP/s dense bf16", header, "-" * len(header)]
    for r in results:
        memory = f"{r['peak_memory_gib']:>7.1f}" if r["peak_memory_gib"] is not None else f"{'-':>7}"
        lines.append(f"{r['model']:<13} {r['way']:<14} {r['n_params_matmul'] / 1e6:>6.0f} {r['seconds']:>8.2f} "
                     f"{r['questions_per_s']:>11.1f} {r['speed_vs_per_pair']:>10.1f} {r['mfu']:>6.1%} "
                     f"{r['max_abs_diff_vs_per_pair']:>10.2e} {r['answers_flipped_vs_per_pair']:>5} {memory}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        return report_skip(args.out, "skipped: no CUDA GPU visible; run with --device cpu for a smoke run")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or default_tokenizer_dir())
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    results = [r for shape in args.models.split(",") for r in run_model(shape, args, pad_id)]
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device
    publish(args, device, results, format_table(results, args.peak_tflops))
    return 0


if __name__ == "__main__":
    sys.exit(main())
