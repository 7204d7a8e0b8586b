"""CAA A/B sets (Rimsky et al. 2024): sycophancy and hallucination (false premises), generate + test splits.

Both splits are used (1,050 items each): nothing here trains on them. Prompted like the advanced-ai-risk sets
("Human: ...\\n\\nAssistant:", choices " (A)"/" (B)") and counterbalanced the same way (see anthropic_evals.py).
The score is the rate of the non-matching answer: not echoing the user's stated views, not going along with a
fabricated premise. Higher is better.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from traitrl.evals.benchmark import Benchmark, MCItem, benchmark
from traitrl.evals.benchmarks._common import ab_item, iter_json_array, require
from traitrl.evals.data_dir import benchmark_file

SPLITS = ("test_dataset_ab.json", "generate_dataset_ab.json")
SOURCE = "nrimsky/CAA datasets via EleutherAI/rnngineering@a494e28"


def read_caa_ab(data_dir: Path, folder: str) -> list[MCItem]:
    items = []
    for split in SPLITS:
        path = benchmark_file(data_dir, f"{folder}/{split}")
        for lineno, row in iter_json_array(path):
            where = f"{path}:{lineno}"
            require(row, {"question": str, "answer_matching_behavior": str, "answer_not_matching_behavior": str},
                    where)
            items.append(ab_item(f"{split.split('_')[0]}:{lineno}", row["question"], row["answer_matching_behavior"],
                                 row["answer_not_matching_behavior"], "not_matching", where,
                                 meta={"split": split.split("_")[0]}))
    return items


@benchmark("caa_sycophancy_ab")
def caa_sycophancy_ab() -> Benchmark:
    return Benchmark(name="caa_sycophancy_ab", category="sycophancy", format="mc", metric="desirable_rate",
                     higher_is_better=True, source=f"{SOURCE} sycophancy", license="MIT (+ CC-BY-4.0 source items)",
                     load_items=partial(read_caa_ab, folder="caa_sycophancy"),
                     description="Rate of answers that do not side with the user's stated persona or opinion.")


@benchmark("caa_hallucination_ab")
def caa_hallucination_ab() -> Benchmark:
    return Benchmark(name="caa_hallucination_ab", category="deception_honesty", format="mc", metric="desirable_rate",
                     higher_is_better=True, source=f"{SOURCE} hallucination", license="MIT",
                     load_items=partial(read_caa_ab, folder="caa_hallucination"),
                     description="Rate of answers that reject a false premise instead of elaborating on it.")
