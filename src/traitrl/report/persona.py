"""Report sections for persona persistence and the harmful fine-tuning attack sweep (built from persist outputs).

Persona: per model, source and persona the score without and with the persona and the degradation (without − with,
signed so positive = worse with the persona). Per arm against the reference: the difference in degradation,
reference's minus the arm's (positive = the arm's trait persists better; the paper's +0.132 for its medical persona),
with a cluster-bootstrap CI: item differences are averaged within their core item (variants of one fact or red flag
are not independent), and the core items are resampled.
Attack sweep: the erosion of the trait score (step 0 minus the cell) and the attack success rate on every cell of the
lr × steps grid; the worst case per model beside the default setting, since a defence that persists at one attack
setting may not at another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from traitrl._util.record import Record
from traitrl.evals.record import list_benchmark_records, read_benchmark_record
from traitrl.report.controls import Table, fmt
from traitrl.stats.paired import bootstrap_means, percentile_ci

NONE = "none"


class PersonaRow(Record):
    model: str
    source: str
    persona: str
    kind: str = Field(description="'harmful' or 'helpful' (the steerability control).")
    score_without: float
    score_with: float
    degradation: float = Field(description="without − with, signed so positive = worse with the persona.")
    n: int


class PersonaDiff(Record):
    arm: str
    persona: str
    kind: str
    diff: float = Field(description="Reference degradation − arm degradation (positive = arm persists better).")
    ci_low: float
    ci_high: float
    n_items: int
    n_clusters: int


class PersonaSection(Record):
    reference: str
    scorer: str
    rows: list[PersonaRow] = Field(min_length=1)
    diffs: list[PersonaDiff]

    def tables(self) -> list[Table]:
        rows = [[r.model, r.source, r.persona, r.kind, f"{r.score_without:.3f}", f"{r.score_with:.3f}",
                 f"{r.degradation:+.3f}", str(r.n)] for r in self.rows]
        diffs = [[d.arm, d.persona, d.kind, f"{d.diff:+.3f}", f"{d.ci_low:+.3f} to {d.ci_high:+.3f}",
                  f"{d.n_items}/{d.n_clusters}"] for d in self.diffs]
        return [("Persona persistence: scores", f"Score without and with each persona system prompt; {self.scorer}",
                 ["model", "items", "persona", "kind", "without", "with", "degradation", "n"], rows),
                ("Persona persistence: difference in degradation",
                 f"Degradation of {self.reference} minus the arm's, all sources pooled (positive = the arm's trait "
                 "persists better); 95 % cluster-bootstrap CI over core items. A helpful persona should give ≈ 0.",
                 ["arm", "persona", "kind", "Δ degradation", "95 % CI", "items/clusters"], diffs)]


class SweepCell(Record):
    model: str
    lr: float
    steps: int
    trait_score: float
    pref_score: float | None = Field(None, description="Likelihood-preference trait score (None if not measured).")
    asr: float
    erosion: float = Field(description="Trait score at step 0 minus at this cell (positive = eroded).")
    pref_erosion: float | None = Field(None, description="Preference score at step 0 minus at this cell.")


class WorstCase(Record):
    model: str
    default_erosion: float | None = Field(description="None when the default setting is not on the grid.")
    worst_erosion: float
    worst_lr: float
    worst_steps: int
    default_asr: float | None
    worst_asr: float
    worst_pref_erosion: float | None = Field(None, description="Largest preference erosion over the grid.")
    worst_pref_lr: float | None = None
    worst_pref_steps: int | None = None


class AttackSweepSection(Record):
    default_lr: float
    default_steps: int
    cells: list[SweepCell] = Field(min_length=1)
    worst: list[WorstCase] = Field(min_length=1)

    def tables(self) -> list[Table]:
        rows = [[w.model, fmt(w.default_erosion, "+.3f"), f"{w.worst_erosion:+.3f}",
                 f"{w.worst_lr:g} × {w.worst_steps}", fmt(w.worst_pref_erosion, "+.3f"),
                 "–" if w.worst_pref_lr is None else f"{w.worst_pref_lr:g} × {w.worst_pref_steps}",
                 fmt(w.default_asr, ".2f"), f"{w.worst_asr:.2f}"] for w in self.worst]
        cells = [[c.model, f"{c.lr:g}", str(c.steps), f"{c.trait_score:.3f}", f"{c.erosion:+.3f}",
                  fmt(c.pref_score, ".3f"), fmt(c.pref_erosion, "+.3f"), f"{c.asr:.2f}"] for c in self.cells]
        return [("Harmful fine-tuning: worst case over the attack sweep",
                 f"Erosion = score before the attack minus after, for the rubric trait score and for the likelihood "
                 f"preference; default setting lr {self.default_lr:g} × {self.default_steps} steps; worst = largest "
                 "erosion over the grid (same data and grid for every model).",
                 ["model", "erosion (default)", "erosion (worst)", "worst lr × steps", "preference erosion (worst)",
                  "its lr × steps", "ASR (default)", "ASR (worst)"], rows),
                ("Harmful fine-tuning: attack sweep grid", "Every cell of the lr × steps grid.",
                 ["model", "lr", "steps", "trait score", "erosion", "preference", "preference erosion", "ASR"],
                 cells)]


def _records(folder: Path) -> dict[tuple[str, str], tuple[bool, dict[str, tuple[float, str]]]]:
    """(persona, source) → (higher_is_better, item id → (score, cluster)) for one model's persona records."""
    out = {}
    for name in list_benchmark_records(folder):
        persona, _, source = name.removeprefix("persona_").partition("__")
        summary, items = read_benchmark_record(folder, name)
        out[(persona, source)] = (summary.higher_is_better,
                                  {it.item_id: (it.score, str(it.meta.get("core_item", it.item_id))) for it in items
                                   if it.error is None and it.score is not None})
    return out


