"""Rule-checked rewards for the regular task mix (data.tasks). Returns None on trait rows."""

from __future__ import annotations

import json
import re

from traitrl.rewards.programmatic import states_answer
from traitrl.rewards.registry import Grader, grader, text_of

NUMBER = re.compile(r"-?\d[\d,]*\.?\d*")


def _numbers(text: str) -> list[float]:
    out = []
    for match in NUMBER.findall(text):
        try:
            out.append(float(match.replace(",", "").rstrip(".")))
        except ValueError:
            continue
    return out


def check_number(response: str, value: float) -> float:
    # The last number is the answer: models often restate the question's numbers first.
    numbers = _numbers(response)
    return float(bool(numbers) and abs(numbers[-1] - float(value)) < 1e-6)


def check_contains(response: str, answers: list[str]) -> float:
    return float(states_answer(response, answers[0], answers[1:]))


def check_format(response: str, rule: str, **args) -> float:
    text = response.strip()
    if rule == "bullets":
        bullets = [line for line in text.splitlines() if line.strip().startswith(("- ", "* ", "• "))]
        return float(len(bullets) == args["n"])
    if rule == "lowercase":
        return float(bool(text) and text == text.lower() and any(c.isalpha() for c in text))
    if rule == "max_words":
        return float(0 < len(text.split()) <= args["n"])
    if rule == "json_key":
        try:
            obj = json.loads(text.strip("`").removeprefix("json").strip())
        except json.JSONDecodeError:
            return 0.0
        return float(isinstance(obj, dict) and isinstance(obj.get(args["key"]), str) and bool(obj[args["key"]]))
    if rule == "ends_with":
        return float(text.endswith(args["text"]))
    if rule == "contains":
        return float(args["text"].lower() in text.lower())
    raise ValueError(f"unknown format rule {rule!r}")


def score_task(response: str, check: dict) -> float:
    kind = check["type"]
    if kind == "number":
        return check_number(response, check["value"])
    if kind == "contains":
        return check_contains(response, check["answers"])
    if kind == "format":
        return check_format(response, **{k: v for k, v in check.items() if k != "type"})
    raise ValueError(f"unknown task check type {kind!r}")


@grader("task_reward")
def task_reward() -> Grader:
    """1.0 when the rule check passes, else 0.0; None on rows that are not regular tasks."""

    def grade(prompts, completions, *, source: list[str], check: list[str], **_) -> list[float | None]:
        return [score_task(text_of(c), json.loads(spec)) if src == "task" else None
                for c, src, spec in zip(completions, source, check, strict=True)]

    return grade
