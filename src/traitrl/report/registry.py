"""Report sections added by name: a stage registers a model and its renderers; write_report does the rest.

A registered section is passed like a built-in one (`write_report(sections={"<name>": {...}})`), validated by its
model, stored in report.json under `sections.extra.<name>` (so the committed schema does not change), and rendered
after the built-in sections in registration order: HTML as `<h2>title</h2>` plus its `html(model)`, markdown as
`## title` plus its `markdown(model)` lines. Renderers receive the validated model and must escape their own text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class SectionSpec:
    name: str
    title: str
    model: type[BaseModel]
    html: Callable[[Any], str]
    markdown: Callable[[Any], list[str]]


SECTIONS: dict[str, SectionSpec] = {}


def register_section(spec: SectionSpec) -> SectionSpec:
    from traitrl.report.sections import ReportSections

    if spec.name in SECTIONS or spec.name in ReportSections.model_fields:
        raise ValueError(f"report section {spec.name!r} is registered twice or is a built-in section")
    SECTIONS[spec.name] = spec
    return spec


def split_registered(sections: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict]]:
    """(built-in sections, registered sections validated and dumped to JSON-able dicts)."""
    builtin = {k: v for k, v in sections.items() if k not in SECTIONS}
    extra = {k: SECTIONS[k].model.model_validate(v).model_dump(mode="json")
             for k, v in sections.items() if k in SECTIONS}
    return builtin, extra


def rendered(extra: dict[str, dict]) -> list[tuple[SectionSpec, BaseModel]]:
    """The registered sections present, in registration order, each as its validated model."""
    return [(spec, spec.model.model_validate(extra[name])) for name, spec in SECTIONS.items() if name in extra]


def html_text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], note: str = "") -> str:
    """A registered section's table of plain-text cells (escaped here), with an optional note below it."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" + (
        f'<p class="note">{escape(note)}</p>' if note else "")


def markdown_text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *["| " + " | ".join(row) + " |" for row in rows]]