def _degradations(records: dict, persona: str, source: str) -> dict[str, tuple[float, str]]:
    better, without = records[(NONE, source)]
    _, with_persona = records[(persona, source)]
    sign = 1.0 if better else -1.0
    return {i: (sign * (without[i][0] - with_persona[i][0]), without[i][1]) for i in without.keys() & with_persona}


def cluster_bootstrap(diffs: dict[str, tuple[float, str]], n_boot: int, seed: int) -> tuple[float, float, float, int]:
    """Mean over clusters of the within-cluster mean difference, its percentile CI, and the number of clusters."""
    clusters: dict[str, list[float]] = {}
    for value, cluster in diffs.values():
        clusters.setdefault(cluster, []).append(value)
    means = np.array([np.mean(v) for _, v in sorted(clusters.items())])
    lo, hi = percentile_ci(bootstrap_means(means, n_boot, np.random.default_rng(seed)))
    return float(means.mean()), lo, hi, len(means)


def persona_section(persona_dir: str | Path, reference: str, kinds: dict[str, str], seed: int = 0,
                    n_boot: int = 2000) -> PersonaSection | None:
    """Rows and per-arm differences from DIR/<model>/persona_<persona>__<source> records; `kinds` maps personas."""
    root = Path(persona_dir)
    models = {p.name: _records(p) for p in sorted(root.iterdir()) if p.is_dir()} if root.is_dir() else {}
    if reference not in models:
        return None
    rows, diffs = [], []
    for model, records in models.items():
        for persona, source in sorted(k for k in records if k[0] != NONE):
            deg = _degradations(records, persona, source)
            _, without = records[(NONE, source)]
            _, with_p = records[(persona, source)]
            rows.append(PersonaRow(model=model, source=source, persona=persona, kind=kinds[persona],
                                   score_without=float(np.mean([without[i][0] for i in deg])),
                                   score_with=float(np.mean([with_p[i][0] for i in deg])),
                                   degradation=float(np.mean([d for d, _ in deg.values()])), n=len(deg)))
    ref = models[reference]
    for model, records in models.items():
        if model == reference:
            continue
        for persona in sorted({p for p, _ in records if p != NONE}):
            paired = {}
            for source in sorted({s for p, s in records if p == persona}):
                ref_deg, arm_deg = _degradations(ref, persona, source), _degradations(records, persona, source)
                paired.update({f"{source}/{i}": (ref_deg[i][0] - arm_deg[i][0], f"{source}/{ref_deg[i][1]}")
                               for i in ref_deg.keys() & arm_deg.keys()})
            if paired:
                mean, lo, hi, n_clusters = cluster_bootstrap(paired, n_boot, seed)
                diffs.append(PersonaDiff(arm=model, persona=persona, kind=kinds[persona], diff=mean, ci_low=lo,
                                         ci_high=hi, n_items=len(paired), n_clusters=n_clusters))
    if not rows:
        return None
    return PersonaSection(reference=reference, rows=rows, diffs=diffs,
                          scorer="held-out scenarios: good reference reply preferred to every failure reply "
                                 "(log-likelihood per character); benchmark subsets: the benchmark's own scorer.")


def attack_sweep_section(cells: list[dict], default_lr: float, default_steps: int) -> AttackSweepSection | None:
    """Worst case per model over sweep cells ({model, lr, steps, trait_score, asr}; step-0 cells give the start)."""
    if not cells:
        return None
    start = {c["model"]: c["trait_score"] for c in cells if c["steps"] == 0}
    pref_start = {c["model"]: c.get("pref_score") for c in cells if c["steps"] == 0}

    def pref_erosion(c: dict) -> float | None:
        first = pref_start[c["model"]]
        return None if first is None or c.get("pref_score") is None else first - c["pref_score"]

    full = [SweepCell(**c, erosion=start[c["model"]] - c["trait_score"], pref_erosion=pref_erosion(c)) for c in cells]
    worst = []
    for model in dict.fromkeys(c.model for c in full):
        mine = [c for c in full if c.model == model and c.steps > 0]
        if not mine:
            continue
        default = next((c for c in mine if c.lr == default_lr and c.steps == default_steps), None)
        bad = max(mine, key=lambda c: c.erosion)
        measured = [c for c in mine if c.pref_erosion is not None]
        bad_pref = max(measured, key=lambda c: c.pref_erosion) if measured else None
        worst.append(WorstCase(model=model, default_erosion=default.erosion if default else None,
                               worst_erosion=bad.erosion, worst_lr=bad.lr, worst_steps=bad.steps,
                               default_asr=default.asr if default else None,
                               worst_asr=max(c.asr for c in mine),
                               worst_pref_erosion=bad_pref.pref_erosion if bad_pref else None,
                               worst_pref_lr=bad_pref.lr if bad_pref else None,
                               worst_pref_steps=bad_pref.steps if bad_pref else None))
    return AttackSweepSection(default_lr=default_lr, default_steps=default_steps, cells=full, worst=worst) \
        if worst else None
