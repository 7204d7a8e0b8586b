"""bench/precision_curves.py compares each precision's end-of-run reward against the spread between seeds."""

import json
from pathlib import Path

import pytest
from helpers import load_bench


def write_metrics(path: Path, rewards: list[float], length: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"step": i + 1, "reward": r, "loss": 0.1, "completions/mean_length": length} for i, r in enumerate(rewards)]
    # A summary row without the per-step keys, as TRL writes at the end, and a step logged out of order.
    path.write_text("\n".join(json.dumps(r) for r in [rows[1], rows[0], *rows[2:], {"train_runtime": 9.0}]))
    return path


def test_the_gap_is_the_difference_of_last_step_means_with_its_seed_se(tmp_path):
    bench = load_bench("precision_curves.py")
    steps = 30
    finals = {"no": [0.40, 0.50], "bf16": [0.20, 0.26]}
    def rewards(final):
        return [0.1, 0.2] + [0.0] * (steps - bench.LAST - 2) + [final] * bench.LAST

    paths = {precision: {seed: write_metrics(tmp_path / f"{precision}{seed}" / "m.jsonl", rewards(final), 20.0 + seed)
                         for seed, final in enumerate(values)}
             for precision, values in finals.items()}
    summary = bench.compare(paths)
    assert summary["no"]["final_mean"] == pytest.approx(0.45) and summary["bf16"]["final_mean"] == pytest.approx(0.23)
    assert summary["gap_bf16_minus_fp32"] == pytest.approx(-0.22)
    # SE from the two precisions' seed variances: sqrt(0.005 / 2 + 0.0018 / 2)
    assert summary["gap_se"] == pytest.approx((0.005 / 2 + 0.0018 / 2) ** 0.5)
    assert summary["no"]["final_lengths"] == [20.0, 21.0]
    assert summary["runs"]["no_seed0"]["reward"][:2] == [0.1, 0.2]  # read in step order
    bench.plot(summary, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
