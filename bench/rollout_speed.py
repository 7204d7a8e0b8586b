"""Rollout and GRPO step speed on CPU: traitrl's fast rollout vs TRL's default generation, side by side (issue 8).

Both paths get the same model (embedded SmolLM2-135M-Instruct, LoRA r=16 on fp32 master weights), prompts, G, max
tokens and sampling settings, in one process, interleaved round by round so that load from other processes hits
both alike. Prints completion tokens/s of each rollout path and their ratio, the GRPO step time of each (real
TRL steps), and how far the bf16 sampling log-probs are from the fp32 training forward.

Run:  python bench/rollout_speed.py                      # 4 prompts x G=8 x 64 tokens, 3 rollout rounds, 2 steps
      python bench/rollout_speed.py --prompts 1 --generations 4 --max-tokens 64
      python bench/rollout_speed.py --steps 0 --profile        # where the fast rollout's time goes
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

PROMPTS = [
    "What is the boiling point of water at sea level?",
    "Give me one tip for writing a clear email.",
    "Is it ever right to tell a white lie? Answer briefly.",
    "Explain what a prime number is to a ten-year-old.",
    "My friend says the moon is made of cheese. How should I reply?",
    "Name three ways to save energy at home.",
    "What should I do if I am not sure about a fact I am asked?",
    "Summarize why sleep matters, in two sentences.",
]


def length_reward(completions, **_) -> list[float]:
    """A cheap reward that varies within a group, so GRPO has a non-zero advantage and really updates."""
    return [-abs(len(c[0]["content"]) - 120) / 120 for c in completions]


def build_trainer(engine: str, args, out_dir: str):
    """A GRPOTrainer with LoRA r=16 on the fp32 embedded model; engine 'fast' plugs in traitrl's rollout_func and, with
    `--mixed-precision bf16`, trains as traitrl's `train.mixed_precision: bf16` does (bf16 autocast over fp32 master
    weights, fp32 head). TRL's path stays TRL's default: fp32, its own generation."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer

    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.train.grpo import fp32_lm_head
    from traitrl.train.rollout import RolloutConfig, make_rollout_func

    tokenizer = load_tokenizer(args.model)
    mixed = engine == "fast" and args.mixed_precision == "bf16"
    model = load_model(args.model)
    if mixed:
        fp32_lm_head(model)
    config = GRPOConfig(
        output_dir=out_dir, max_steps=1, per_device_train_batch_size=args.prompts * args.generations,
        num_generations=args.generations, max_completion_length=args.max_tokens, temperature=1.0,
        learning_rate=1e-5, report_to=[], use_cpu=True, save_strategy="no", logging_steps=1, seed=0,
        shuffle_dataset=False, disable_tqdm=True, bf16=mixed)
    rows = [{"prompt": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]} for i in range(64)]
    trainer = GRPOTrainer(
        model=model, reward_funcs=length_reward, args=config, train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer, peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                           task_type="CAUSAL_LM"),
        rollout_func=make_rollout_func(tokenizer, RolloutConfig(engine=engine)))
    trainer.remove_callback(PrinterCallback)  # its per-step log dicts would bury the bench's own lines
    return trainer


class StepTimer:
    """TrainerCallback that records the wall time of each optimizer step (generation + scoring + update)."""

    def __init__(self):
        from transformers import TrainerCallback

        timer = self
        self.times: list[float] = []

        class _Callback(TrainerCallback):
            def on_step_begin(self, *_, **__):
                timer.started = time.perf_counter()

            def on_step_end(self, *_, **__):
                timer.times.append(time.perf_counter() - timer.started)

        self.callback = _Callback()


def sampling_logprob_gap(trainer, prompts: list) -> float:
    """Max |bf16 sampling log-prob - fp32 training-forward log-prob| over one fast rollout of `prompts`."""
    import torch

    out = trainer.rollout_func(prompts, trainer)
    model = trainer.accelerator.unwrap_model(trainer.model)
    gap = 0.0
    with torch.no_grad():
        for prompt_ids, completion_ids, logps in zip(out["prompt_ids"], out["completion_ids"],
                                                     trainer.rollout_func.last_sampling_logprobs, strict=True):
            logits = model(torch.tensor([prompt_ids + completion_ids])).logits[0, len(prompt_ids) - 1:-1].float()
            ref = (logits / trainer.temperature).log_softmax(-1).gather(1, torch.tensor(completion_ids)[:, None])
            gap = max(gap, (ref.squeeze(1) - torch.tensor(logps)).abs().max().item())
    return gap


