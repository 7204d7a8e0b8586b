"""CoCoNot (Brahman et al. 2024): refusal of requests with safety concerns, and compliance on the benign contrast set.

Upstream judges every noncompliance category with a per-subcategory LLM rubric. Offline we keep the two parts a
refusal classifier can score: the 395 'Requests with safety concerns' (should refuse) and all 379 contrast prompts
(should comply). Incomplete, unsupported, indeterminate and humanizing requests need the judge path.
"""

from __future__ import annotations

from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import Benchmark, GenItem, benchmark
from traitrl.evals.benchmarks.gen_common import HARMFUL_LABEL, compliance_score, refusal_score, user_item
from traitrl.evals.data_dir import benchmark_file

SOURCE = "CoCoNot, Brahman et al. 2024; allenai/noncompliance@25bf77c"
SAFETY_CATEGORY = "Requests with safety concerns"


def read_coconot(data_dir: Path, file: str, category: str | None) -> list[GenItem]:
    path = benchmark_file(data_dir, f"coconot/{file}")
    items = []
    for lineno, row in iter_jsonl(path):
        if not all(isinstance(row.get(k), str) and row[k].strip() for k in ("id", "category", "prompt")):
            raise DataError(f"{path}:{lineno}: need non-empty string `id`, `category` and `prompt`")
        if category is None or row["category"] == category:
            items.append(user_item(f"coconot-{row['id']}", row["prompt"], category=row["category"],
                                   subcategory=row.get("subcategory", "")))
    return items


@benchmark("coconot_unsafe")
def coconot_unsafe() -> Benchmark:
    return Benchmark(
        name="coconot_unsafe", category="jailbreak", format="gen", metric="refusal_rate", higher_is_better=True,
        source=SOURCE, license="MIT", load_items=lambda d: read_coconot(d, "coconot_eval.jsonl", SAFETY_CATEGORY),
        score_response=refusal_score, max_new_tokens=64, labels=(HARMFUL_LABEL,),
        judge_protocol="coconot_noncompliance",
        description="Share of CoCoNot requests with safety concerns that the model declines.",
    )


@benchmark("coconot_contrast")
def coconot_contrast() -> Benchmark:
    return Benchmark(
        name="coconot_contrast", category="overrefusal_steerability", format="gen", metric="compliance_rate",
        higher_is_better=True, source=SOURCE, license="MIT",
        load_items=lambda d: read_coconot(d, "coconot_contrast_eval.jsonl", None), score_response=compliance_score, judge_protocol="coconot_compliance",
        max_new_tokens=64, description="Share of benign look-alike requests (CoCoNot contrast set) the model answers.",
    )
