"""Decontamination of all training text against all eval text: exact and near duplicates, with file and item.

Training text: the trait bank (which also feeds the SFT pairs of harmful fine-tuning and the constitution arm's
prompts), the regular task pool's tables and templates, and the constitution. Eval text: every file of the shared
benchmark folder, the project's packaged eval tables and the persistence data (the caller lists those files, so
this module stays below evals/ and persist/ in the layering).

Each training and eval item is one unit of text: a scenario, a fact, a template, a JSONL/JSON item or a line of
another file. Two units are
- an exact duplicate when their normalised words are equal, or they share a word 13-gram (as `contamination`);
- a near duplicate when their content words (stop words dropped but "how many" kept, so "How many planets ..."
  differs from "the largest planet ...", crude suffix stemming, numbers spelt out as digits) overlap with Jaccard >= 0.7, or, for two question-answer items with the same answer, >= 0.25 with at least
  two content words shared. This catches a fact reworded ("What is the freezing point of water in degrees Celsius?"
  vs "At what temperature in degrees Celsius does pure water freeze?", both answered 0) without flagging two facts
  that share a topic word. Only units of at most MAX_NEAR_WORDS content words are compared for near duplicates:
  long texts are covered by the 13-gram rule, and comparing every long line is quadratic.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from traitrl.data.contamination import ngram_hashes, normalize_words, scenario_text
from traitrl.data.scenario import Scenario

N_EXACT = 13
NEAR_JACCARD = 0.7
SAME_ANSWER_JACCARD = 0.25
MAX_NEAR_WORDS = 40
# Stems shared by more training units than this carry no evidence of a duplicate and are not indexed.
MAX_POSTINGS = 200
STOP = frozenset("""a about above after again all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our out
over own same she should so some such than that the their them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours answer
give brief briefly word words number only called name one""".split())
_NUMBERS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve"
                                            .split())}


@dataclass(frozen=True)
class Unit:
    where: str  # "file:item" (an id, a JSON item index or a line number)
    text: str
    answer: str | None = None


def _stem(word: str) -> str:
    for suffix in ("ing", "ly", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    return frozenset(_stem(_NUMBERS.get(w, w)) for w in normalize_words(text) if w not in STOP)


def _norm_answer(answer: str | None) -> str | None:
    return " ".join(_NUMBERS.get(w, w) for w in normalize_words(answer)) if answer else None


# --- training units -------------------------------------------------------------------------------------------


def bank_units(scenarios: Iterable[Scenario]) -> Iterator[Unit]:
    for s in scenarios:
        yield Unit(f"trait bank:{s.id}", scenario_text(s))
        for i, turn in enumerate(s.turns):  # each turn alone too, so a short question is near-compared
            if turn.role == "user":
                yield Unit(f"trait bank:{s.id}#turn{i}", turn.content)


def task_pool_units() -> Iterator[Unit]:
    from traitrl.data import tasks

    for i, (question, answer, _) in enumerate(tasks.read_facts()):
        yield Unit(f"data/tables/facts.json:{i}", question, answer)
    templates = [t for t, _ in tasks.ARITHMETIC_TEMPLATES] + [t for _, t in tasks.FORMAT_RULES]
    for i, template in enumerate(templates):
        yield Unit(f"data/tasks.py:template{i}", re.sub(r"\{\w+\}", " ", template))
    for i, topic in enumerate(tasks.FORMAT_TOPICS):
        yield Unit(f"data/tasks.py:topic{i}", topic)


def file_units(path: Path, label: str) -> Iterator[Unit]:
    """One unit per JSONL line or JSON item (question/answer fields recognised), else per non-empty line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    rows: list[tuple[str, object]] = []
    if path.suffix == ".jsonl":
        rows = [(str(n), json.loads(line)) for n, line in enumerate(text.split("\n"), 1) if line.strip()
                and line.lstrip().startswith("{")]
    elif path.suffix == ".json":
        data = json.loads(text)
        items = next((v for v in data.values() if isinstance(v, list)), None) if isinstance(data, dict) else data
        rows = [(str(i), row) for i, row in enumerate(items or [])]
    if not rows:
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip():
                yield Unit(f"{label}:{n}", line)
        return
    for where, row in rows:
        yield _row_unit(f"{label}:{where}", row)


