"""Report sections for the study's controls: held-out trait scores, the refusal trade-off, persona persistence and
the worst case of an attack sweep. Each section is a typed record in report.json and renders as one table.

- Held-out traits: per trait the base model, the baseline and every arm on held-out scenarios, each arm's Δ vs the
  baseline with its item-level CI and, with several seeds, its across-seed interval (runs are the unit of
  replication), and the aggregate (the mean over traits; the paper's 0.41 → 0.61), whose across-seed interval is
  the held-out trait endpoint's (stats.endpoint.TRAIT_ENDPOINT).
- Refusal trade-off: the refusal rate per arm on safety prompts and on everyday benign prompts (Wilson CI), and
  every other generative benchmark re-scored on the items that both the baseline and the arm answered without
  refusing (paired non-refusals), so "safer" cannot just mean "refuses more".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from traitrl._util.io import read_json
from traitrl._util.record import Record
from traitrl.evals.benchmarks.trait_heldout import CATEGORY as HELDOUT_CATEGORY
from traitrl.evals.benchmarks.trait_heldout import REPLIES_CATEGORY, REPLY_ITEMS_PER_TRAIT
from traitrl.evals.record import list_benchmark_records, read_benchmark_record
from traitrl.evals.refusal import is_refusal
from traitrl.persist.jailbreak import wilson_interval
from traitrl.stats.models import Comparison
from traitrl.stats.paired import bootstrap_means, percentile_ci

# Safety prompts the model should refuse, and everyday prompts it should answer (docs/controls.md).
SAFETY_BENCHMARKS = ("advbench", "harmbench", "strongreject", "xstest_unsafe", "coconot_unsafe", "medsafetybench")
BENIGN_BENCHMARKS = ("xstest_safe", "coconot_contrast", "ifeval", "capability_facts", "capability_arithmetic")
# Benchmarks whose score is itself refusal or compliance: re-scoring them on non-refusals says nothing.
_REFUSAL_METRICS = ("refusal_rate", "compliance_rate")


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "–" if x is None else format(x, spec)


def _ci(v: ArmValue) -> str:
    items = "" if v.ci_low is None else f" [{v.ci_low:+.1f}, {v.ci_high:+.1f}]"
    return items + ("" if v.seed_ci_low is None else f" seeds [{v.seed_ci_low:+.1f}, {v.seed_ci_high:+.1f}]")


Table = tuple[str, str, list[str], list[list[str]]]  # title, caption, headers, rows


def control_tables(sections) -> list[Table]:
    """(title, caption, headers, rows) for every control section present in `sections` (a ReportSections)."""
    names = ("heldout_traits", "heldout_trait_replies", "refusal_tradeoff", "persona_persistence", "attack_sweep")
    return [t for name in names if getattr(sections, name, None) for t in getattr(sections, name).tables()]


class ArmValue(Record):
    arm: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    seed_ci_low: float | None = Field(None, description="Across-seed 95 % Student-t interval; >= 2 seeds.")
    seed_ci_high: float | None = None


class HeldoutTraitRow(Record):
    trait: str
    benchmark: str
    n_items: int
    scores: list[ArmValue] = Field(description="Score (0-1) of base, the reference and every arm.")
    deltas: list[ArmValue] = Field(description="Δ vs the reference in pp with the item-level 95 % bootstrap CI and, "
                                               "with several seeds, the across-seed interval.")


class HeldoutTraitSection(Record):
    title: str = "Held-out trait evaluation"
    scorer: str = Field(description="How held-out items were scored.")
    reference: str
    rows: list[HeldoutTraitRow] = Field(min_length=1)
    aggregate: list[ArmValue] = Field(description="Mean score over traits per model (the paper's aggregate).")
    aggregate_deltas: list[ArmValue] = Field(description="Mean Δ over traits (pp) with its item-level CI and, with "
                                                         "several seeds, the held-out trait endpoint's interval.")

    def tables(self) -> list[Table]:
        models = [s.arm for s in self.aggregate]
        arms = [d.arm for d in self.aggregate_deltas]
        rows = [[r.trait, str(r.n_items)] + [fmt(next((s.value for s in r.scores if s.arm == m), None))
                                             for m in models]
                + [next((f"{d.value:+.1f}{_ci(d)}" for d in r.deltas if d.arm == a), "–") for a in arms]
                for r in self.rows]
        rows.append(["aggregate", ""] + [fmt(a.value) for a in self.aggregate]
                    + [("–" if d.value is None else f"{d.value:+.1f}{_ci(d)}") for d in self.aggregate_deltas])
        seeds = any(d.seed_ci_low is not None for r in self.rows for d in r.deltas)
        return [(self.title,
                 f"Scores (0-1) on held-out scenarios that share no core item with training; Δ vs {self.reference} "
                 "in pp with item-level 95 % CI [training seeds held fixed]"
                 + ("; 'seeds' is the across-seed 95 % Student-t interval, which carries run-to-run variance and "
                    "is the one to cite for the method (for an arm trained once, a prediction interval that takes "
                    "its run-to-run SD as the reference's)" if seeds else "") + f". Scorer: {self.scorer}",
                 ["trait", "n", *models, *(f"Δ {a}" for a in arms)], rows)]


class RefusalRate(Record):
    arm: str
    prompt_set: str = Field(description="'safety' (should refuse) or 'benign' (should answer).")
    rate: float
    ci_low: float
    ci_high: float
    n: int


class PairedNonRefusal(Record):
    arm: str
    benchmark: str
    n_pairs: int = Field(description="Items neither the reference nor the arm refused.")
    delta: float | None = Field(description="Arm minus reference on those items, pp, positive = better.")
    ci_low: float | None = None
    ci_high: float | None = None


class RefusalSection(Record):
    classifier: str
    reference: str
    rates: list[RefusalRate]
    paired: list[PairedNonRefusal]
    summary: list[str] = Field(description="Per arm: improved on X of N benchmarks on paired non-refusals.")

    def tables(self) -> list[Table]:
        rates = [[r.arm, r.prompt_set, f"{100 * r.rate:.1f} %", f"{100 * r.ci_low:.1f}–{100 * r.ci_high:.1f} %",
                  str(r.n)] for r in self.rates]
        paired = [[p.arm, p.benchmark, str(p.n_pairs), fmt(p.delta, "+.1f"),
                   "–" if p.ci_low is None else f"{p.ci_low:+.1f} to {p.ci_high:+.1f}"] for p in self.paired]
        return [("Refusal trade-off: refusal rates",
                 f"Share of replies classified as refusals ({self.classifier}); Wilson 95 % CI.",
                 ["model", "prompts", "refusal rate", "95 % CI", "n"], rates),
                ("Refusal trade-off: paired non-refusals",
                 f"Δ vs {self.reference} (pp, positive = better) on items neither model refused; "
                 + "; ".join(self.summary), ["arm", "benchmark", "pairs", "Δ", "95 % CI"], paired)]


def wilson(k: int, n: int) -> tuple[float, float]:
    """persist's Wilson interval, widened by float rounding to contain k/n (1 - 1e-16 < 1.0 at a rate of 1)."""
    lo, hi = wilson_interval(k, n)
    rate = k / n if n else 0.0
    return min(lo, rate), max(hi, rate)


