"""Persistence figures from the section dict: erosion curves, ASR per attack family, pressure drops, the index."""

from __future__ import annotations

import io
from pathlib import Path

from traitrl._util.io import write_bytes_atomic


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    """Render to memory, then write atomically: a kill mid-save never leaves a truncated PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    write_bytes_atomic(path, buf.getvalue())


def _grouped_bars(ax, rows: list[dict], group: str, value: str, lo: str, hi: str) -> None:
    models = list(dict.fromkeys(r["model"] for r in rows))
    groups = list(dict.fromkeys(r[group] for r in rows))
    width = 0.8 / max(1, len(models))
    for m_i, model in enumerate(models):
        by = {r[group]: r for r in rows if r["model"] == model}
        xs = [g_i + m_i * width for g_i, g in enumerate(groups) if g in by]
        vals = [by[g][value] for g in groups if g in by]
        errs = [[max(0.0, by[g][value] - (by[g][lo] if by[g].get(lo) is not None else by[g][value])) for g in groups
                 if g in by],
                [max(0.0, (by[g][hi] if by[g].get(hi) is not None else by[g][value]) - by[g][value]) for g in groups
                 if g in by]]
        ax.bar(xs, vals, width, yerr=errs, capsize=2, label=model)
    ax.set_xticks([g_i + 0.4 - width / 2 for g_i in range(len(groups))])
    ax.set_xticklabels(groups, rotation=30, ha="right", fontsize=8)
    ax.legend(fontsize=8)


def plot_erosion(section: dict, path: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for curve in section["curves"]:
        steps = [p["step"] for p in curve["points"]]
        for ax, key in zip(axes, ("trait", "asr"), strict=True):
            mean = [p["trait_score" if key == "trait" else "asr"] for p in curve["points"]]
            line, = ax.plot(steps, mean, marker="o", label=curve["model"])
            lo = [p[f"{key}_ci_low"] for p in curve["points"]]
            hi = [p[f"{key}_ci_high"] for p in curve["points"]]
            if None not in lo and None not in hi:
                ax.fill_between(steps, lo, hi, alpha=0.15, color=line.get_color())
            prefs = [p.get("pref_score") for p in curve["points"]]
            if key == "trait" and None not in prefs:
                ax.plot(steps, prefs, marker="s", linestyle="--", color=line.get_color(),
                        label=f"{curve['model']} (preference)")
                lo = [p.get("pref_ci_low") for p in curve["points"]]
                hi = [p.get("pref_ci_high") for p in curve["points"]]
                if None not in lo and None not in hi:
                    ax.fill_between(steps, lo, hi, alpha=0.08, color=line.get_color())
    axes[0].set(title="Trait score under harmful fine-tuning", xlabel="SFT steps on trait-violating data",
                ylabel=section["trait_metric"] if not any("pref_score" in p for c in section["curves"]
                                                          for p in c["points"])
                else "held-out trait score (0-1): rubric (solid), likelihood preference (dashed)")
    axes[1].set(title="ASR of bare harmful requests", xlabel="SFT steps on trait-violating data",
                ylabel="attack success rate", ylim=(0, 1))
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def plot_bars(rows: list[dict], group: str, value: str, title: str, ylabel: str, path: Path) -> Path | None:
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len({r[group] for r in rows}) + 3), 4))
    _grouped_bars(ax, rows, group, value, "ci_low", "ci_high")
    ax.set(title=title, ylabel=ylabel)
    ax.axhline(0, color="black", linewidth=0.5)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def plot_all(section: dict, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [plot_erosion(section, out_dir / "erosion.png"),
             plot_bars(section["attack_asr"], "family", "asr", "Attack success rate by family (95 % Wilson CI)",
                       "ASR (lower is better)", out_dir / "asr.png"),
             plot_bars(section["pressure_drops"], "pressure", "drop", "Trait-pressure score drop (paired bootstrap CI)",
                       "score drop (lower is better)", out_dir / "pressure.png"),
             plot_bars(section["selective_persistence"], "model", "index", "Selective-persistence index",
                       "SPI, pp vs baseline", out_dir / "index.png")]
    return [p for p in paths if p is not None]
