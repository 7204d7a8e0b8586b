"""Does bf16 multiple-choice scoring keep fp32's accuracy? Scores whole benchmarks both ways and prints the table.

Each benchmark is scored twice with traitrl's MC engine on the same model, in fp32 and with bf16 log-likelihoods
(models.loglik, `precision="bf16"`), each into its own empty cache, so nothing is shared between the two. A benchmark
keeps parity when its bf16 score is within --tolerance (0.5 pp) of fp32; only those belong in a config's
`eval.bf16_benchmarks`. Also prints the items whose answer flipped and the time of each pass (speed figures only
when nothing else runs on the machine).

    python bench/mc_parity.py --out runs/mc_parity
    python bench/mc_parity.py --benchmarks truthfulqa_mc1,pubmedqa --limit 100 --out runs/mc_parity_small
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT = "truthfulqa_mc1,truthfulqa_mc2,pubmedqa,bbq_sexual_orientation,caa_sycophancy_ab,crows_pairs"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--benchmarks", default=DEFAULT, help="Comma-separated multiple-choice benchmarks.")
    p.add_argument("--limit", type=int, default=None, help="Seeded sample per benchmark (default: every item).")
    p.add_argument("--tolerance", type=float, default=0.5, help="Parity bound, percentage points.")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default=None)
    return p.parse_args(argv)


def score(args, name: str, precision: str) -> tuple[dict, list[float], float]:
    """(summary, per-item scores, seconds) of one benchmark in one precision, from an empty cache of its own."""
    from traitrl.evals.record import read_benchmark_record
    from traitrl.evals.run import run_benchmarks

    folder = args.out / precision
    started = time.perf_counter()
    [summary] = run_benchmarks(args.model, name, folder / "records", data_dir=args.data_dir, limit=args.limit,
                               batch_size=args.batch_size, cache_dir=folder / "cache", resume=False,
                               bf16_benchmarks=[name] if precision == "bf16" else [])
    seconds = time.perf_counter() - started
    items = read_benchmark_record(folder / "records", name)[1]
    return summary.model_dump(mode="json"), [s.score for s in items], seconds


def keeps_parity(fp32: float, bf16: float, tolerance_pp: float) -> bool:
    """Whether bf16's score is within `tolerance_pp` percentage points of fp32's, bound included.

    Rounded first, because float subtraction puts one item in 200 (exactly 0.5 pp) at 0.5000000000000004."""
    return round(abs(100 * (bf16 - fp32)), 9) <= tolerance_pp


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    import shutil

    import torch

    torch.set_num_threads(args.threads)
    shutil.rmtree(args.out, ignore_errors=True)  # empty caches: both passes compute every item
    args.out.mkdir(parents=True)
    rows = []
    for name in args.benchmarks.split(","):
        fp32, fp32_items, fp32_s = score(args, name, "fp32")
        bf16, bf16_items, bf16_s = score(args, name, "bf16")
        diff_pp = 100 * (bf16["score"] - fp32["score"])
        rows.append({"benchmark": name, "metric": fp32["metric"], "n_items": fp32["n_items"],
                     "fp32": fp32["score"], "bf16": bf16["score"], "diff_pp": diff_pp,
                     "items_changed": sum(a != b for a, b in zip(fp32_items, bf16_items, strict=True)),
                     "parity": keeps_parity(fp32["score"], bf16["score"], args.tolerance),
                     "fp32_seconds": fp32_s, "bf16_seconds": bf16_s})
        r = rows[-1]
        print(f"{name}: {r['metric']} fp32 {r['fp32']:.4f}  bf16 {r['bf16']:.4f}  diff {diff_pp:+.2f} pp  "
              f"({r['items_changed']} of {r['n_items']} items changed)  "
              f"{'parity' if r['parity'] else 'NO PARITY: keep fp32'}  time fp32 {fp32_s:.0f} s, bf16 {bf16_s:.0f} s "
              f"({fp32_s / bf16_s:.2f}x)", flush=True)
    (args.out / "parity.json").write_text(json.dumps({"tolerance_pp": args.tolerance, "rows": rows}, indent=2))
    keep = [r["benchmark"] for r in rows if r["parity"]]
    print(f"eval.bf16_benchmarks: [{', '.join(keep)}]")
    return rows


if __name__ == "__main__":
    main()
