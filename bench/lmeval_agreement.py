"""Agreement of traitrl's MC engine with lm-evaluation-harness on TruthfulQA MC1/MC2 (local data, same model).

lm-eval runs as a library: its own truthfulqa_mc1/mc2 task configs (the 6-shot QA preamble and all), pointed at
the local data file through a task YAML that `include`s them, on HFLM wrapping the same in-memory model. Both sides
score the first N questions (lm-eval's --limit takes the first N). Prints each side's accuracy, the difference in
percentage points and the largest per-choice log-likelihood difference; exits 1 if accuracy differs by > 0.5 pp.

    python bench/lmeval_agreement.py --limit 50            # the embedded model, ~50 questions per task
    python bench/lmeval_agreement.py --limit 817 --tasks mc1,mc2   # the full set (lm-eval: ~40 min uncontended)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TASKS = {"mc1": ("truthfulqa_mc1", "mc1_targets", "acc"), "mc2": ("truthfulqa_mc2", "mc2_targets", "mc2")}


def write_local_tasks(folder: Path, data_file: Path) -> None:
    """lm-eval task YAMLs that reuse the stock TruthfulQA configs but read `data_file` instead of the Hub."""
    import lm_eval

    stock = Path(lm_eval.__file__).parent / "tasks" / "truthfulqa"
    for task, _, _ in TASKS.values():
        (folder / f"local_{task}.yaml").write_text(
            f"task: local_{task}\ninclude: {stock / (task + '.yaml')}\ntag: []\ndataset_path: json\n"
            f"dataset_name: null\ndataset_kwargs:\n  data_files:\n    validation: {data_file}\n")


def run_lmeval(model, tokenizer, keys: list[str], limit: int, batch_size: int, data_file: Path) -> dict:
    """{key: (mean metric, [per-doc log-likelihoods])} from lm-eval, plus under 'seconds' the time spent in its
    log-likelihood calls (tokenising and scoring, as timed on our side; task and dataset set-up excluded)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory() as tmp:
        write_local_tasks(Path(tmp), data_file)
        lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
        spent = []
        loglikelihood = lm.loglikelihood

        def timed(requests, *args, **kwargs):
            start = time.perf_counter()
            result = loglikelihood(requests, *args, **kwargs)
            spent.append(time.perf_counter() - start)
            return result

        lm.loglikelihood = timed
        result = simple_evaluate(model=lm, tasks=[f"local_{TASKS[k][0]}" for k in keys],
                                 task_manager=TaskManager(include_path=tmp), limit=limit, log_samples=True)
    out: dict = {"seconds": sum(spent)}
    for key in keys:
        task = f"local_{TASKS[key][0]}"
        samples = sorted(result["samples"][task], key=lambda s: s["doc_id"])
        out[key] = (result["results"][task]["acc,none"], [[r[0] for r in s["filtered_resps"]] for s in samples])
    return out


def run_traitrl(model, tokenizer, keys: list[str], limit: int, batch_size: int, data_dir: Path,
                precision: str = "fp32") -> dict:
    """The same numbers from traitrl.evals.mc on the same first `limit` questions (log-likelihoods in `precision`)."""
    from traitrl.evals.benchmarks.truthfulqa import read_truthfulqa
    from traitrl.evals.mc import metric_value
    from traitrl.models.loglik import encode_request, score_requests

    out: dict = {"seconds": 0.0}
    for key in keys:
        _, targets, metric = TASKS[key]
        items = read_truthfulqa(data_dir, targets)[:limit]
        start = time.perf_counter()
        requests = [encode_request(tokenizer, it.context, it.choices) for it in items]
        lls = score_requests(model, requests, batch_size, tokenizer.pad_token_id, precision)
        out["seconds"] += time.perf_counter() - start
        values = [metric_value(metric, ll, it.choices, it.gold) for ll, it in zip(lls, items, strict=True)]
        out[key] = (sum(values) / len(values), lls)
    return out


def compare(ours: dict, theirs: dict, keys: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """{key: (lm-eval value, traitrl value, difference in pp, max |Δ log-likelihood|)}."""
    rows = {}
    for key in keys:
        (ref, ref_lls), (got, got_lls) = theirs[key], ours[key]
        max_diff = max(abs(a - b) for x, y in zip(ref_lls, got_lls, strict=True) for a, b in zip(x, y, strict=True))
        rows[key] = (ref, got, 100 * (got - ref), max_diff)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--limit", type=int, default=50, help="First N questions per task (817 = all).")
    parser.add_argument("--tasks", default="mc1,mc2")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None, help="Benchmark data folder (default: $TRAITRL_BENCHMARK_DIR).")
    args = parser.parse_args(argv)

    import torch

    from traitrl.evals.benchmarks.truthfulqa import DATA_FILE
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.models.store import load_model, load_tokenizer

    torch.set_num_threads(args.threads)
    keys = args.tasks.split(",")
    data_dir = benchmark_dir(args.data_dir)
    model, tokenizer = load_model(args.model), load_tokenizer(args.model)
    ours = run_traitrl(model, tokenizer, keys, args.limit, args.batch_size, data_dir)
    theirs = run_lmeval(model, tokenizer, keys, args.limit, args.batch_size, (data_dir / DATA_FILE).resolve())
    ok = True
    for key, (ref, got, diff_pp, max_ll) in compare(ours, theirs, keys).items():
        ok &= abs(diff_pp) <= 0.5
        print(f"truthfulqa_{key}: n={args.limit} lm-eval {ref:.4f}  traitrl {got:.4f}  diff {diff_pp:+.2f} pp  "
              f"max |Δ loglik| {max_ll:.2e}")
    print(f"time: traitrl {ours['seconds']:.1f} s, lm-eval {theirs['seconds']:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