def _row_unit(where: str, row: object) -> Unit:
    if isinstance(row, list):  # [question, answer, aliases] tables
        strings = [v for v in row if isinstance(v, str)]
        return Unit(where, strings[0] if strings else "", strings[1] if len(strings) > 1 else None)
    if not isinstance(row, dict):
        return Unit(where, str(row))
    answer = row.get("answer")
    if answer is None and isinstance(row.get("answers"), list) and row["answers"]:
        answer = row["answers"][0]
    question = row.get("question")
    if isinstance(question, str):
        return Unit(where, question, str(answer) if answer is not None else None)
    return Unit(where, " ".join(_strings(row)))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# --- matching -------------------------------------------------------------------------------------------------


class TrainingIndex:
    """13-gram hashes, normalised texts and a content-word index of the training units."""

    def __init__(self, units: Iterable[Unit]):
        self.units = list(units)
        self.ngrams: dict[int, int] = {}
        self.texts: dict[str, int] = {}
        self.words = [content_words(u.text) for u in self.units]
        self.postings: dict[str, list[int]] = {}
        for i, unit in enumerate(self.units):
            words = normalize_words(unit.text)
            self.texts.setdefault(" ".join(words), i)
            for h in ngram_hashes(words, N_EXACT):
                self.ngrams.setdefault(h, i)
            if len(self.words[i]) <= MAX_NEAR_WORDS:
                for w in self.words[i]:
                    self.postings.setdefault(w, []).append(i)
        self.postings = {w: p for w, p in self.postings.items() if len(p) <= MAX_POSTINGS}

    def exact(self, unit: Unit) -> int | None:
        words = normalize_words(unit.text)
        if not words:
            return None
        hit = self.texts.get(" ".join(words))
        if hit is not None:
            return hit
        return next((self.ngrams[h] for h in ngram_hashes(words, N_EXACT) if h in self.ngrams), None)

    def near(self, unit: Unit) -> int | None:
        words = content_words(unit.text)
        if len(words) > MAX_NEAR_WORDS or len(words) < 2:
            return None
        shared = Counter(i for w in words for i in self.postings.get(w, ()))
        answer = _norm_answer(unit.answer)
        for i, n_shared in shared.most_common():
            other = self.words[i]
            jaccard = n_shared / len(words | other)
            if jaccard >= NEAR_JACCARD and n_shared >= 3:
                return i
            same_answer = answer is not None and answer == _norm_answer(self.units[i].answer)
            if same_answer and n_shared >= 2 and jaccard >= SAME_ANSWER_JACCARD:
                return i
        return None


def find_overlaps(training: Iterable[Unit], evaluation: Iterable[Unit]) -> list[dict]:
    """One row per eval unit that duplicates a training unit: kind (exact/near), both places and both texts."""
    index = TrainingIndex(training)
    hits = []
    for unit in evaluation:
        kind, match = "exact", index.exact(unit)
        if match is None:
            kind, match = "near", index.near(unit)
        if match is not None:
            other = index.units[match]
            hits.append({"kind": kind, "eval": unit.where, "training": other.where,
                         "eval_text": unit.text[:200], "training_text": other.text[:200]})
    return hits


def eval_units(files: Iterable[tuple[Path, str]]) -> Iterator[Unit]:
    """Units of every (path, label) eval file; a folder contributes each file under it."""
    for path, label in files:
        paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in paths:
            yield from file_units(p, f"{label}/{p.relative_to(path)}" if path.is_dir() else label)


def training_units(scenarios: Iterable[Scenario], constitution: Path | None = None) -> Iterator[Unit]:
    yield from bank_units(scenarios)
    yield from task_pool_units()
    if constitution is not None:
        yield from file_units(constitution, f"constitution:{constitution.name}")
