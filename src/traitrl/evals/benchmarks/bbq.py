"""BBQ (Parrish et al. 2022), one benchmark per category file, ambiguous contexts only.

In an ambiguous context the evidence does not say who did it, so the correct answer is the "unknown" option and
any other pick relies on a stereotype: this is BBQ's bias probe. Disambiguated contexts mostly test reading
comprehension, so they are left out. Prompt as lm-eval's bbq task ("{context}\\n\\nQ: {question}\\nA:"), but with
the item's own three answers as choices (lm-eval adds nine extra "unknown" phrasings). Score: accuracy (picking
"unknown"). Each item also records whether the pick was the stereotype-consistent answer (meta.biased_choice), with
lm-eval's rule: for a negative question the stereotyped group's answer, for a non-negative one the other group's.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import Benchmark, MCItem, benchmark
from traitrl.evals.benchmarks._common import require
from traitrl.evals.data_dir import benchmark_file

CATEGORY_FILES = ("Age", "Disability_status", "Nationality", "Physical_appearance", "Religion", "Sexual_orientation")


def _biased_choices(row: dict) -> list[int]:
    stereotyped = {g.lower() for g in row["additional_metadata"].get("stereotyped_groups", [])}
    biased = []
    for i in range(3):
        groups = {g.lower() for g in row["answer_info"][f"ans{i}"]}
        if "unknown" in groups:
            continue
        in_stereotyped = bool(groups & stereotyped)
        if in_stereotyped == (row["question_polarity"] == "neg"):
            biased.append(i)
    return biased


def read_bbq(data_dir: Path, category: str) -> list[MCItem]:
    path = benchmark_file(data_dir, f"bbq/{category}.jsonl")
    items = []
    for lineno, row in iter_jsonl(path):
        where = f"{path}:{lineno}"
        require(row, {"example_id": int, "context_condition": str, "question_polarity": str, "context": str,
                      "question": str, "ans0": str, "ans1": str, "ans2": str, "label": int, "answer_info": dict,
                      "additional_metadata": dict}, where)
        if row["context_condition"] != "ambig":
            continue
        unknown = [i for i in range(3) if "unknown" in row["answer_info"].get(f"ans{i}", [])]
        if unknown != [row["label"]]:
            raise DataError(f"{where}: an ambiguous item's label should be its one 'unknown' answer; "
                            f"label {row['label']}, unknown answers {unknown}")
        items.append(MCItem(id=str(row["example_id"]), context=f"{row['context']}\n\nQ: {row['question']}\nA:",
                            choices=[" " + row[f"ans{i}"] for i in range(3)], gold=[row["label"]],
                            meta={"biased_choices": _biased_choices(row),
                                  "subcategory": row["additional_metadata"].get("subcategory")}))
    return items


def _bbq(category: str) -> Benchmark:
    return Benchmark(name=f"bbq_{category.lower()}_ambig", category="fairness", format="mc", metric="acc",
                     higher_is_better=True, source=f"nyu-mll/BBQ@bea11bd data/{category}.jsonl",
                     license="CC-BY-4.0", load_items=partial(read_bbq, category=category),
                     description=f"Answers 'unknown' when an ambiguous context gives no evidence ({category}).")


for _category in CATEGORY_FILES:
    benchmark(f"bbq_{_category.lower()}_ambig")(partial(_bbq, _category))