def heldout_trait_section(comparison: Comparison, scorer: str, category: str = HELDOUT_CATEGORY,
                          title: str = "Held-out trait evaluation") -> HeldoutTraitSection | None:
    """Per-trait rows from the comparison's deltas in `category` (benchmarks named '<category>_<trait>'); None when
    no arm has them. A diagnostic category has no category summary: its aggregate Δ is the mean of the traits' Δ,
    without a CI."""
    ref = comparison.reference_name
    by_bench: dict[str, dict] = {}
    for arm in comparison.arms:
        for d in arm.deltas:
            if d.category != category:
                continue
            row = by_bench.setdefault(d.benchmark, {"scores": {ref: d.reference_score}, "deltas": [], "n": d.n_paired})
            row["scores"][arm.name] = d.arm_score
            row["deltas"].append(ArmValue(arm=arm.name, value=d.delta, ci_low=d.ci_low, ci_high=d.ci_high,
                                          seed_ci_low=d.seed_ci_low, seed_ci_high=d.seed_ci_high))
    if not by_bench:
        return None
    rows = [HeldoutTraitRow(trait=b.removeprefix(category + "_"), benchmark=b, n_items=v["n"],
                            scores=[ArmValue(arm=a, value=s) for a, s in v["scores"].items()], deltas=v["deltas"])
            for b, v in sorted(by_bench.items())]
    models = list(dict.fromkeys(s.arm for r in rows for s in r.scores))
    aggregate = [ArmValue(arm=m, value=float(np.mean([s.value for r in rows for s in r.scores if s.arm == m])))
                 for m in models]
    aggregate_deltas = []
    for arm in comparison.arms:
        cat = next((c for c in arm.summary.categories if c.category == category), None)
        if cat is not None:
            endpoint = arm.summary.trait_endpoint if category == HELDOUT_CATEGORY else None
            aggregate_deltas.append(ArmValue(arm=arm.name, value=cat.mean_delta, ci_low=cat.mean_delta_ci_low,
                                             ci_high=cat.mean_delta_ci_high,
                                             seed_ci_low=endpoint.seed_ci_low if endpoint else None,
                                             seed_ci_high=endpoint.seed_ci_high if endpoint else None))
        elif mine := [d.value for r in rows for d in r.deltas if d.arm == arm.name and d.value is not None]:
            aggregate_deltas.append(ArmValue(arm=arm.name, value=float(np.mean(mine))))
    return HeldoutTraitSection(title=title, scorer=scorer, reference=ref, rows=rows, aggregate=aggregate,
                               aggregate_deltas=aggregate_deltas)


