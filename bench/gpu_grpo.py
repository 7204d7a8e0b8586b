"""GRPO on one GPU: step time, rollout tokens/s and MFU for random-init Qwen2.5-0.5B and -1.5B shapes.

Runs TRL's GRPOTrainer as a study arm would on a GPU (bf16 autocast over bf16 weights, or over fp32 master weights with
--master-weights fp32; full fine-tuning, beta 0, no gradient checkpointing, cuDNN attention off: see
--cudnn-attention) on synthetic prompts with a trivial length reward. Generation is HF `generate`, and vLLM
colocate when vLLM is installed. Models are built from config dicts of the real architectures, real vocabulary
included, so no weights are needed. Any tokenizer works: ids it lacks decode to
nothing, and the speed does not depend on the text. A random model almost never samples EOS, so every completion runs
to --completion-tokens.

MFU = model FLOPs / (seconds × peak). Training counts 6·N·T for the forward and backward over the T prompt+completion
tokens; generation counts 2·N·T (prefill plus decode). N counts the weights that take part in a matmul per token:
all parameters except the input embedding, with the lm_head counted even when it is tied. Attention-score FLOPs and
recomputation are left out, so the MFU is a little low. Peak: H100 SXM dense bf16, 989 TFLOP/s (--peak-tflops).
Under `accelerate launch` every process runs the bench and rank 0 reports its own GPU's figures.

    python bench/gpu_grpo.py --out runs/gpu_bench.json
    accelerate launch --config_file configs/accelerate/zero2.yaml --num_processes 1 bench/gpu_grpo.py \\
        --models qwen2.5-0.5b --steps 2 --warmup-steps 0 --out runs/zero2.json

Exits 0 with a message when there is no CUDA GPU.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import importlib.util
import json
import sys
import time
from pathlib import Path
from statistics import median

import torch

H100_BF16_DENSE_TFLOPS = 989.0

# From the Qwen2.5 config.json files on the Hub, minus fields that only matter for loading or long context.
QWEN25_SHAPES = {
    "qwen2.5-0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
                     "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True},
    "qwen2.5-1.5b": {"hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
                     "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True},
}
MODES = ("hf", "vllm")
WEIGHT_DTYPES = {"bf16": "bfloat16", "fp32": "float32"}
WORDS = ("river", "stone", "quiet", "market", "lantern", "orchard", "signal", "harbor", "copper", "meadow")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(QWEN25_SHAPES), help=f"Comma list of {list(QWEN25_SHAPES)}.")
    parser.add_argument("--modes", default=",".join(MODES), help="Comma list: hf (HF generate), vllm (colocate).")
    parser.add_argument("--steps", type=int, default=6, help="Measured optimizer steps per case.")
    parser.add_argument("--warmup-steps", type=int, default=1, help="Steps run first and left out of the figures.")
    parser.add_argument("--prompts-per-step", type=int, default=4)
    parser.add_argument("--num-generations", type=int, default=8, help="Completions per prompt (GRPO group size).")
    parser.add_argument("--prompt-tokens", type=int, default=64, help="Approximate prompt length.")
    parser.add_argument("--completion-tokens", type=int, default=256)
    parser.add_argument("--peak-tflops", type=float, default=H100_BF16_DENSE_TFLOPS,
                        help="Peak dense bf16 TFLOP/s of one GPU (H100 SXM: 989).")
    parser.add_argument("--master-weights", default="bf16", help="Comma list: bf16 (bf16 weights and autocast), fp32 "
                        "(fp32 master weights under bf16 autocast: traitrl's `mixed_precision: bf16` with "
                        "`dtype: float32`).")
    parser.add_argument("--vllm-gpu-memory", type=float, default=0.3, help="GPU share vLLM colocate may take.")
    parser.add_argument("--cudnn-attention", action="store_true",
                        help="Keep PyTorch's cuDNN SDPA backend. Off by default: it builds a plan for every new shape "
                             "(~0.1 s each), and HF generate meets one at every decode step of a new prompt length.")
    parser.add_argument("--tokenizer", type=Path, default=None,
                        help="Tokenizer folder; default: the embedded SmolLM2 model's.")
    parser.add_argument("--work-dir", type=Path, default=Path("runs/gpu_bench"), help="Random checkpoints go here.")
    parser.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    for name in args.models.split(","):
        if name not in QWEN25_SHAPES:
            parser.error(f"unknown model {name!r}; choose from {', '.join(QWEN25_SHAPES)}")
    for mode in args.modes.split(","):
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    for weights in args.master_weights.split(","):
        if weights not in WEIGHT_DTYPES:
            parser.error(f"unknown master weights {weights!r}; choose from {', '.join(WEIGHT_DTYPES)}")
    return args


def default_tokenizer_dir() -> Path:
    from traitrl.models.store import DEFAULT_MODEL, prepare_builtin

    return prepare_builtin(DEFAULT_MODEL)


def write_random_model(shape: str, tokenizer, folder: Path) -> None:
    """Save a random-init bf16 model of `shape` with `tokenizer`, so TRL (and vLLM) load it like a hub checkpoint."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(
        "qwen2", **QWEN25_SHAPES[shape], rope_theta=1_000_000.0, rms_norm_eps=1e-6, max_position_embeddings=32768,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    with torch.device("cuda"):  # initialising 1.5B parameters on the CPU takes longer than the whole case
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def make_prompts(n_rows: int, n_words: int) -> list[str]:
    return [f"Prompt {i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(n_words)) for i in range(n_rows)]


def length_reward(completions: list[str], **_) -> list[float]:
    """Characters generated: the bench times the loop, so any cheap reward with some spread will do."""
    return [float(len(c)) for c in completions]


def count_matmul_params(model) -> int:
    """Weights used in a matmul per token: all but the input-embedding lookup; a tied lm_head still counts."""
    def numel(p) -> int:
        return getattr(p, "ds_numel", p.numel())  # ZeRO-3 leaves each rank an empty shard; ds_numel is the full size

    embed = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    total = sum(numel(p) for p in model.parameters())  # parameters() yields a tied weight once
    return total - numel(embed) + (numel(head) if head is embed else 0)


def record_rollouts(trainer, rollouts: list[dict]) -> None:
    """Time each rollout and count its tokens; TRL's own profiling timers go only to wandb/mlflow/trackio."""
    # _generate_single_turn is private, but it is the one call both HF generate and vLLM go through (trl 1.16).
    generate = trainer._generate_single_turn

    def timed(prompt_ids, *args, **kwargs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        completion_ids, logprobs = generate(prompt_ids, *args, **kwargs)
        torch.cuda.synchronize()
        rollouts.append({"start": start, "seconds": time.perf_counter() - start,
                         "prompt_tokens": sum(map(len, prompt_ids)),
                         "completion_tokens": sum(map(len, completion_ids))})
        return completion_ids, logprobs

    trainer._generate_single_turn = timed


def summarize(rollouts: list[dict], end: float, warmup_steps: int, n_params: int, peak_tflops: float) -> dict:
    """Medians over the measured steps, since host-side noise makes some HF generate rollouts much slower than others.
    One rollout per optimizer step, so a step runs from one rollout's start to the next (the last ends when train()
    returns)."""
    starts = [r["start"] for r in rollouts] + [end]
    measured = [{**r, "step_s": next_start - r["start"]} for r, next_start in zip(rollouts, starts[1:])][warmup_steps:]
    step_s = median(m["step_s"] for m in measured)
    rollout_s = median(m["seconds"] for m in measured)
    train_s = median(m["step_s"] - m["seconds"] for m in measured)  # rewards, loss fwd/bwd, optimizer step, logging
    completion_tokens = median(m["completion_tokens"] for m in measured)
    tokens = median(m["prompt_tokens"] + m["completion_tokens"] for m in measured)
    peak = peak_tflops * 1e12
    return {
        "steps": len(measured), "n_params_matmul": n_params, "tokens_per_step": tokens,
        "completion_tokens_per_step": completion_tokens,
        "step_s": step_s, "rollout_s": rollout_s, "train_s": train_s,
        "step_s_each": [m["step_s"] for m in measured], "rollout_s_each": [m["seconds"] for m in measured],
        "rollout_tokens_per_s": completion_tokens / rollout_s, "train_tokens_per_s": tokens / train_s,
        "mfu_step": 8 * n_params * tokens / (step_s * peak),
        "mfu_rollout": 2 * n_params * tokens / (rollout_s * peak),
        "mfu_train": 6 * n_params * tokens / (train_s * peak),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
    }


def run_case(shape: str, mode: str, weights: str, args: argparse.Namespace, tokenizer) -> dict:
    from accelerate import PartialState
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    state = PartialState()
    folder = args.work_dir / shape
    with state.main_process_first():
        if state.is_main_process:
            write_random_model(shape, tokenizer, folder)
    n_steps = args.warmup_steps + args.steps
    batch = args.prompts_per_step * args.num_generations
    config = GRPOConfig(
        output_dir=str(args.work_dir / f"{shape}-{mode}-{weights}"), max_steps=n_steps, seed=0,
        per_device_train_batch_size=batch, num_generations=args.num_generations,
        max_completion_length=args.completion_tokens, bf16=True,
        model_init_kwargs={"dtype": WEIGHT_DTYPES[weights]},
        gradient_checkpointing=False, beta=0.0,
        use_vllm=mode == "vllm", vllm_mode="colocate", vllm_gpu_memory_utilization=args.vllm_gpu_memory,
        vllm_max_model_length=args.prompt_tokens * 2 + args.completion_tokens,  # prompt lengths are approximate
        logging_steps=1, report_to="none", save_strategy="no", disable_tqdm=True)
    prompts = make_prompts(n_steps * args.prompts_per_step * state.num_processes, args.prompt_tokens - 4)
    trainer = GRPOTrainer(model=str(folder), reward_funcs=length_reward, args=config,
                          train_dataset=Dataset.from_dict({"prompt": prompts}), processing_class=tokenizer)
    rollouts: list[dict] = []
    record_rollouts(trainer, rollouts)
    torch.cuda.reset_peak_memory_stats()
    trainer.train()
    torch.cuda.synchronize()
    result = summarize(rollouts, time.perf_counter(), args.warmup_steps, count_matmul_params(trainer.model),
                       args.peak_tflops)
    del trainer
    gc.collect()
    torch.cuda.empty_cache()
    return {"model": shape, "mode": mode, "weights": weights, "world_size": state.num_processes, **result}


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"cuda": torch.version.cuda}
    for name in ("torch", "transformers", "trl", "accelerate", "datasets", "deepspeed", "vllm"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_report(out: Path | None, report: dict) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")


def report_skip(out: Path | None, message: str) -> int:
    """Say why the bench did not run, in the terminal and in the JSON report; the exit status (0)."""
    print(message)
    write_report(out, {"skipped": message})
    return 0


def publish(args: argparse.Namespace, device: str, results: list[dict], table: str,
            paths: tuple[str, ...] = ("out", "tokenizer")) -> None:
    """Print the table and the device line, and write the JSON report: device, versions, settings (without the
    `paths` arguments), command and results."""
    report = {"device": device, "versions": package_versions(), "peak_tflops": args.peak_tflops,
              "settings": {k: v for k, v in vars(args).items() if k not in paths},
              "command": " ".join(sys.argv), "results": results}
    print(table)
    print(f"device: {device}; versions: {report['versions']}")
    write_report(args.out, report)


def format_table(results: list[dict], peak_tflops: float) -> str:
    header = (f"{'model':<13} {'mode':<5} {'wts':<4} {'N (M)':>6} {'step s':>7} {'range s':>11} {'rollout s':>9} "
              f"{'rollout tok/s':>13} {'train tok/s':>11} {'MFU step':>8} {'MFU roll':>8} {'MFU train':>9} {'mem GiB':>7}")
    lines = [f"Medians over the measured steps; MFU against {peak_tflops:.0f} TFLOP/s dense bf16 per GPU",
             header, "-" * len(header)]
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['model']:<13} {r['mode']:<5} {r['weights']:<4} skipped: {r['skipped']}")
            continue
        lines.append(
            f"{r['model']:<13} {r['mode']:<5} {r['weights']:<4} {r['n_params_matmul'] / 1e6:>6.0f} {r['step_s']:>7.2f} "
            f"{min(r['step_s_each']):>5.1f}-{max(r['step_s_each']):<5.1f} "
            f"{r['rollout_s']:>9.2f} {r['rollout_tokens_per_s']:>13.0f} {r['train_tokens_per_s']:>11.0f} "
            f"{r['mfu_step']:>8.1%} {r['mfu_rollout']:>8.1%} {r['mfu_train']:>9.1%} {r['peak_memory_gib']:>7.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not torch.cuda.is_available():
        return report_skip(args.out, "skipped: no CUDA GPU visible; this bench needs one")

    from accelerate import PartialState
    from transformers import AutoTokenizer

    torch.backends.cuda.enable_cudnn_sdp(args.cudnn_attention)
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or default_tokenizer_dir())
    results = []
    for shape in args.models.split(","):
        for mode in args.modes.split(","):
            for weights in args.master_weights.split(","):
                if mode == "vllm" and importlib.util.find_spec("vllm") is None:
                    results.append({"model": shape, "mode": mode, "weights": weights,
                                    "skipped": "vLLM is not installed"})
                    continue
                results.append(run_case(shape, mode, weights, args, tokenizer))

    if not PartialState().is_main_process:
        return 0
    publish(args, torch.cuda.get_device_name(), results, format_table(results, args.peak_tflops),
            paths=("out", "tokenizer", "work_dir"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
