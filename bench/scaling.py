"""GRPO step time on CPU against completion length, group size G and prompts per step (issue 8).

Each sweep varies one knob around a base config (2 prompts x G=4 x 64 tokens), builds a real GRPOTrainer (embedded
SmolLM2-135M-Instruct, LoRA r=16, fp32 master weights) and times a few steps, split into rollout time and the rest
(scoring + loss forward/backward + optimizer). Prints a table and saves a plot.

Eval time against item count (`--eval-limits`): one MC benchmark (log-likelihood scoring) and one generative one
(greedy replies + rule scoring) on the same model, from a fresh output folder each time.

Run:  python bench/scaling.py                         # one-knob sweeps, fast engine, ~10 min on 2 idle cores
      python bench/scaling.py --full --engines fast trl   # the full cartesian grid, both engines (hours)
      python bench/scaling.py --knobs none --eval-limits 4 8 16 32   # eval scaling only
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from rollout_speed import (  # bench/ is sys.path[0] when this runs as a script
    StepTimer,
    build_trainer,
)

BASE = {"prompts": 2, "generations": 4, "max_tokens": 64}
EVAL_BENCHMARKS = ["truthfulqa_mc1", "coconot_contrast"]  # one MC, one generative
SWEEPS = {"max_tokens": [32, 128, 256], "generations": [2, 8, 16], "prompts": [1, 4]}
FULL = {"max_tokens": [32, 64, 128, 256], "generations": [2, 4, 8, 16], "prompts": [1, 2, 4]}


def grid(full: bool) -> list[dict]:
    if full:
        return [dict(zip(FULL, values)) for values in itertools.product(*FULL.values())]
    return [dict(BASE)] + [{**BASE, knob: v} for knob, values in SWEEPS.items() for v in values]


def time_config(point: dict, engine: str, steps: int, model: str, threads: int) -> dict:
    """Median step and rollout seconds over `steps` GRPO steps after one warm-up step."""
    import torch

    torch.set_num_threads(threads)
    trainer = build_trainer(engine, SimpleNamespace(model=model, **point), tempfile.mkdtemp(prefix="scaling_"))
    rollout_s: list[float] = []
    generate = trainer._generate

    def timed_generate(prompts):
        started = time.perf_counter()
        out = generate(prompts)
        rollout_s.append(time.perf_counter() - started)
        return out

    trainer._generate = timed_generate  # instance attribute: times the trainer's whole rollout, either engine
    timer = StepTimer()
    trainer.add_callback(timer.callback)
    for _ in range(steps + 1):
        trainer.train()
    return {**point, "engine": engine, "step_s": statistics.median(timer.times[1:]),
            "rollout_s": statistics.median(rollout_s[1:])}


def time_eval(benchmark: str, limit: int, model: str, threads: int) -> dict:
    """Seconds for `run_benchmarks` on `limit` items of one benchmark (model load excluded)."""
    import torch

    from traitrl.evals.run import run_benchmarks
    from traitrl.models.store import load_model, load_tokenizer

    torch.set_num_threads(threads)
    model_obj, tokenizer = load_model(model), load_tokenizer(model)
    started = time.perf_counter()
    run_benchmarks(model, [benchmark], tempfile.mkdtemp(prefix="scaling_eval_"), limit=limit, model_obj=model_obj,
                   tokenizer=tokenizer)
    return {"benchmark": benchmark, "items": limit, "eval_s": time.perf_counter() - started}


def plot_eval(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    for name in sorted({r["benchmark"] for r in rows}):
        line = [r for r in rows if r["benchmark"] == name]
        ax.plot([r["items"] for r in line], [r["eval_s"] for r in line], "o-", label=name)
    ax.set_xlabel("items")
    ax.set_ylabel("seconds")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, knob in zip(axes, ("max_tokens", "generations", "prompts"), strict=True):
        others = [k for k in BASE if k != knob]
        for engine in sorted({r["engine"] for r in rows}):
            line = sorted((r for r in rows if r["engine"] == engine and all(r[k] == BASE[k] for k in others)),
                          key=lambda r: r[knob])
            xs = [r[knob] for r in line]
            ax.plot(xs, [r["step_s"] for r in line], "o-", label=f"{engine}: step")
            ax.plot(xs, [r["rollout_s"] for r in line], "x--", label=f"{engine}: rollout")
        ax.set_xlabel(knob)
        ax.set_ylabel("seconds")
        ax.set_title(f"{', '.join(f'{k}={BASE[k]}' for k in others)}", fontsize=9)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full cartesian grid instead of one-knob sweeps")
    parser.add_argument("--engines", nargs="+", default=["fast"], choices=["fast", "trl"])
    parser.add_argument("--steps", type=int, default=1, help="timed steps per config, after one warm-up step")
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("scaling.png"), help="plot path; a .json lands beside it")
    parser.add_argument("--knobs", choices=["sweep", "none"], default="sweep",
                        help="'none' skips the GRPO step sweeps (eval scaling only)")
    parser.add_argument("--eval-limits", nargs="*", type=int, default=[],
                        help=f"item counts for eval time on {', '.join(EVAL_BENCHMARKS)}")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.knobs == "sweep":
        rows = []
        print(f"{'engine':<6}{'prompts':>8}{'G':>4}{'tokens':>8}{'step s':>9}{'rollout s':>11}{'rest s':>8}")
        for point in grid(args.full):
            for engine in args.engines:
                r = time_config(point, engine, args.steps, args.model, args.threads)
                rows.append(r)
                print(f"{engine:<6}{r['prompts']:>8}{r['generations']:>4}{r['max_tokens']:>8}{r['step_s']:9.1f}"
                      f"{r['rollout_s']:11.1f}{r['step_s'] - r['rollout_s']:8.1f}", flush=True)
        args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
        plot(rows, args.out)
        print(f"plot: {args.out}")
    if args.eval_limits:
        eval_rows = []
        print(f"{'benchmark':<20}{'items':>6}{'eval s':>9}{'s/item':>8}")
        for name in EVAL_BENCHMARKS:
            for limit in args.eval_limits:
                r = time_eval(name, limit, args.model, args.threads)
                eval_rows.append(r)
                print(f"{name:<20}{limit:>6}{r['eval_s']:9.1f}{r['eval_s'] / limit:8.2f}", flush=True)
        eval_path = args.out.with_name(f"{args.out.stem}_eval{args.out.suffix}")
        eval_path.with_suffix(".json").write_text(json.dumps(eval_rows, indent=1))
        plot_eval(eval_rows, eval_path)
        print(f"plot: {eval_path}")


if __name__ == "__main__":
    main()
