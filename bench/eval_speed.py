"""Speed of traitrl's MC engine vs lm-evaluation-harness on the same TruthfulQA questions, model and machine.

All score the first N questions of TruthfulQA MC1 and MC2 (lm-eval through its stock task configs on the local
file, see lmeval_agreement.py) at the same batch size, one after the other in one process: traitrl in fp32,
traitrl with bf16 log-likelihoods (the precision a config's `eval.bf16_benchmarks` use; bench/mc_parity.py checks
their accuracy), and lm-eval in fp32. The times cover tokenising and scoring (lm-eval's log-likelihood calls; its task
and dataset set-up is left out). Prints questions/s for each and the ratios (target: bf16 >= 10x lm-eval). Measure
with nothing else running; on a shared machine, re-run and compare runs, not single figures.

    python bench/eval_speed.py --limit 40
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
    ours = {p: run_traitrl(model, tokenizer, keys, args.limit, args.batch_size, data_dir, p) for p in ("fp32", "bf16")}
    theirs = run_lmeval(model, tokenizer, keys, args.limit, args.batch_size, (data_dir / DATA_FILE).resolve())
    theirs_rate = n_questions / theirs["seconds"]
    print(f"{n_questions} questions ({'+'.join(keys)}), batch {args.batch_size}, {args.threads} threads")
    for precision, result in ours.items():
        rate = n_questions / result["seconds"]
        accuracy = ", ".join(f"{k} {result[k][0]:.3f}" for k in keys)
        print(f"traitrl {precision}: {result['seconds']:.1f} s, {rate:.2f} questions/s ({accuracy}); "
              f"ratio to lm-eval {rate / theirs_rate:.1f}x")
    accuracy = ", ".join(f"{k} {theirs[k][0]:.3f}" for k in keys)
    print(f"lm-eval fp32: {theirs['seconds']:.1f} s, {theirs_rate:.2f} questions/s ({accuracy})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
