"""Shared pieces of the generative benchmarks: line-numbered CSV/table readers, project data, refusal scorers.

HARMFUL_LABEL marks benchmarks whose prompts are harmful text: runners must not print their prompts or replies by
default (project rule), only scores.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import GenItem
from traitrl.evals.refusal import is_refusal

HARMFUL_LABEL = "harmful_text"


def iter_csv(path: Path, required: tuple[str, ...], delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row); a missing column or an empty required value raises DataError naming file:line."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}:1: missing column(s) {missing}; found {reader.fieldnames}")
        for row in reader:
            # line_num is the reader's position after the record, which is the record's last line
            empty = [c for c in required if not (row.get(c) or "").strip()]
            if empty:
                raise DataError(f"{path}:{reader.line_num}: empty value in column(s) {empty}")
            yield reader.line_num, row


def project_data_path(name: str) -> Path:
    """A table written for this project, shipped as package data (evals/benchmarks/data/)."""
    return Path(__file__).resolve().parent / "data" / name


def read_project_table(name: str, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    path = project_data_path(name)
    rows = []
    for lineno, row in iter_jsonl(path):
        missing = [k for k in required if k not in row]
        if missing:
            raise DataError(f"{path}:{lineno}: missing key(s) {missing}")
        rows.append((lineno, row))
    return rows


def user_item(item_id: str, prompt: str, target=None, **meta) -> GenItem:
    return GenItem(id=item_id, messages=[{"role": "user", "content": prompt}], target=target, meta=meta)


def refusal_score(item: GenItem, response: str) -> float:
    return float(is_refusal(response))


def compliance_score(item: GenItem, response: str) -> float:
    return float(not is_refusal(response))


_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def parse_numbers(text: str) -> list[float]:
    return [float(m.replace(",", "")) for m in _NUMBER.findall(text)]


def normalize_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("\u2019", "'")).strip()


def mentions_any(text: str, phrases: list[str] | tuple[str, ...]) -> bool:
    norm = normalize_text(text)
    return any(normalize_text(p) in norm for p in phrases)
