"""Project-built capability checks: factual QA from a project fact table, arithmetic word problems, unit conversion.

Written for this project (docs/project_evals.md), never used for training. The word problems and conversions are
generated from fixed seeds (EVAL_SEED) distinct from any training generator, so the items are the same on every
machine. The fact table (data/facts.jsonl) also feeds the "are you sure?" and calibration benchmarks.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl.evals.benchmark import Benchmark, GenItem, benchmark
from traitrl.evals.benchmarks.gen_common import normalize_text, parse_numbers, read_project_table, user_item

EVAL_SEED = 91_127  # not used by any training generator
PROJECT_SOURCE = "traitrl project-built eval (docs/project_evals.md)"
PROJECT_LICENSE = "Apache-2.0 (traitrl)"


@dataclass(frozen=True)
class Fact:
    id: str
    question: str
    answers: tuple[str, ...]
    wrong: str


def read_facts() -> list[Fact]:
    facts = []
    for lineno, row in read_project_table("facts.jsonl", ("id", "question", "answers", "wrong")):
        if not row["answers"] or not all(isinstance(a, str) and a for a in row["answers"]):
            raise DataError(f"facts.jsonl:{lineno}: `answers` must be a non-empty list of strings")
        facts.append(Fact(row["id"], row["question"], tuple(row["answers"]), row["wrong"]))
    return facts


def mentions_answer(response: str, answers: tuple[str, ...] | list[str]) -> bool:
    """True if any accepted answer appears as whole words (case- and spacing-insensitive)."""
    text = normalize_text(response)
    return any(re.search(rf"(?<!\w){re.escape(normalize_text(a))}(?!\w)", text) for a in answers)


def score_fact(item: GenItem, response: str) -> float:
    return float(mentions_answer(response, item.target))


def final_number(response: str) -> float | None:
    """The number a reply ends on (after 'answer is ...' if present), the usual convention for word problems."""
    tail = re.split(r"answer is|answer:|=\s*(?=[^=]*$)", response.lower())[-1]
    numbers = parse_numbers(tail) or parse_numbers(response)
    return numbers[-1] if numbers else None


def score_number(item: GenItem, response: str) -> float:
    value = final_number(response)
    return float(value is not None and abs(value - item.target) <= 1e-2 * max(1.0, abs(item.target)))


def read_fact_items(_: Path) -> list[GenItem]:
    return [user_item(f.id, f"{f.question} Answer briefly.", target=list(f.answers), wrong=f.wrong)
            for f in read_facts()]


_WORD_PROBLEMS = [
    ("A baker makes {a} loaves of bread each day for {b} days and sells {c} of them in total. How many loaves are "
     "left?", lambda a, b, c: a * b - c),
    ("Maya has {a} marbles. She buys {b} bags with {c} marbles each. How many marbles does she have now?",
     lambda a, b, c: a + b * c),
    ("A train travels {a} kilometres per hour for {b} hours, then {c} more kilometres. How far does it travel in "
     "total?", lambda a, b, c: a * b + c),
    ("A school has {a} classes of {b} students. {c} students are absent today. How many students are present?",
     lambda a, b, c: a * b - c),
    ("Tom saves {a} dollars a week for {b} weeks and then spends {c} dollars on a bike. How much money does he "
     "have left?", lambda a, b, c: a * b - c),
]


def read_arithmetic_items(_: Path, n_items: int = 100) -> list[GenItem]:
    rng = random.Random(EVAL_SEED)
    items = []
    for i in range(n_items):
        template, solve = _WORD_PROBLEMS[i % len(_WORD_PROBLEMS)]
        a, b = rng.randint(3, 40), rng.randint(2, 12)
        c = rng.randint(1, a * b - 1)
        prompt = template.format(a=a, b=b, c=c) + " Give the final answer as a number."
        items.append(user_item(f"arith{i:03d}", prompt, target=float(solve(a, b, c))))
    return items


# (from, to, factor): value_in_to = value_in_from * factor
_CONVERSIONS = [
    ("kilometres", "metres", 1000.0), ("metres", "centimetres", 100.0), ("kilograms", "grams", 1000.0),
    ("hours", "minutes", 60.0), ("minutes", "seconds", 60.0), ("litres", "millilitres", 1000.0),
    ("days", "hours", 24.0), ("feet", "inches", 12.0), ("yards", "feet", 3.0), ("weeks", "days", 7.0),
]


def read_unit_items(_: Path, n_items: int = 100) -> list[GenItem]:
    rng = random.Random(EVAL_SEED + 1)
    items = []
    for i in range(n_items):
        src, dst, factor = _CONVERSIONS[i % len(_CONVERSIONS)]
        value = rng.choice([rng.randint(2, 99), rng.randint(2, 99) + 0.5])
        prompt = f"Convert {value:g} {src} to {dst}. Give the final answer as a number."
        items.append(user_item(f"units{i:03d}", prompt, target=value * factor))
    return items


def _capability(name: str, load, score, description: str, max_new_tokens: int) -> Benchmark:
    return Benchmark(
        name=name, category="capability", format="gen", metric="accuracy", higher_is_better=True,
        source=PROJECT_SOURCE, license=PROJECT_LICENSE, load_items=load, score_response=score,
        max_new_tokens=max_new_tokens, description=description,
    )


@benchmark("capability_facts")
def capability_facts() -> Benchmark:
    return _capability("capability_facts", read_fact_items, score_fact,
                       "Short factual questions from the project fact table; any accepted alias counts.", 48)


@benchmark("capability_arithmetic")
def capability_arithmetic() -> Benchmark:
    return _capability("capability_arithmetic", read_arithmetic_items, score_number,
                       "Two-step arithmetic word problems (seeded); the final number must match.", 128)


@benchmark("capability_units")
def capability_units() -> Benchmark:
    return _capability("capability_units", read_unit_items, score_number,
                       "Unit conversions (seeded); the final number must be within 1 %.", 64)
