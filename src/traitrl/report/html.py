"""report.html: one self-contained page (PNG figures inlined as base64, inline CSS and a small sort script).

Order: headline, forest plot, category heatmap, the optional sections that have inputs, the sortable per-benchmark
table, then notes on uncertainty and on anything not compared.
"""

from __future__ import annotations

import base64
from html import escape
from importlib import resources
from string import Template

from traitrl.report.controls import control_tables
from traitrl.report.registry import rendered
from traitrl.report.sections import ComputeSection, ReportDocument
from traitrl.stats.models import BenchmarkDelta, Comparison


def _fmt(x: float | None, spec: str = "+.2f") -> str:
    return "–" if x is None else format(x, spec)


def format_p(x: float) -> str:
    """Two significant digits; below 1e-4 the permutation resolution makes more digits meaningless."""
    return f"{x:.2g}" if x >= 1e-4 else "<1e-4"


def _figure(png: bytes, title: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{escape(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{escape(title)}.</b> {escape(caption)}</figcaption></figure>")


def _table(headers: list[str], rows: list[list[tuple[str, str | float | None]]], classes: list[str] | None = None,
           text_cols: int = 0) -> str:
    """A sortable table. Each cell is (shown text, sort value or None); the first `text_cols` columns are text."""
    head = "".join(f'<th class="{"text" if i < text_cols else ""}">{escape(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        css = f' class="{classes[r]}"' if classes and classes[r] else ""
        cells = "".join(
            f'<td class="{"text" if i < text_cols else ""}{" delta" if headers[i].startswith("Δ") else ""}"'
            + ("" if value is None else f' data-value="{escape(str(value))}"') + f">{escape(shown)}</td>"
            for i, (shown, value) in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    return (f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def mde_text(mde: float | None) -> str:
    return "unattainable" if mde is None else f"{mde:.1f}"


def primary_lines(comparison: Comparison) -> list[str]:
    """Per arm: the pre-registered primary endpoint, the held-out trait endpoint, then the capability
    non-inferiority outcome per benchmark."""
    lines = []
    for arm in comparison.arms:
        cap = arm.summary.capability
        for p in (arm.summary.primary, arm.summary.trait_endpoint):
            if p is None or p.estimate is None:
                continue
            test = "t-test of one arm run against the reference runs" if p.one_arm_run else "paired t-test"
            hier = ("" if p.hier_ci_low is None
                    else f"; hierarchical bootstrap {_fmt(p.hier_ci_low)} to {_fmt(p.hier_ci_high)}")
            extra = "" if p.seed_p_value is None else f"; seed-level {test} p = {p.seed_p_value:.3g}{hier}"
            lines.append(f"{arm.name}: {p.definition} = {p.estimate:+.2f} (95 % {p.ci_low:+.2f} to {p.ci_high:+.2f}; "
                         f"{p.interval}; MDE {mde_text(p.mde)}; {p.n_benchmarks} benchmarks, {p.n_seeds} seed(s)"
                         f"{extra}).")
        lines += [f"{arm.name} capability {r.benchmark}: Δ {r.delta:+.2f} pp, {cap.interval} {r.ci_low:+.2f} to "
                  f"{r.ci_high:+.2f} vs margin {cap.margin_pp:+g} pp → {r.outcome}." for r in cap.results]
    return lines


def _delta_row(arm: str, d: BenchmarkDelta) -> list[tuple[str, str | float | None]]:
    seed = ("–" if d.seed_ci_low is None else f"{d.seed_ci_low:+.2f} to {d.seed_ci_high:+.2f}")
    return [(arm, None), (d.category, None), (d.benchmark, None), (f"{d.delta:+.2f}", d.delta),
            (f"{d.ci_low:+.2f} to {d.ci_high:+.2f}", d.ci_low), (mde_text(d.mde), d.mde), (d.unit, None),
            (DIRECTION[d.direction], None), (format_p(d.p_value), d.p_value),
            (format_p(d.p_holm), d.p_holm), (format_p(d.p_bh), d.p_bh), (d.test, None), (seed, d.seed_ci_low),
            (f"{d.reference_score:.3f}", d.reference_score), (f"{d.arm_score:.3f}", d.arm_score),
            (str(d.n_paired), d.n_paired),
            (f"{d.n_unpaired_reference}/{d.n_unpaired_arm}", d.n_unpaired_reference + d.n_unpaired_arm),
            (f"{d.n_errors_reference}/{d.n_errors_arm}", d.n_errors_reference + d.n_errors_arm)]


DIRECTION = {"both": "both", "up_only": "gain only (floor)", "down_only": "loss only (ceiling)"}
DELTA_HEADERS = ["arm", "category", "benchmark", "Δ", "95 % CI (items)", "MDE", "unit", "assessable", "p", "p Holm",
                 "p BH", "test",
                 "95 % interval (seeds)", "reference", "arm score", "n paired", "unpaired ref/arm",
                 "errors ref/arm"]


def delta_table(comparison: Comparison) -> str:
    rows, classes = [], []
    for arm in comparison.arms:
        for d in arm.deltas:
            rows.append(_delta_row(arm.name, d))
            sig = d.p_holm < comparison.alpha
            classes.append("sig-better" if sig and d.delta > 0 else "sig-worse" if sig and d.delta < 0 else "")
    return _table(DELTA_HEADERS, rows, classes, text_cols=3)


def _persistence_tables(doc: ReportDocument) -> str:
    sec = doc.sections.persistence
    parts = []
    if any(p.pref_score is not None for c in sec.curves for p in c.points):
        def ci(lo, hi):
            return (f"{_fmt(lo, '.2f')} to {_fmt(hi, '.2f')}", lo)
        trends = [f"{c.model}: preference score {c.pref_trend.direction} from step {c.points[0].step} to "
                  f"{c.points[-1].step} ({c.pref_trend.change:+.3f}, 95 % CI {c.pref_trend.ci_low:+.3f} to "
                  f"{c.pref_trend.ci_high:+.3f}, {c.pref_trend.n_items} items)" for c in sec.curves if c.pref_trend]
        parts.append("<h3>Erosion under harmful fine-tuning</h3>" + _table(
            ["model", "step", "trait score", "95 % CI", "preference score", "95 % CI", "ASR"],
            [[(c.model, None), (str(p.step), p.step), (f"{p.trait_score:.2f}", p.trait_score),
              ci(p.trait_ci_low, p.trait_ci_high), (_fmt(p.pref_score, ".2f"), p.pref_score),
              ci(p.pref_ci_low, p.pref_ci_high), (f"{p.asr:.2f}", p.asr)] for c in sec.curves for p in c.points],
            text_cols=1) + f'<p class="note">Trait score: {escape(sec.trait_metric)}. Preference score: '
            f'{escape(sec.preference_metric)}. {escape("; ".join(trends))}{"." if trends else ""}</p>')
    if sec.pressure_drops:
        parts.append("<h3>Pressure drops</h3>" + _table(
            ["model", "pressure", "before", "after", "drop", "95 % CI", "p"],
            [[(p.model, None), (p.pressure, None), (f"{p.score_before:.3f}", p.score_before),
              (f"{p.score_after:.3f}", p.score_after), (f"{p.drop:+.3f}", p.drop),
              (f"{_fmt(p.ci_low, '+.3f')} to {_fmt(p.ci_high, '+.3f')}", p.ci_low),
              ("–" if p.p_value is None else format_p(p.p_value), p.p_value)] for p in sec.pressure_drops],
            text_cols=2))
    if sec.selective_persistence:
        parts.append("<h3>Selective-persistence index</h3>" + _table(
            ["model", "index", "95 % CI"],
            [[(s.model, None), (f"{s.index:.3f}", s.index),
              (f"{_fmt(s.ci_low, '.3f')} to {_fmt(s.ci_high, '.3f')}", s.ci_low)] for s in sec.selective_persistence],
            text_cols=1) + f'<p class="note">{escape(sec.selective_persistence_definition)}</p>')
    return "".join(parts)


def _methods_table(doc: ReportDocument) -> str:
    sec = doc.sections.methods
    rows = []
    for r in sec.rows:
        by_method = {c.method: c for c in r.cells}
        rows.append([(r.kind, None), (r.name, None), (r.unit, None)]
                    + [(_fmt(by_method[m].value) if m in by_method else "–",
                        by_method[m].value if m in by_method else None) for m in sec.methods]
                    + [(r.winner or "tie", None), ("–" if r.p_value is None else format_p(r.p_value), r.p_value),
                       ("yes" if r.significant else "no", None)])
    return (_table(["kind", "row", "unit", *sec.methods, "winner", "p", "significant"], rows, text_cols=3)
            + f'<p class="note">Test: {escape(sec.test)}</p>')


def _num(value: float | None, fmt: str = ",.0f") -> str:
    return "–" if value is None else format(value, fmt)


def compute_rows(sec: ComputeSection) -> tuple[list[str], list[list[str]]]:
    headers = ["arm", "optimizer steps", "of which SFT", "prompts/step", "generations", "completion cap",
               "max generated tokens", "steps run", "prompt tokens", "generated tokens", "mean grad norm",
               "zero-std groups", "KL", "train s", "beyond tolerance"]
    rows = [[a.arm, str(a.optimizer_steps), str(a.sft_steps_within_budget), str(a.prompts_per_step),
             str(a.num_generations), str(a.max_completion_tokens), f"{a.max_generated_tokens:,}",
             _num(a.steps_run), _num(a.prompt_tokens), _num(a.generated_tokens), _num(a.grad_norm, ".3g"),
             _num(a.zero_std_fraction, ".0%"), _num(a.kl, ".3g"), _num(a.wall_seconds),
             "; ".join(a.mismatches) or "–"] for a in sec.arms]
    return headers, rows


def compute_verdict(sec: ComputeSection) -> str:
    budget = ("Pre-flight: every arm had the same optimizer steps, prompts per step, generations and completion cap."
              if sec.matched else "WARNING: the arms' configured budgets differ.")
    if sec.measured_matched is None:
        return budget + " Nothing was measured from the runs."
    tol = ", ".join(f"{k} ±{v:.0%}" for k, v in sec.tolerance.items())
    return budget + (" As run, every measured quantity is within tolerance of its reference run"
                     if sec.measured_matched else " WARNING: as run, the arms are NOT compute-matched") + f" ({tol})."


def _compute_table(doc: ReportDocument) -> str:
    headers, rows = compute_rows(doc.sections.compute)
    verdict = compute_verdict(doc.sections.compute)
    return (f'<p class="note">{escape(verdict)}</p>'
            + _table(headers, [[(c, None) for c in r] for r in rows], text_cols=1))


def _notes(comparison: Comparison) -> str:
    items = [f"<li><b>{escape(k)}</b>: {escape(v)}</li>" for k, v in comparison.uncertainty.items()]
    for arm in comparison.arms:
        for m in arm.missing:
            items.append(f'<li class="warn">{escape(arm.name)}: benchmark {escape(m.benchmark)} not compared; '
                         f"absent from {escape(', '.join(m.absent_from))}</li>")
        unpaired = sum(d.n_unpaired_reference + d.n_unpaired_arm for d in arm.deltas)
        errors = sum(d.n_errors_reference + d.n_errors_arm for d in arm.deltas)
        items.append(f"<li>{escape(arm.name)}: {unpaired} unpaired and {errors} errored items excluded from "
                     f"pairing (per-benchmark counts in the table); runs: {escape(', '.join(arm.runs))}</li>")
    items.append(f"<li>Reference: {escape(comparison.reference)}; bootstrap resamples {comparison.n_boot}, "
                 f"permutations {comparison.n_perm}, seed {comparison.seed}, alpha {comparison.alpha:g}.</li>")
    return "<h2>Notes</h2><ul class=\"note\">" + "".join(items) + "</ul>"


def render_html(doc: ReportDocument, figures: dict[str, bytes]) -> str:
    """The page for `doc`; `figures` maps each FigureInfo id in doc.figures to its PNG bytes."""
    comparison = doc.comparison
    info = {f.id: f for f in doc.figures}
    fig = {fid: _figure(png, info[fid].title, info[fid].caption) for fid, png in figures.items()}
    body = [f"<h1>{escape(comparison.arms[0].name)} vs {escape(comparison.reference_name)}</h1>",
            f'<p class="headline">{escape(doc.headline)}</p>']
    body += [f'<p class="headline secondary">{escape(a.summary.headline)}</p>' for a in comparison.arms[1:]]
    body += ["<h2>Pre-registered endpoints (battery, held-out traits) and capability non-inferiority</h2>",
             '<ul class="note">' + "".join(f"<li>{escape(line)}</li>" for line in primary_lines(comparison))
             + "</ul>"]
    body += [fig["forest"], fig["categories"]]
    if doc.sections.dose_response:
        body += ["<h2>Dose–response</h2>", fig["dose_response"]]
    if doc.sections.transfer_matrix:
        body += ["<h2>Domain transfer</h2>", fig["transfer_matrix"]]
    if doc.sections.persistence:
        body += ["<h2>Persistence</h2>", fig["persistence"], _persistence_tables(doc)]
    if doc.sections.methods:
        body += ["<h2>Method side-by-side</h2>", fig["methods"], _methods_table(doc)]
    for title, caption, headers, rows in control_tables(doc.sections):
        body += [f"<h2>{escape(title)}</h2>", f'<p class="note">{escape(caption)}</p>',
                 _table(headers, [[(c, None) for c in r] for r in rows], text_cols=1)]
    if doc.sections.compute:
        body += ["<h2>Compute matching</h2>", _compute_table(doc)]
    for spec, section in rendered(doc.sections.extra):
        body += [f"<h2>{escape(spec.title)}</h2>", spec.html(section)]
    body += ["<h2>All benchmarks</h2>", '<p class="note">Click a column header to sort. Bold green/red: '
             "significant after Holm adjustment within the arm. MDE: minimum detectable effect at the configured "
             "power after the correction, in the Δ's unit.</p>", delta_table(comparison), _notes(comparison)]
    template = Template(resources.files("traitrl.report").joinpath("templates/report.html").read_text("utf-8"))
    return template.substitute(title=escape(f"traitrl report: {comparison.arms[0].name} vs "
                                            f"{comparison.reference_name}"), body="\n".join(body))