def _responses(eval_dir: Path, benchmark: str) -> dict[str, tuple[float | None, bool]]:
    """item id → (score, refused) for a generative record (items without a reply are left out)."""
    _, items = read_benchmark_record(eval_dir, benchmark)
    return {it.item_id: (it.score, is_refusal(it.response)) for it in items
            if it.response is not None and it.error is None}


def refusal_section(reference: str, eval_dirs: dict[str, Path], seed: int = 0, n_boot: int = 2000
                    ) -> RefusalSection | None:
    """Refusal rates per model on safety and benign prompts, and paired non-refusal deltas vs `reference`."""
    rates = []
    for arm, folder in eval_dirs.items():
        present = set(list_benchmark_records(folder))
        for prompt_set, names in (("safety", SAFETY_BENCHMARKS), ("benign", BENIGN_BENCHMARKS)):
            refused = [r for b in names if b in present for _, r in _responses(folder, b).values()]
            if refused:
                lo, hi = wilson(sum(refused), len(refused))
                rates.append(RefusalRate(arm=arm, prompt_set=prompt_set, rate=sum(refused) / len(refused),
                                         ci_low=lo, ci_high=hi, n=len(refused)))
    if not rates:
        return None
    paired, summary = [], []
    ref_dir = eval_dirs[reference]
    for arm, folder in eval_dirs.items():
        if arm == reference:
            continue
        rows = [_paired_non_refusal(arm, b, ref_dir, folder, seed, n_boot)
                for b in sorted(set(list_benchmark_records(ref_dir)) & set(list_benchmark_records(folder)))]
        rows = [r for r in rows if r is not None]
        paired += rows
        scored = [r for r in rows if r.delta is not None]
        summary.append(f"{arm}: improved on {sum(r.delta > 0 for r in scored)} of {len(scored)} benchmarks on "
                       f"paired non-refusals vs {reference}")
    return RefusalSection(classifier="evals.refusal.is_refusal (rule-based, first two sentences)",
                          reference=reference, rates=rates, paired=paired, summary=summary)


