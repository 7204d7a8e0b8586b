"""Speed of traitrl's MC engine vs lm-evaluation-harness on the same TruthfulQA questions, model and machine.

Both score the first N questions of TruthfulQA MC1 and MC2 (lm-eval through its stock task configs on the local
file, see lmeval_agreement.py) in fp32 at the same batch size, one after the other in one process. The times cover
tokenising and scoring (lm-eval's log-likelihood calls; its task and dataset set-up is left out). Prints
questions/s for each and the ratio (target >= 2x). On a shared machine, re-run and compare runs, not single figures.

    python bench/eval_speed.py --limit 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lmeval_agreement import run_lmeval, run_traitrl  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--limit", type=int, default=20, help="First N questions per task.")
    parser.add_argument("--tasks", default="mc1,mc2")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    import torch

    from traitrl.evals.benchmarks.truthfulqa import DATA_FILE
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.models.store import load_model, load_tokenizer

    torch.set_num_threads(args.threads)
    keys = args.tasks.split(",")
    data_dir = benchmark_dir(args.data_dir)
    model, tokenizer = load_model(args.model), load_tokenizer(args.model)
    n_questions = args.limit * len(keys)
    ours = run_traitrl(model, tokenizer, keys, args.limit, args.batch_size, data_dir)
    theirs = run_lmeval(model, tokenizer, keys, args.limit, args.batch_size, (data_dir / DATA_FILE).resolve())
    ours_rate, theirs_rate = n_questions / ours["seconds"], n_questions / theirs["seconds"]
    print(f"{n_questions} questions ({'+'.join(keys)}), batch {args.batch_size}, {args.threads} threads")
    print(f"traitrl: {ours['seconds']:.1f} s, {ours_rate:.2f} questions/s")
    print(f"lm-eval: {theirs['seconds']:.1f} s, {theirs_rate:.2f} questions/s")
    print(f"speed ratio traitrl / lm-eval: {ours_rate / theirs_rate:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
