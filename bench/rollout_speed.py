"""Rollout and GRPO step speed on CPU: traitrl's training path against TRL's default path, side by side (issue 21).

All paths get the same model (embedded SmolLM2-135M-Instruct), LoRA, prompts (the quick study's trait arm: its task
and trait rows), P, G, completion cap and temperature, in one process, interleaved round by round so that load from
other processes hits them alike. The paths:

- `trl_default`: GRPOTrainer with TRL's GRPOConfig defaults for everything else. In TRL 1.16 that is bf16 autocast
  (`bf16` defaults to True, on CPU too), gradient checkpointing, TRL's `model.generate`, and one forward over all P×G.
- `trl_fp32`: the same with `bf16=False`, the fp32 path that earlier measurements called TRL's default.
- `traitrl`: `traitrl.train.grpo.build_trainer` with the config's train section, exactly as a study trains: the fast
  rollout engine, the CPU training-forward changes, the configured precision and sequences per forward.

Prints completion tokens/s of each rollout path, the GRPO step time of each (real TRL steps, after one untimed
warm-up step) and the ratios, and how far the bf16 sampling log-probs are from traitrl's training forward.

Run:  python bench/rollout_speed.py                                    # configs/quick.yaml's train settings
      python bench/rollout_speed.py --set train.mixed_precision=bf16
      python bench/rollout_speed.py --steps 0 --profile                # where the fast rollout's time goes
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

PATHS = ("trl_default", "trl_fp32", "traitrl")


def length_reward(completions, **_) -> list[float]:
    """A cheap reward that varies within a group, so GRPO has a non-zero advantage and really updates."""
    return [-abs(len(c[0]["content"]) - 120) / 120 for c in completions]


def study_rows(config, arm_name: str, out: Path) -> list[dict]:
    """The training rows of one arm of the study config, built as the study builds them."""
    from traitrl.study import build_arm_mix, build_bank_file

    arm = next((a for a in config.arms if a.name == arm_name), None)
    if arm is None:
        raise SystemExit(f"--arm {arm_name!r} is not an arm of the config: {[a.name for a in config.arms]}")
    return build_arm_mix(config, arm, build_bank_file(config, out), out / arm_name)


def build_trainer(path: str, config, rows: list[dict], out_dir: str):
    """One GRPO trainer of the given path (see the module docstring); each runs one optimizer step per train()."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PrinterCallback, ProgressCallback
    from trl import GRPOConfig, GRPOTrainer

    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.train.grpo import build_trainer as traitrl_trainer

    # A learning rate too small to move the policy: completion lengths, and so step times, stay comparable across the
    # timed steps (at the quick config's 1e-3 the length reward visibly shortens replies within a few steps).
    # No placed references: TRL's paths sample all G completions of a group, so traitrl's must too (under the configs'
    # reference_in_group, one of each trait group's G would be a copied reference reply, not a generated one).
    rollout = config.train.rollout.model_copy(update={"reference_in_group": False})
    train = config.train.model_copy(update={"lr": 1e-7, "rollout": rollout})
    if path == "traitrl":
        cfg = train.model_copy(update={"steps": 1, "save_steps": 10**6})  # no checkpoint inside the timed step
        trainer = traitrl_trainer(config.model, rows, [length_reward], cfg, Path(out_dir), seed=0)
    else:
        args = GRPOConfig(
            output_dir=out_dir, max_steps=1, per_device_train_batch_size=train.prompts_per_step * train.num_generations,
            num_generations=train.num_generations, max_completion_length=train.max_completion_tokens,
            temperature=train.temperature, learning_rate=train.lr, beta=train.beta, report_to=[], use_cpu=True,
            save_strategy="no", logging_steps=1, seed=0, shuffle_dataset=False, disable_tqdm=True,
            **({"bf16": False} if path == "trl_fp32" else {}))
        lora = train.lora
        trainer = GRPOTrainer(
            model=load_model(config.model), reward_funcs=length_reward, args=args,
            train_dataset=Dataset.from_list(rows), processing_class=load_tokenizer(config.model),
            peft_config=LoraConfig(r=lora.r, lora_alpha=lora.alpha, target_modules=lora.target_modules,
                                   task_type="CAUSAL_LM") if lora else None)
    for callback in (PrinterCallback, ProgressCallback):  # their per-step lines would bury the bench's own
        trainer.remove_callback(callback)
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

    from traitrl._util.config import load_config, parse_overrides
    from traitrl.config import StudyConfig

    torch.set_num_threads(args.threads)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    config = load_config(StudyConfig, args.config, parse_overrides(args.set))
    tmp = Path(tempfile.mkdtemp(prefix="rollout_speed_"))
    rows = study_rows(config, args.arm, tmp)
    trainers = {path: build_trainer(path, config, rows, str(tmp / path)) for path in PATHS}
    generations = config.train.num_generations
    batch = [row["prompt"] for row in rows[:config.train.prompts_per_step] for _ in range(generations)]
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
            print(f"rollout round {round_} {name:>11}: {tokens:5d} tokens in {seconds:6.1f} s = "
                  f"{tokens / seconds:7.1f} tok/s ({tokens / cpu_seconds:7.1f} per CPU-s)", flush=True)
    timers = {name: StepTimer() for name in trainers}
    lengths: dict[str, list[float]] = {name: [] for name in trainers}
    for name, trainer in trainers.items():
        trainer.add_callback(timers[name].callback)
    for step in range(args.steps + 1 if args.steps else 0):  # step 0 warms up (optimizer state, first backward)
        for name, trainer in trainers.items():
            trainer.train()
            logged = trainer.state.log_history[0]
            length = logged.get("completions/mean_length", float("nan"))
            if step:
                lengths[name].append(length)
            # The longest reply sets the step's decoding passes and the padded length of its training forward.
            print(f"GRPO step {step} {name:>11}: {timers[name].times[-1]:6.1f} s, {length:5.1f} tokens per completion, "
                  f"longest {logged.get('completions/max_length', float('nan')):3.0f}"
                  f"{'  (warm-up)' if not step else ''}", flush=True)
    gap = sampling_logprob_gap(trainers["traitrl"], batch)
    if args.profile:
        print_profile(trainers["traitrl"], batch)
    result = {name: {"tok_per_s": statistics.median(speed[name]), "tok_per_cpu_s": statistics.median(cpu_speed[name]),
                     "step_s": statistics.median(timers[name].times[1:]) if args.steps else float("nan"),
                     "mean_length": statistics.mean(lengths[name]) if args.steps else float("nan")}
              for name in trainers}
    for baseline in ("trl_default", "trl_fp32"):
        result[f"rollout_ratio_{baseline}"] = result["traitrl"]["tok_per_s"] / result[baseline]["tok_per_s"]
        result[f"step_ratio_{baseline}"] = result[baseline]["step_s"] / result["traitrl"]["step_s"]
    result["logprob_gap"] = gap
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quick.yaml", help="study config whose model, arm rows and "
                        "train section set the workload")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. train.mixed_precision=bf16 (repeatable)")
    parser.add_argument("--arm", default="trait", help="the arm whose training rows are the prompts")
    parser.add_argument("--rounds", type=int, default=2, help="timed rollout rounds per path (after one warm-up)")
    parser.add_argument("--steps", type=int, default=3, help="timed GRPO steps per path (0: rollouts only)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="print the top ops of one fast rollout")
    args = parser.parse_args(argv)
    r = run(args)
    print(f"\nconfig: {args.config} {' '.join(args.set)}, arm {args.arm}, {args.threads} threads; medians")
    print(f"{'path':<13}{'rollout tok/s':>15}{'tok/CPU-s':>11}{'GRPO step s':>13}{'tokens/completion':>19}")
    for name in PATHS:
        print(f"{name:<13}{r[name]['tok_per_s']:15.1f}{r[name]['tok_per_cpu_s']:11.1f}{r[name]['step_s']:13.1f}"
              f"{r[name]['mean_length']:19.1f}")
    for baseline in ("trl_default", "trl_fp32"):
        print(f"traitrl vs {baseline}: rollout {r[f'rollout_ratio_{baseline}']:.1f}x, "
              f"GRPO step {r[f'step_ratio_{baseline}']:.1f}x")
    print(f"bf16 sampling log-prob vs traitrl's training forward, max abs diff: {r['logprob_gap']:.3f}")


if __name__ == "__main__":
    main()
