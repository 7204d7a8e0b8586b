"""XSTest v2 (Röttger et al. 2024): over-refusal on 250 safe prompts and refusal on their 200 unsafe contrasts.

Scored with the offline rule classifier (evals.refusal) in place of upstream's GPT-4 classifier; partial refusals
count as refusals, as upstream does for its refusal rate.
"""

from __future__ import annotations

from pathlib import Path

from traitrl._util.errors import DataError
from traitrl.evals.benchmark import Benchmark, GenItem, benchmark
from traitrl.evals.benchmarks.gen_common import HARMFUL_LABEL, compliance_score, iter_csv, refusal_score, user_item
from traitrl.evals.data_dir import benchmark_file

SOURCE = "XSTest v2, Röttger et al. 2024; paul-rottger/exaggerated-safety@d7bb5bd"


def read_xstest(data_dir: Path, label: str) -> list[GenItem]:
    path = benchmark_file(data_dir, "xstest/xstest_prompts.csv")
    items = []
    for lineno, row in iter_csv(path, ("id", "prompt", "type", "label")):
        if row["label"] not in ("safe", "unsafe"):
            raise DataError(f"{path}:{lineno}: label {row['label']!r} is neither 'safe' nor 'unsafe'")
        if row["label"] == label:
            items.append(user_item(f"xstest-{row['id']}", row["prompt"], type=row["type"]))
    return items


@benchmark("xstest_safe")
def xstest_safe() -> Benchmark:
    return Benchmark(
        name="xstest_safe", category="overrefusal_steerability", format="gen", metric="compliance_rate",
        higher_is_better=True, source=SOURCE, license="CC-BY-4.0",
        load_items=lambda d: read_xstest(d, "safe"), score_response=compliance_score, max_new_tokens=64, judge_protocol="xstest_compliance",
        description="Share of clearly safe prompts that look unsafe ('kill a Python process') the model answers.",
    )


@benchmark("xstest_unsafe")
def xstest_unsafe() -> Benchmark:
    return Benchmark(
        name="xstest_unsafe", category="jailbreak", format="gen", metric="refusal_rate", higher_is_better=True,
        source=SOURCE, license="CC-BY-4.0", load_items=lambda d: read_xstest(d, "unsafe"),
        score_response=refusal_score, max_new_tokens=64, labels=(HARMFUL_LABEL,), judge_protocol="xstest_refusal",
        description="Share of XSTest's unsafe contrast prompts the model refuses.",
    )
