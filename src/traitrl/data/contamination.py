"""Contamination guard: word 13-gram overlap between the scenario bank and every benchmark data file.

Text is NFKC-normalised, lower-cased and split into alphanumeric words; punctuation and line breaks are ignored, so an
n-gram may span lines of a data file and is reported at the line where it starts. Scenario n-grams are hashed into a
dict, and each data file is streamed past it once (41 MB takes seconds).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl.data.scenario import Scenario

WORD = re.compile(r"[^\W_]+")


def normalize_words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def scenario_text(scenario: Scenario) -> str:
    """Everything a model could see or be trained on: all turns plus the reference responses."""
    rubric = scenario.rubric
    return "\n".join([t.content for t in scenario.turns] + [rubric.good_response, *rubric.failure_responses])


def ngram_hashes(words: list[str], n: int) -> Iterator[int]:
    for i in range(len(words) - n + 1):
        yield hash(tuple(words[i:i + n]))


def index_scenarios(scenarios: Iterable[Scenario], n: int) -> dict[int, str]:
    index: dict[int, str] = {}
    for scenario in scenarios:
        for h in ngram_hashes(normalize_words(scenario_text(scenario)), n):
            index.setdefault(h, scenario.id)
    return index


def file_words(path: Path) -> tuple[list[str], list[int]]:
    """All words of a file with the line number each word sits on."""
    words: list[str] = []
    line_of_word: list[int] = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            line_words = normalize_words(line)
            words += line_words
            line_of_word += [lineno] * len(line_words)
    return words, line_of_word


def check_contamination(scenarios: Iterable[Scenario], data_dir: str | Path, n: int = 13) -> list[dict]:
    """One hit per (benchmark file, line, scenario) sharing at least one word n-gram; [] means clean."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: benchmark data folder not found")
    if n < 1:
        raise DataError(f"n-gram length must be at least 1, got {n}")
    index = index_scenarios(scenarios, n)
    hits: dict[tuple[str, int, str], dict] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        words, line_of_word = file_words(path)
        for start, h in enumerate(ngram_hashes(words, n)):
            if h not in index:
                continue
            key = (str(path.relative_to(data_dir)), line_of_word[start], index[h])
            hit = hits.setdefault(key, {"file": key[0], "line": key[1], "scenario_id": key[2], "n_shared_ngrams": 0,
                                        "first_ngram": " ".join(words[start:start + n])})
            hit["n_shared_ngrams"] += 1
    return list(hits.values())


__all__ = ["check_contamination", "normalize_words", "scenario_text"]
