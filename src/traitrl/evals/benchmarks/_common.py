"""Readers that keep line numbers, so a malformed row raises DataError naming file:line, and the A/B item builder."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from traitrl._util.errors import DataError
from traitrl.evals.benchmark import MCItem
from traitrl.evals.mc import swap_options

# Prompt of lm-eval's advanced_ai_risk tasks, used for every A/B set here (its scores were checked against lm-eval's).
HUMAN_ASSISTANT = "Human: {question}\n\nAssistant:"


def iter_json_array(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number where the element starts, element) for a file holding one JSON array of objects."""
    text = path.read_text(encoding="utf-8") if path.is_file() else None
    if text is None:
        raise DataError(f"{path}: file not found")
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    lineno, counted = 1, 0  # line numbers advance incrementally: counting from 0 each time is quadratic

    def line_at(p: int) -> int:
        nonlocal lineno, counted
        lineno += text.count("\n", counted, p)
        counted = p
        return lineno

    if text[pos:pos + 1] != "[":
        raise DataError(f"{path}:{line_at(pos)}: expected a JSON array of objects")
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        start = line_at(pos)
        if pos >= len(text):
            raise DataError(f"{path}:{start}: unterminated JSON array")
        if text[pos] == "]":
            return
        try:
            row, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{start}: expected a JSON object, got {type(row).__name__}")
        yield start, row


def iter_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number where the record starts, row) for a CSV file with a header line."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:  # reading the header here makes line_num count it
            raise DataError(f"{path}:1: empty CSV file, expected a header line")
        start = reader.line_num + 1
        for row in reader:
            extra, values = row.pop(None, []), [v for v in row.values() if v is not None]
            if extra or len(values) != len(reader.fieldnames):
                raise DataError(f"{path}:{start}: row has {len(values) + len(extra)} fields, the header has "
                                f"{len(reader.fieldnames)}")
            yield start, row
            start = reader.line_num + 1


def require(row: dict, fields: dict[str, type | tuple[type, ...]], where: str) -> None:
    """Check that `row` has each field with the given type(s); `where` is "file:line"."""
    for name, kind in fields.items():
        if name not in row:
            raise DataError(f"{where}: missing field {name!r} (has {', '.join(sorted(row)) or 'none'})")
        if not isinstance(row[name], kind):
            wanted = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise DataError(f"{where}: field {name!r} should be {wanted}, got {type(row[name]).__name__}")


def ab_item(item_id: str, question: str, matching: str, not_matching: str, desirable: str, where: str,
            template: str = HUMAN_ASSISTANT, meta: dict[str, Any] | None = None) -> MCItem:
    """A counterbalanced letter item: choices are the two scored letters in order, gold the desirable one.

    `matching`/`not_matching` are letters like " (A)" or "(B)"; `desirable` is "matching" or "not_matching".
    The twin with the two options' texts swapped goes into meta["swapped_context"] (see evals.mc).
    """
    letters = []
    for answer in (matching, not_matching):
        letter = answer.strip()
        if len(letter) != 3 or letter[0] != "(" or letter[2] != ")" or not letter[1].isupper():
            raise DataError(f"{where}: answer {answer!r} is not a letter option like ' (A)'")
        letters.append(letter[1])
    if letters[0] == letters[1]:
        raise DataError(f"{where}: matching and not-matching answers are the same letter ({letters[0]})")
    swapped = swap_options(question, *letters)
    if swapped is None:
        raise DataError(f"{where}: options ({letters[0]}) and ({letters[1]}) are not each listed once on their own "
                        "line as '(X) text'")
    first, second = sorted(letters)
    wanted = letters[0] if desirable == "matching" else letters[1]
    return MCItem(id=item_id, context=template.format(question=question),
                  choices=[f" ({first})", f" ({second})"], gold=[0 if wanted == first else 1],
                  meta={**(meta or {}), "swapped_context": template.format(question=swapped)})
