"""Compute matching measured from what ran, not asserted from the config.

The config check (equal steps, prompts, generations and caps) is a pre-flight check: it says what each arm was
allowed, not what it used. Trait data can lengthen completions, change gradient norms and the share of prompt groups
with no reward spread (no learning signal). Each training run's TRL log history (metrics.jsonl), its
train_summary.json and timings.json give the measured quantities; each arm run is compared with the reference run
of the same seed, quantity by quantity, against a stated relative tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from traitrl._util.io import read_json, read_jsonl
from traitrl.stats.settings import ComputeTolerance

MEASURED = ("optimizer_steps", "prompt_tokens", "generated_tokens", "grad_norm", "zero_std_fraction", "kl",
            "wall_seconds")
# traitrl's per-group count, not TRL's frac_reward_zero_std: under `advantage_scaling: batch` TRL's is one batch-wide
# flag (3 % of the standard study's baseline steps, whose groups had no spread in 59 %).
_LOGGED_MEAN = {"grad_norm": "grad_norm", "zero_std_fraction": "frac_group_zero_std", "kl": "kl"}


def _mean(history: list[dict], key: str) -> float | None:
    values = [h[key] for h in history if isinstance(h.get(key), int | float)]
    return float(np.mean(values)) if values else None


def measure_run(run_dir: Path) -> dict[str, float | None]:
    """Measured training quantities of one arm run (DIR/arms/<run>); None where the run did not log them.

    Prompt tokens: TRL's cumulative `num_tokens` (prompt + completion) minus the generated tokens. Generated tokens:
    train_summary.json, or the constitution summary (which adds its SL-stage generations) when present.
    """
    train = Path(run_dir) / "train"
    history = read_jsonl(train / "metrics.jsonl") if (train / "metrics.jsonl").is_file() else []
    summary = read_json(train / "train_summary.json") if (train / "train_summary.json").is_file() else {}
    generated = summary.get("generated_tokens")
    if (train / "constitution_summary.json").is_file():
        generated = read_json(train / "constitution_summary.json")["generated_tokens"]["total"]
    total = max((h["num_tokens"] for h in history if "num_tokens" in h), default=None)
    timings = Path(run_dir) / "timings.json"
    wall = read_json(timings).get("train", {}).get("seconds") if timings.is_file() else None
    steps = summary.get("steps", max((h.get("step", 0) for h in history), default=None))
    return {"optimizer_steps": steps,
            "prompt_tokens": None if total is None or generated is None else total - generated,
            "generated_tokens": generated, **{k: _mean(history, v) for k, v in _LOGGED_MEAN.items()},
            "wall_seconds": wall}


def mismatches(arm: dict[str, float | None], reference: dict[str, float | None],
               tolerance: ComputeTolerance) -> list[str]:
    """'<quantity> +23 % vs reference (tolerance ±10 %)' for every quantity measured in both beyond tolerance."""
    found = []
    for key in MEASURED:
        a, r = arm.get(key), reference.get(key)
        if a is None or r is None:
            continue
        limit = getattr(tolerance, key)
        rel = (a - r) / abs(r) if r else (0.0 if a == r else float("inf"))
        if abs(rel) > limit + 1e-12:
            found.append(f"{key} {rel:+.0%} vs reference (tolerance ±{limit:.0%})")
    return found


def compute_flag(by_arm: dict[str, list[str]]) -> str | None:
    """The headline sentence when any arm's measured compute differs from its reference beyond tolerance."""
    bad = {arm: found for arm, found in by_arm.items() if found}
    if not bad:
        return None
    return ("Compute NOT matched as run (measured, not configured): "
            + "; ".join(f"{arm}: {', '.join(found)}" for arm, found in bad.items()) + ".")
