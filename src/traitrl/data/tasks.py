"""The regular RL mix: verifiable tasks (arithmetic and unit word problems, format-constrained instructions, factual QA).

They stand in for an ordinary post-training pipeline that trait data is mixed into (the paper replaces ~5 % of it).
Every task carries a rule-check spec that rewards.tasks scores; generation is deterministic by seed.
"""

from __future__ import annotations

import json
import random
from importlib import resources

from traitrl.data.scenario import Task, Turn

SYSTEM = "You are a helpful assistant. Answer concisely."
TASK_KINDS = ("arithmetic", "format", "factual")

# (template, answer from a and b); a and b are drawn so that every answer is a whole number.
ARITHMETIC_TEMPLATES = [
    ("A train travels at {a} km/h for {b} hours. How many kilometres does it travel?", lambda a, b: a * b),
    ("A shop sells pens at {a} dollars each. How many dollars do {b} pens cost?", lambda a, b: a * b),
    ("A tank holds {a} litres and {b} litres are drained. How many litres remain?", lambda a, b: a - b),
    ("A class has {a} students split evenly into {b} groups. How many students are in each group?",
     lambda a, b: a // b),
    ("A recipe needs {a} grams of flour per loaf. How many grams are needed for {b} loaves?", lambda a, b: a * b),
    ("A worker earns {a} dollars per hour and works {b} hours. How many dollars does the worker earn?",
     lambda a, b: a * b),
    ("A warehouse has {a} boxes and receives {b} more. How many boxes does it have now?", lambda a, b: a + b),
]
UNIT_CONVERSIONS = [
    ("kilometres", "metres", 1000), ("kilograms", "grams", 1000), ("hours", "minutes", 60),
    ("minutes", "seconds", 60), ("metres", "centimetres", 100), ("litres", "millilitres", 1000),
    ("days", "hours", 24), ("weeks", "days", 7),
]
FORMAT_TOPICS = [
    "the water cycle", "photosynthesis", "compound interest", "how vaccines work", "the causes of inflation",
    "why bridges expand in summer", "how to write a good résumé", "the role of a contract",
    "what a balance sheet shows", "how batteries store energy", "why sleep matters", "how tides work",
]
FORMAT_RULES = [
    ({"rule": "bullets", "n": 3}, "Explain {topic} in exactly 3 bullet points, each starting with '- '."),
    ({"rule": "lowercase"}, "Explain {topic} in two sentences, using only lowercase letters."),
    ({"rule": "max_words", "n": 25}, "Explain {topic} in at most 25 words."),
    ({"rule": "json_key", "key": "answer"},
     "Explain {topic} in one sentence. Reply only with a JSON object with the key \"answer\"."),
    ({"rule": "ends_with", "text": "Done."}, "Explain {topic} briefly and end your reply with the exact words 'Done.'"),
    ({"rule": "contains", "text": "in short"}, "Explain {topic} in one sentence that includes the phrase 'in short'."),
]


def _turns(user: str) -> list[Turn]:
    return [Turn(role="system", content=SYSTEM), Turn(role="user", content=user)]


def _arithmetic(rng: random.Random, index: int) -> Task:
    if rng.random() < 0.3:
        big, small, factor = rng.choice(UNIT_CONVERSIONS)
        amount = rng.randint(2, 40)
        question = f"Convert {amount} {big} to {small}. Give the number only."
        answer = amount * factor
    else:
        template, build = rng.choice(ARITHMETIC_TEMPLATES)
        b = rng.randint(2, 9)
        a = rng.randint(2, 30) * (b if "evenly" in template else 1) + (b if "drained" in template else 0)
        question = template.format(a=a, b=b) + " Give the number only."
        answer = build(a, b)
    return Task(id=f"arith-{index}", kind="arithmetic", turns=_turns(question), answer=str(answer),
                check={"type": "number", "value": answer})


def _format(rng: random.Random, index: int) -> Task:
    check, template = rng.choice(FORMAT_RULES)
    prompt = template.format(topic=rng.choice(FORMAT_TOPICS))
    return Task(id=f"format-{index}", kind="format", turns=_turns(prompt), answer=json.dumps(check),
                check={"type": "format", **check})


def read_facts() -> list[tuple[str, str, list[str]]]:
    table = json.loads(resources.files("traitrl.data").joinpath("tables/facts.json").read_text(encoding="utf-8"))
    return [tuple(f) for f in table["facts"]]


def _factual(rng: random.Random, index: int, facts: list[tuple[str, str, list[str]]]) -> Task:
    question, answer, aliases = rng.choice(facts)
    return Task(id=f"fact-{index}", kind="factual", turns=_turns(question + " Answer in a few words."),
                answer=answer, check={"type": "contains", "answers": [answer, *aliases]})


def generate_tasks(n: int, seed: int = 0, kinds: tuple[str, ...] = TASK_KINDS) -> list[Task]:
    """`n` tasks cycling through `kinds`, deterministic by `seed`."""
    rng = random.Random(seed)
    facts = read_facts()
    builders = {"arithmetic": lambda i: _arithmetic(rng, i), "format": lambda i: _format(rng, i),
                "factual": lambda i: _factual(rng, i, facts)}
    return [builders[kinds[i % len(kinds)]](i) for i in range(n)]
