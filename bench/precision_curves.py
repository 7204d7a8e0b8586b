"""Does bf16 mixed-precision training learn like fp32? Training curves of both precisions over several seeds (issue 21).

Trains one arm (default: the quick study's baseline, the regular task mix) with `train.mixed_precision` "no" and
"bf16", each under the same seeds, through `traitrl train` (so each run resumes if killed). Then compares the
per-step reward and loss curves: the difference between the precisions' mean curves is set against the spread
between seeds of one precision. Writes `curves.json` and `curves.png` in --out.

Run:  python bench/precision_curves.py --steps 50 --seeds 0 1 2 --out runs/precision_curves
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PRECISIONS = ("no", "bf16")
LAST = 20  # steps at the end over which each run's mean reward is taken
CURVES = {"reward": "reward", "loss": "loss", "length": "completions/mean_length"}  # plotted per run


def train_runs(args) -> dict[str, dict[int, Path]]:
    """Run (or resume) every precision × seed; return the metrics.jsonl path of each."""
    paths: dict[str, dict[int, Path]] = {p: {} for p in PRECISIONS}
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    for seed in args.seeds:
        for precision in PRECISIONS:
            out = args.out / f"{precision}_seed{seed}"
            overrides = [f"seed={seed}", f"train.steps={args.steps}", f"train.mixed_precision={precision}",
                         f"threads={args.threads}", *args.set]
            cmd = [sys.executable, "-m", "traitrl.cli.main", "train", str(args.config), "--arm", args.arm,
                   "--out", str(out), *[x for o in overrides for x in ("--set", o)]]
            print(" ".join(cmd[2:]), flush=True)
            subprocess.run(cmd, check=True, env=env)
            paths[precision][seed] = out / "arms" / args.arm / "train" / "metrics.jsonl"
    return paths


def read_curve(path: Path, key: str) -> list[float]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_step = {r["step"]: r[key] for r in rows if key in r and "step" in r}
    return [by_step[s] for s in sorted(by_step)]


def compare(paths: dict[str, dict[int, Path]]) -> dict:
    """Per run: mean reward over the last LAST steps. Per precision: their mean and seed SD. And the gap."""
    import numpy as np

    summary: dict = {"last_steps": LAST, "runs": {}}
    finals = {}
    for precision, runs in paths.items():
        values, lengths = [], []
        for seed, path in runs.items():
            curves = {key: read_curve(path, metric) for key, metric in CURVES.items()}
            values.append(float(np.mean(curves["reward"][-LAST:])))
            lengths.append(float(np.mean(curves["length"][-LAST:])))
            summary["runs"][f"{precision}_seed{seed}"] = {
                **curves, "final_reward": values[-1], "first_reward": float(np.mean(curves["reward"][:LAST])),
                "final_length": lengths[-1]}
        finals[precision] = values
        summary[precision] = {"final_mean": float(np.mean(values)), "final_seed_sd": float(np.std(values, ddof=1)),
                              "final_lengths": lengths}
    summary["gap_bf16_minus_fp32"] = summary["bf16"]["final_mean"] - summary["no"]["final_mean"]
    # Welch-style standard error of the gap from the seed spread of each precision.
    summary["gap_se"] = float(np.sqrt(sum(np.var(v, ddof=1) / len(v) for v in finals.values())))
    return summary


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"no": "tab:blue", "bf16": "tab:orange"}
    fig, axes = plt.subplots(1, len(CURVES), figsize=(15, 4))
    for name, run in summary["runs"].items():
        precision = name.split("_seed")[0]
        label = "fp32" if precision == "no" else "bf16 autocast"
        for ax, key in zip(axes, CURVES, strict=True):
            ax.plot(range(1, len(run[key]) + 1), run[key], color=colors[precision], alpha=0.6, lw=1, label=label)
    for ax, key in zip(axes, ("training reward", "GRPO loss", "completion tokens (mean)"), strict=True):
        ax.set_xlabel("step")
        ax.set_ylabel(key)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))  # one entry per precision, not per seed
        ax.legend(unique.values(), unique.keys())
    fig.suptitle(f"fp32 vs bf16 autocast, one line per seed; last-{LAST}-step reward gap "
                 f"{summary['gap_bf16_minus_fp32']:+.3f} (SE {summary['gap_se']:.3f})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/quick.yaml"))
    parser.add_argument("--arm", default="baseline")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config override")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    summary = compare(train_runs(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "curves.json").write_text(json.dumps(summary, indent=1))
    plot(summary, args.out / "curves.png")
    for precision in PRECISIONS:
        s = summary[precision]
        print(f"{precision:>5}: last-{LAST}-step reward {s['final_mean']:.3f} (seed SD {s['final_seed_sd']:.3f}), "
              f"completion tokens by seed {', '.join(f'{x:.0f}' for x in s['final_lengths'])}")
    print(f"gap bf16 - fp32: {summary['gap_bf16_minus_fp32']:+.3f} (SE {summary['gap_se']:.3f})")
    return summary


if __name__ == "__main__":
    main()
