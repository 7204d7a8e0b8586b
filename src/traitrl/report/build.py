"""write_report: a comparison (plus optional sections) → report.html, report.json and report.md, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from traitrl._util.errors import DataError
from traitrl._util.io import write_json_atomic, write_text_atomic
from traitrl._util.manifest import package_versions
from traitrl.report import plots
from traitrl.report.html import render_html
from traitrl.report.markdown import render_markdown
from traitrl.report.registry import split_registered
from traitrl.report.sections import FigureInfo, ReportDocument, ReportSections
from traitrl.stats.models import Comparison
from traitrl.stats.sweep import dose_response, transfer_matrix

_ITEM_CI = "item-level 95 % paired bootstrap CI"


def build_sections(comparison: Comparison, sections: dict[str, Any] | ReportSections | None) -> ReportSections:
    """Validate given sections; fill dose–response and transfer matrix from arm metadata when not given.

    The dose view needs at least two arms with a dose (one point is not a curve); the transfer view needs one arm
    with training domains.
    """
    try:
        if isinstance(sections, ReportSections):
            given = sections
        else:
            builtin, extra = split_registered(dict(sections or {}))
            given = ReportSections.model_validate({**builtin, "extra": {**builtin.get("extra", {}), **extra}})
    except ValidationError as e:
        raise DataError(f"report sections are malformed (see docs/report.md): {e}") from None
    arms = comparison.arms
    if given.dose_response is None and sum(a.meta.dose_frac is not None for a in arms) >= 2:
        given.dose_response = dose_response(comparison)
    if given.transfer_matrix is None and any(a.meta.domains is not None for a in arms):
        given.transfer_matrix = transfer_matrix(comparison, alpha=comparison.alpha)
    return given


def _figures(comparison: Comparison, sections: ReportSections) -> tuple[list[FigureInfo], dict[str, bytes]]:
    ref = comparison.reference_name
    specs: list[tuple[FigureInfo, Any]] = [
        (FigureInfo(id="forest", title="Δ per benchmark",
                    caption=f"Δ vs {ref} in pp (positive = better), {_ITEM_CI}; filled markers are significant after "
                            "Holm adjustment over the arm's benchmarks."), lambda: plots.forest_plot(comparison)),
        (FigureInfo(id="categories", title="Category heatmap",
                    caption="Mean Δ per arm and category (pp; binary benchmarks assessable both ways); better+ worse− "
                            "tied= by point estimate; ↑/↓ count "
                            "benchmarks significantly better/worse after Holm."),
         lambda: plots.category_heatmap(comparison))]
    if sections.dose_response:
        specs.append((FigureInfo(id="dose_response", title="Dose–response",
                                 caption="Share of benchmarks improved (point estimate) and significantly "
                                         f"better/worse (Holm) per dose; mean Δ with {_ITEM_CI} combined over "
                                         "benchmarks (gray: across-seed interval where seeds exist)."),
                      lambda: plots.dose_plot(sections.dose_response)))
    if sections.transfer_matrix:
        specs.append((FigureInfo(id="transfer_matrix", title="Domain transfer matrix",
                                 caption="Mean Δ (pp) per training-domain arm and eval column; * = significant "
                                         "after Holm over all cells (normal test from item-level bootstrap SEs)."),
                      lambda: plots.transfer_plot(sections.transfer_matrix)))
    if sections.persistence:
        specs.append((FigureInfo(id="persistence", title="Persistence under harmful fine-tuning",
                                 caption="Trait score and attack success rate vs harmful-SFT steps per model; ASR "
                                         "per attack family. Intervals as supplied by the persistence suite."),
                      lambda: plots.persistence_plot(sections.persistence)))
    if sections.methods:
        specs.append((FigureInfo(id="methods", title="Method side-by-side",
                                 caption=f"Value per method and row with supplied intervals. {sections.methods.test}"),
                      lambda: plots.methods_plot(sections.methods)))
    return [info for info, _ in specs], {info.id: draw() for info, draw in specs}


def write_report(comparison: Comparison, out_dir: str | Path,
                 sections: dict[str, Any] | ReportSections | None = None) -> dict[str, Path]:
    """Write report.html, report.json (validates against report.schema.json) and report.md into `out_dir`."""
    out_dir = Path(out_dir)
    full = build_sections(comparison, sections)
    infos, pngs = _figures(comparison, full)
    doc = ReportDocument(traitrl_version=package_versions(("traitrl",))["traitrl"], headline=comparison.headline,
                         comparison=comparison, sections=full, figures=infos)
    # Render everything before writing anything, so a rendering bug cannot leave a mixed old/new set of files.
    html, md, data = render_html(doc, pngs), render_markdown(doc), doc.model_dump(mode="json")
    return {"html": write_text_atomic(out_dir / "report.html", html),
            "json": write_json_atomic(out_dir / "report.json", data),
            "md": write_text_atomic(out_dir / "report.md", md)}
