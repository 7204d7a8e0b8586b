"""Report figures as PNG bytes. Uses matplotlib's object API (no pyplot), so no global backend or state is touched."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from traitrl.report.sections import MethodComparison, PersistenceSection
from traitrl.stats.models import Comparison
from traitrl.stats.summary import category_order
from traitrl.stats.sweep import DoseResponse, TransferMatrix

_DPI = 100
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _errors(values: list[float], lows: list[float | None], highs: list[float | None]) -> np.ndarray:
    """Asymmetric error-bar lengths; a missing bound draws no bar on that side, and neither does a bound on the
    wrong side of its estimate (a Wilson bound of 1 - 1e-16 at a rate of 1.0, or a percentile-bootstrap interval
    that excludes its point estimate), which matplotlib would reject as a negative length."""
    v = np.array(values, dtype=float)
    lo = np.array([x if x is not None else np.nan for x in lows], dtype=float)
    hi = np.array([x if x is not None else np.nan for x in highs], dtype=float)
    return np.clip(np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0), 0.0, None)


def forest_plot(comparison: Comparison) -> bytes:
    """Δ with item-level 95 % CI per benchmark, grouped by category; filled markers = Holm-significant."""
    bench_cat = {d.benchmark: d.category for arm in comparison.arms for d in arm.deltas}
    rows: list[tuple[str, str]] = []  # (category, benchmark) top to bottom, with a header row per category
    for cat in category_order(set(bench_cat.values())):
        rows.append((cat, ""))
        rows.extend((cat, b) for b in sorted(b for b, c in bench_cat.items() if c == cat))
    n_arms = len(comparison.arms)
    fig = Figure(figsize=(9, 1.2 + 0.26 * len(rows) * max(1.0, n_arms / 2)))
    ax = fig.add_subplot()
    y_of = {row: len(rows) - i for i, row in enumerate(rows)}
    for k, arm in enumerate(comparison.arms):
        offset = (k - (n_arms - 1) / 2) * 0.6 / max(n_arms, 1)
        for d in arm.deltas:
            y = y_of[(d.category, d.benchmark)] + offset
            significant = d.p_holm < comparison.alpha
            ax.errorbar(d.delta, y, xerr=_errors([d.delta], [d.ci_low], [d.ci_high]), fmt="o", ms=4,
                        color=_COLORS[k % len(_COLORS)], mfc=_COLORS[k % len(_COLORS)] if significant else "white",
                        elinewidth=1, capsize=2, label=arm.name if d is arm.deltas[0] else None)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks([y_of[r] for r in rows])
    ax.set_yticklabels([b or cat.upper() for cat, b in rows], fontsize=8)
    for label, (_, b) in zip(ax.get_yticklabels(), rows, strict=True):
        if not b:
            label.set_fontweight("bold")
    ax.set_ylim(0.3, len(rows) + 0.7)
    ax.set_xlabel(f"Δ vs {comparison.reference_name} (pp, positive = better; 95 % item-level bootstrap CI)")
    ax.set_title("Per-benchmark Δ (filled = significant after Holm)")
    ax.grid(axis="x", alpha=0.3)
    if n_arms > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: never hides a CI
    return _png(fig)


def _heatmap(ax, matrix: np.ndarray, rows: list[str], columns: list[str], text: list[list[str]], label: str) -> None:
    finite = matrix[np.isfinite(matrix)]
    vmax = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-9)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdBu", norm=TwoSlopeNorm(0.0, -vmax, vmax), aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i, row_text in enumerate(text):
        for j, t in enumerate(row_text):
            # White text on the dark ends of the colormap, black elsewhere, so every annotation stays legible.
            dark = np.isfinite(matrix[i, j]) and abs(matrix[i, j]) > 0.6 * vmax
            ax.text(j, i, t, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.8)


def category_heatmap(comparison: Comparison) -> bytes:
    """Arms × categories: mean Δ (pp), with improved/total and Holm-significant up/down counts."""
    cats = category_order({c.category for arm in comparison.arms for c in arm.summary.categories})
    matrix = np.full((len(comparison.arms), len(cats)), np.nan)
    text = [["" for _ in cats] for _ in comparison.arms]
    for i, arm in enumerate(comparison.arms):
        for c in arm.summary.categories:
            j = cats.index(c.category)
            matrix[i, j] = np.nan if c.mean_delta is None else c.mean_delta
            mean = "n/a" if c.mean_delta is None else f"{c.mean_delta:+.1f}"
            text[i][j] = (f"{mean}\n{c.n_improved}+ {c.n_worse}− {c.n_benchmarks - c.n_improved - c.n_worse}=\n"
                          f"↑{c.n_significant_better} ↓{c.n_significant_worse}")
    fig = Figure(figsize=(1.2 + 1.0 * len(cats), 1.4 + 0.8 * len(comparison.arms)))
    ax = fig.add_subplot()
    _heatmap(ax, matrix, [a.name for a in comparison.arms], cats, text, "mean Δ (pp)")
    ax.set_title("Category mean Δ; better+ worse− tied=; ↑↓ = significant (Holm)", fontsize=9)
    return _png(fig)


def dose_plot(dose: DoseResponse) -> bytes:
    """Share of benchmarks improved (and significantly) and mean Δ with item-level CI, against dose."""
    pts = dose.points
    x = [p.dose_frac * 100 for p in pts]
    fig = Figure(figsize=(10, 3.6))
    left, right = fig.subplots(1, 2)
    left.plot(x, [p.n_improved / p.n_benchmarks for p in pts], "o-", label="improved (point estimate)")
    left.plot(x, [p.n_significant_better / p.n_benchmarks for p in pts], "s--", label="significantly better (Holm)")
    left.plot(x, [p.n_significant_worse / p.n_benchmarks for p in pts], "v:", label="significantly worse (Holm)")
    left.set_ylim(0, 1)
    left.set_ylabel("share of benchmarks")
    left.legend(fontsize=7)
    with_mean = [p for p in pts if p.mean_delta is not None]
    right.errorbar([p.dose_frac * 100 for p in with_mean], [p.mean_delta for p in with_mean],
                   yerr=_errors([p.mean_delta for p in with_mean], [p.mean_delta_ci_low for p in with_mean],
                                [p.mean_delta_ci_high for p in with_mean]), fmt="o-", capsize=3,
                   label="item-level 95 % CI")
    seeded = [p for p in with_mean if p.seed_mean_delta_ci_low is not None]
    if seeded:
        right.errorbar([p.dose_frac * 100 + 0.15 for p in seeded], [p.mean_delta for p in seeded],
                       yerr=_errors([p.mean_delta for p in seeded], [p.seed_mean_delta_ci_low for p in seeded],
                                    [p.seed_mean_delta_ci_high for p in seeded]), fmt="none", capsize=3,
                       color="gray", label="across-seed 95 % interval")
    right.axhline(0, color="black", lw=0.8)
    right.set_ylabel("mean Δ (pp)")
    right.legend(fontsize=7)
    for ax in (left, right):
        ax.set_xlabel("trait dose (% of RL prompts)")
        ax.grid(alpha=0.3)
    return _png(fig)


def transfer_plot(matrix: TransferMatrix) -> bytes:
    """Training-domain arms × eval columns: mean Δ, * = significant after Holm over all cells."""
    grid = np.full((len(matrix.rows), len(matrix.columns)), np.nan)
    text = [["" for _ in matrix.columns] for _ in matrix.rows]
    for c in matrix.cells:
        i, j = matrix.rows.index(c.row), matrix.columns.index(c.column)
        grid[i, j] = c.mean_delta
        text[i][j] = f"{c.mean_delta:+.1f}{'*' if c.significant else ''}"
    rows = [f"{r} ({'+'.join(matrix.row_domains[r]) or 'none'})" for r in matrix.rows]
    fig = Figure(figsize=(1.5 + 0.9 * len(matrix.columns), 1.4 + 0.5 * len(rows)))
    ax = fig.add_subplot()
    _heatmap(ax, grid, rows, matrix.columns, text, "mean Δ (pp)")
    ax.set_title(f"Transfer: training domains × eval {matrix.by}; * = Holm-significant", fontsize=9)
    return _png(fig)


def persistence_plot(section: PersistenceSection) -> bytes:
    """Erosion of the trait score and ASR under harmful SFT, and ASR per attack family."""
    has_bars = bool(section.attack_asr)
    fig = Figure(figsize=(14 if has_bars else 10, 3.6))
    axes = fig.subplots(1, 3 if has_bars else 2)
    for k, curve in enumerate(section.curves):
        color = _COLORS[k % len(_COLORS)]
        steps = [p.step for p in curve.points]
        for ax, value, lo, hi in ((axes[0], "trait_score", "trait_ci_low", "trait_ci_high"),
                                  (axes[1], "asr", "asr_ci_low", "asr_ci_high")):
            vals = [getattr(p, value) for p in curve.points]
            ax.errorbar(steps, vals, yerr=_errors(vals, [getattr(p, lo) for p in curve.points],
                                                  [getattr(p, hi) for p in curve.points]),
                        fmt="o-", color=color, capsize=2, label=curve.model)
        prefs = [p.pref_score for p in curve.points]
        if None not in prefs:
            axes[0].errorbar(steps, prefs, yerr=_errors(prefs, [p.pref_ci_low for p in curve.points],
                                                        [p.pref_ci_high for p in curve.points]),
                             fmt="s--", color=color, capsize=2, label=f"{curve.model} (preference)")
    axes[0].set_ylabel(section.trait_metric)
    axes[1].set_ylabel("attack success rate (lower = better)")
    for ax in axes[:2]:
        ax.set_xlabel("harmful-SFT steps")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if has_bars:
        families = sorted({a.family for a in section.attack_asr})
        models = list(dict.fromkeys(a.model for a in section.attack_asr))
        width = 0.8 / len(models)
        for k, model in enumerate(models):
            rows = {a.family: a for a in section.attack_asr if a.model == model}
            xs = [i + k * width for i, f in enumerate(families) if f in rows]
            vals = [rows[f].asr for f in families if f in rows]
            axes[2].bar(xs, vals, width, color=_COLORS[k % len(_COLORS)], label=model,
                        yerr=_errors(vals, [rows[f].ci_low for f in families if f in rows],
                                     [rows[f].ci_high for f in families if f in rows]), capsize=2)
        axes[2].set_xticks([i + 0.4 - width / 2 for i in range(len(families))], families, rotation=30, ha="right")
        axes[2].set_ylabel("ASR per attack family")
        axes[2].legend(fontsize=7)
    return _png(fig)


def methods_plot(section: MethodComparison) -> bytes:
    """Each method's value per row (category or persistence metric) with its interval."""
    fig = Figure(figsize=(max(6.0, 1.1 * len(section.rows) + 2), 3.8))
    ax = fig.add_subplot()
    width = 0.8 / len(section.methods)
    for k, method in enumerate(section.methods):
        cells = [(i, c) for i, row in enumerate(section.rows) for c in row.cells if c.method == method]
        vals = [c.value for _, c in cells]
        ax.bar([i + k * width for i, _ in cells], vals, width, color=_COLORS[k % len(_COLORS)], label=method,
               yerr=_errors(vals, [c.ci_low for _, c in cells], [c.ci_high for _, c in cells]), capsize=2)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(section.rows))],
                  [f"{r.name}\n({r.unit})" for r in section.rows], rotation=30, ha="right", fontsize=7)
    ax.axhline(0, color="black", lw=0.8)
    ax.legend(fontsize=7)
    ax.set_title("Method side-by-side (see table for winner and significance)", fontsize=9)
    return _png(fig)