def _paired_non_refusal(arm: str, benchmark: str, ref_dir: Path, arm_dir: Path, seed: int,
                        n_boot: int) -> PairedNonRefusal | None:
    summary, _ = read_benchmark_record(ref_dir, benchmark)
    if summary.metric in _REFUSAL_METRICS or benchmark in SAFETY_BENCHMARKS + BENIGN_BENCHMARKS:
        return None
    ref, other = _responses(ref_dir, benchmark), _responses(arm_dir, benchmark)
    if not ref:
        return None  # multiple-choice: nothing to refuse
    ids = sorted(i for i in ref.keys() & other.keys() if not ref[i][1] and not other[i][1])
    if not ids:
        return PairedNonRefusal(arm=arm, benchmark=benchmark, n_pairs=0, delta=None)
    sign = 1.0 if summary.higher_is_better else -1.0
    diffs = sign * 100.0 * np.array([other[i][0] - ref[i][0] for i in ids])
    lo, hi = percentile_ci(bootstrap_means(diffs, n_boot, np.random.default_rng([seed, len(ids)])))
    return PairedNonRefusal(arm=arm, benchmark=benchmark, n_pairs=len(ids), delta=float(diffs.mean()),
                            ci_low=lo, ci_high=hi)




HELDOUT_SCORER = ("offline: the good reference reply preferred to every failure reply by log-likelihood per "
                  "character (not the training reward); with an evaluation judge, trait_heldout_judged_* rows grade "
                  "generated replies against each scenario's rubric")


REPLIES_SCORER = ("the trait reward's own rubric checks (the training reward, without embedding or judge) on greedy "
                  f"replies to {REPLY_ITEMS_PER_TRAIT} held-out scenarios per trait; diagnostic, never tested: read "
                  "it beside the held-out likelihood score, which can rise while replies do not improve")


def build_control_sections(comparison: Comparison, eval_dirs: dict[str, Path], persist_dir: Path | None,
                           seed: int = 0, n_boot: int = 2000) -> dict:
    """Every control section that has inputs: held-out traits, refusal trade-off, persona, attack sweep.

    `eval_dirs` maps each model label (reference first) to one eval directory; `persist_dir` is the persistence
    suite's folder (None when the study has no persistence stage).
    """
    from traitrl.persist.config import load_persist_config
    from traitrl.persist.persona import NONE, persona_kind
    from traitrl.persist.run import BASELINE
    from traitrl.report.persona import attack_sweep_section, persona_section

    sections = {"heldout_traits": heldout_trait_section(comparison, HELDOUT_SCORER),
                "heldout_trait_replies": heldout_trait_section(comparison, REPLIES_SCORER, REPLIES_CATEGORY,
                                                               "Held-out trait scenarios: greedy replies"),
                "refusal_tradeoff": refusal_section(comparison.reference_name, eval_dirs, seed, n_boot)}
    if persist_dir is not None:
        persona_dir = persist_dir / "persona"
        kinds = {p.name.removeprefix("persona_").partition("__")[0] for p in persona_dir.glob("*/persona_*.json")}
        sections["persona_persistence"] = persona_section(persona_dir, BASELINE,
                                                          {k: persona_kind(k) for k in kinds if k != NONE},
                                                          seed, n_boot)
        sweep = persist_dir / "attack_sweep" / "sweep.json"
        if sweep.is_file():
            ft = load_persist_config(read_json(persist_dir / "index.json")["config"]).harmful_ft
            sections["attack_sweep"] = attack_sweep_section(read_json(sweep)["cells"], ft.sft.lr, ft.steps[-1])
    return {k: v.model_dump(mode="json") for k, v in sections.items() if v is not None}
