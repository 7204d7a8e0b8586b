"""report.md: the same headline and per-benchmark table as report.html, for reading in a terminal or a PR."""

from __future__ import annotations

from traitrl.report.controls import control_tables
from traitrl.report.html import DIRECTION, compute_rows, compute_verdict, format_p, mde_text, primary_lines
from traitrl.report.registry import rendered
from traitrl.report.sections import ReportDocument


def render_markdown(doc: ReportDocument) -> str:
    c = doc.comparison
    lines = [f"# {c.arms[0].name} vs {c.reference_name}", "", doc.headline, ""]
    lines += [f"- {a.summary.headline}" for a in c.arms[1:]]
    lines += ["", "## Pre-registered endpoints (battery, held-out traits) and capability non-inferiority", ""]
    lines += [f"- {line}" for line in primary_lines(c)]
    lines += ["", "Figures (forest plot, category heatmap, optional sections) are in report.html.", "",
              "| arm | category | benchmark | Δ | 95 % CI (items) | MDE | unit | assessable | p | p Holm | p BH | "
              "test | 95 % interval (seeds) | n paired | unpaired ref/arm | errors ref/arm |",
              "|" + "---|" * 16]
    for arm in c.arms:
        for d in arm.deltas:
            seed = "–" if d.seed_ci_low is None else f"{d.seed_ci_low:+.2f} to {d.seed_ci_high:+.2f}"
            delta = f"**{d.delta:+.2f}**" if d.p_holm < c.alpha else f"{d.delta:+.2f}"
            lines.append(f"| {arm.name} | {d.category} | {d.benchmark} | {delta} | "
                         f"{d.ci_low:+.2f} to {d.ci_high:+.2f} | {mde_text(d.mde)} | {d.unit} | "
                         f"{DIRECTION[d.direction]} | {format_p(d.p_value)} | "
                         f"{format_p(d.p_holm)} | {format_p(d.p_bh)} | {d.test} | {seed} | {d.n_paired} | "
                         f"{d.n_unpaired_reference}/{d.n_unpaired_arm} | {d.n_errors_reference}/{d.n_errors_arm} |")
    lines += ["", "Bold Δ: significant after Holm adjustment within the arm.", "", "## Per category", "",
              "| arm | category | n | improved | better (Holm) | worse (Holm) | mean Δ (pp) | 95 % CI (items) | MDE |",
              "|" + "---|" * 9]
    for arm in c.arms:
        for cat in arm.summary.categories:
            mean = "–" if cat.mean_delta is None else f"{cat.mean_delta:+.2f}"
            ci = "–" if cat.mean_delta is None else f"{cat.mean_delta_ci_low:+.2f} to {cat.mean_delta_ci_high:+.2f}"
            lines.append(f"| {arm.name} | {cat.category} | {cat.n_benchmarks} | {cat.n_improved} | "
                         f"{cat.n_significant_better} | {cat.n_significant_worse} | {mean} | {ci} | "
                         f"{'–' if cat.mde is None else f'{cat.mde:.1f}'} |")
    for title, caption, headers, rows in control_tables(doc.sections):
        lines += ["", f"## {title}", "", caption, "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    if doc.sections.compute:
        headers, rows = compute_rows(doc.sections.compute)
        lines += ["", "## Compute matching", "", compute_verdict(doc.sections.compute), "",
                  "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    for spec, section in rendered(doc.sections.extra):
        lines += ["", f"## {spec.title}", "", *spec.markdown(section)]
    lines += ["", "## Uncertainty", ""]
    lines += [f"- **{k}**: {v}" for k, v in c.uncertainty.items()]
    missing = [(a.name, m) for a in c.arms for m in a.missing]
    if missing:
        lines += ["", "## Not compared", ""]
        lines += [f"- {name}: {m.benchmark} absent from {', '.join(m.absent_from)}" for name, m in missing]
    return "\n".join(lines) + "\n"