def print_profile(trainer, batch: list) -> None:
    """Where one fast rollout spends its time: the top ops by self CPU time, and the matmuls' achieved GFLOP/s."""
    from torch.profiler import profile

    with profile(with_flops=True) as prof:
        trainer._generate(batch)
    events = prof.key_averages()
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))
    total = sum(e.self_cpu_time_total for e in events)
    mm = [e for e in events if e.key in ("aten::mm", "aten::addmm")]
    mm_us = sum(e.self_cpu_time_total for e in mm)
    print(f"matmuls: {100 * mm_us / total:.0f} % of self CPU time at "
          f"{sum(e.flops for e in mm) / mm_us / 1e3:.0f} GFLOP/s")


def run(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    tmp = tempfile.mkdtemp(prefix="rollout_speed_")
    trainers = {engine: build_trainer(engine, args, f"{tmp}/{engine}") for engine in ("trl", "fast")}
    batch = [[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}] for i in range(args.prompts)
             for _ in range(args.generations)]
    speed: dict[str, list[float]] = {name: [] for name in trainers}
    # Tokens per CPU-second as well: on a shared machine wall time measures the neighbours too, CPU time does not
    # (with 1 thread it is the idle-core throughput; with 2, OpenMP spin-waits inflate it).
    cpu_speed: dict[str, list[float]] = {name: [] for name in trainers}
    # One warm-up round each (first-call allocations, weight sync), then interleaved timed rounds.
    for round_ in range(args.rounds + 1):
        for name, trainer in trainers.items():
            torch.manual_seed(round_)
            started, cpu_started = time.perf_counter(), time.process_time()
            # _generate is the trainer's whole rollout: tokenize, generate (TRL's or ours), decode.
            completion_ids = trainer._generate(batch)[1]
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            tokens = sum(len(c) for c in completion_ids)
            if round_:
                speed[name].append(tokens / seconds)
                cpu_speed[name].append(tokens / cpu_seconds)
            print(f"rollout round {round_} {name:>4}: {tokens:5d} tokens in {seconds:6.1f} s = "
                  f"{tokens / seconds:7.1f} tok/s ({tokens / cpu_seconds:7.1f} per CPU-s)", flush=True)
    timers = {name: StepTimer() for name in trainers}
    for name, trainer in trainers.items():
        trainer.add_callback(timers[name].callback)
    for _ in range(args.steps):
        for name, trainer in trainers.items():
            trainer.train()
            print(f"GRPO step {name:>4}: {timers[name].times[-1]:6.1f} s", flush=True)
    gap = sampling_logprob_gap(trainers["fast"], batch)
    if args.profile:
        print_profile(trainers["fast"], batch)
    result = {name: {"tok_per_s": statistics.median(speed[name]), "tok_per_cpu_s": statistics.median(cpu_speed[name]),
                     "step_s": statistics.median(timers[name].times) if args.steps else float("nan")}
              for name in trainers}
    result["ratio"] = result["fast"]["tok_per_s"] / result["trl"]["tok_per_s"]
    result["cpu_ratio"] = result["fast"]["tok_per_cpu_s"] / result["trl"]["tok_per_cpu_s"]
    result["step_ratio"] = result["trl"]["step_s"] / result["fast"]["step_s"]
    result["logprob_gap"] = gap
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--prompts", type=int, default=4, help="distinct prompts per generation batch")
    parser.add_argument("--generations", type=int, default=8, help="G, completions per prompt")
    parser.add_argument("--max-tokens", type=int, default=64, help="max_completion_length")
    parser.add_argument("--rounds", type=int, default=3, help="timed rollout rounds per path (after one warm-up)")
    parser.add_argument("--steps", type=int, default=2, help="timed GRPO steps per path (0: rollouts only)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mixed-precision", choices=["no", "bf16"], default="no",
                        help="bf16: the fast path trains as train.mixed_precision: bf16 does")
    parser.add_argument("--profile", action="store_true", help="print the top ops of one fast rollout")
    args = parser.parse_args(argv)
    r = run(args)
    print(f"\nconfig: {args.prompts} prompts x G={args.generations} x {args.max_tokens} tokens, LoRA r=16 fp32 master, "
          f"fast path {args.mixed_precision}, {args.threads} threads; medians")
    print(f"{'path':<6}{'rollout tok/s':>15}{'tok/CPU-s':>11}{'GRPO step s':>13}")
    for name in ("trl", "fast"):
        print(f"{name:<6}{r[name]['tok_per_s']:15.1f}{r[name]['tok_per_cpu_s']:11.1f}{r[name]['step_s']:13.1f}")
    print(f"rollout speed-up fast/trl: {r['ratio']:.1f}x wall, {r['cpu_ratio']:.1f}x CPU time; "
          f"step speed-up: {r['step_ratio']:.1f}x")
    print(f"bf16 sampling log-prob vs fp32 training forward, max abs diff: {r['logprob_gap']:.3f}")


if __name__ == "__main__":
    main()
