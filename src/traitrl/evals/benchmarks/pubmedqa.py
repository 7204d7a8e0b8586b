"""PubMedQA (Jin et al. 2019), expert-labelled PQA-L, the standard 500-question test split, as lm-eval's pubmedqa.

Context "Abstract: {contexts joined by newlines}\\nQuestion: {question}\\nAnswer:", choices yes / no / maybe.
Labelled "health" so transfer matrices can split health from non-health benchmarks.
"""

from __future__ import annotations

from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import read_json
from traitrl.evals.benchmark import Benchmark, MCItem, benchmark
from traitrl.evals.data_dir import benchmark_file

ANSWERS = ("yes", "no", "maybe")


def _line_of(path: Path, key: str) -> str:
    """"file:line" of `key` in a JSON object file; only computed on the way to an error message."""
    text = path.read_text(encoding="utf-8")
    at = text.find(f'"{key}"')
    return f"{path}:{text.count(chr(10), 0, at) + 1}" if at >= 0 else str(path)


def read_pubmedqa(data_dir: Path) -> list[MCItem]:
    questions_path = benchmark_file(data_dir, "pubmedqa/ori_pqal.json")
    split_path = benchmark_file(data_dir, "pubmedqa/test_ground_truth.json")
    questions, split = read_json(questions_path), read_json(split_path)
    if not isinstance(questions, dict) or not isinstance(split, dict):
        raise DataError(f"{questions_path} and {split_path}: expected JSON objects keyed by PMID")
    items = []
    for pmid, label in split.items():
        row = questions.get(pmid)
        if not isinstance(row, dict):
            raise DataError(f"{_line_of(split_path, pmid)}: PMID {pmid} is missing from {questions_path.name}")
        contexts, question = row.get("CONTEXTS"), row.get("QUESTION")
        if not isinstance(question, str) or not isinstance(contexts, list) \
                or not all(isinstance(c, str) for c in contexts):
            raise DataError(f"{_line_of(questions_path, pmid)}: PMID {pmid} needs QUESTION (string) and CONTEXTS "
                            "(list of strings)")
        if label not in ANSWERS or row.get("final_decision") != label:
            raise DataError(f"{_line_of(split_path, pmid)}: PMID {pmid}: label {label!r} should be one of {ANSWERS} "
                            f"and match final_decision ({row.get('final_decision')!r})")
        contexts_text = "\n".join(contexts)
        items.append(MCItem(id=pmid, context=f"Abstract: {contexts_text}\nQuestion: {question}\nAnswer:",
                            choices=[f" {a}" for a in ANSWERS], gold=[ANSWERS.index(label)]))
    return items


@benchmark("pubmedqa")
def pubmedqa() -> Benchmark:
    return Benchmark(name="pubmedqa", category="health", format="mc", metric="acc", higher_is_better=True,
                     source="pubmedqa/pubmedqa@1cbae8e data/ori_pqal.json + test_ground_truth.json", license="MIT",
                     load_items=read_pubmedqa, labels=("health",),
                     description="Answers yes/no/maybe to biomedical research questions from their abstracts.")
