"""`traitrl plan`: what a study can detect and what it will cost, before it runs.

Power: per benchmark the smallest attainable p and the MDE after its family's correction (the battery, or the
held-out trait sets); per category, for the battery's pooled primary endpoint and for the held-out trait endpoint
the MDE of the mean, item-level (these checkpoints) and, with seeds, method-level (a paired t-test over seeds whose
SD combines run-to-run variance of both arms with item noise). Planning defaults (per-item SD from 20 % discordant
pairs; run-to-run SD 1.4 pp of the pooled Δ, the spread of two same-config quick runs) are replaced by a pilot
run's measured values when one is given.

Cost: per-item eval and per-step training costs from the cost table (costs.json, measured on the quick study), or
from a pilot run's timings.json files, scaled by item count and by prompts × generations × completion cap. The
persistence stage is priced from its composition, per model it runs on (one seed's trained arms, the reference
included): each enabled sub-stage's generated tokens (at the reply cap) × a per-token cost, SFT steps × a per-step
cost and persona's scored scenario items × a per-item cost (costs.json `persist_derivation` says where each comes
from).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from traitrl._util.errors import DataError
from traitrl._util.io import read_json
from traitrl._util.timing import finished_stage
from traitrl.evals.record import list_benchmark_records
from traitrl.stats.load import load_record
from traitrl.stats.paired import is_binary
from traitrl.stats.power import (
    DEFAULT_DISCORDANCE,
    benchmark_mde,
    family_threshold,
    pooled_se,
    smallest_p,
    t_mde,
    z_mde,
)

# Two quick runs of one config gave pooled Δs of +0.57 and −1.38 pp: one run's SD ≈ 1.95 / √2.
DEFAULT_RUN_SD_PP = 1.4
DEFAULT_ITEM_SD_PP = math.sqrt(DEFAULT_DISCORDANCE) * 100


def cost_table() -> dict:
    return json.loads(resources.files("traitrl.stats").joinpath("costs.json").read_text("utf-8"))


@dataclass
class PlannedBenchmark:
    name: str
    category: str
    n_items: int
    item_sd: float = DEFAULT_ITEM_SD_PP  # per-item difference SD in pp
    binary: bool = True
    trait_evaluation: bool = False  # a held-out trait set: its own family and endpoint (stats.endpoint)


@dataclass
class PowerPlan:
    alpha: float
    power: float
    correction: str
    threshold: float
    benchmarks: list[tuple[PlannedBenchmark, float, float | None]]  # (benchmark, smallest p, MDE)
    categories: list[tuple[str, int, float | None]]
    primary_items_mde: float | None
    primary_method_mde: dict[int, float | None]  # seeds → MDE of the seed-level paired t-test
    n_seeds: int
    run_sd: float
    trait_items_mde: float | None = None  # the held-out trait endpoint, None without held-out trait sets
    trait_method_mde: dict[int, float | None] = field(default_factory=dict)
    trait_run_sd: float | None = None  # measured by a pilot; None = the battery's run_sd was assumed
    smoke: str | None = None
    notes: list[str] = field(default_factory=list)


def endpoint_mdes(ses: list[float], n_seeds: int, alpha: float, power: float, run_sd: float
                  ) -> tuple[float | None, dict[int, float | None]]:
    """MDE of a mean over benchmarks with these item-level SEs: for these checkpoints, and for the method at 3, 5, 10
    and `n_seeds` paired seeds."""
    pooled = pooled_se(ses) if ses else None
    items_mde = z_mde(pooled, alpha, power) if pooled else None
    # One seed's paired Δ varies by both arms' run-to-run SD plus that seed's item noise.
    per_seed_sd = math.sqrt(2 * run_sd ** 2 + (pooled or 0.0) ** 2 * n_seeds)
    return items_mde, {k: t_mde(per_seed_sd, k, alpha, power) for k in sorted({n_seeds, 3, 5, 10}) if k >= 2}


def plan_power(benchmarks: list[PlannedBenchmark], n_seeds: int, alpha: float, power: float, correction: str,
               smoke_mde: float, run_sd: float = DEFAULT_RUN_SD_PP, trait_run_sd: float | None = None) -> PowerPlan:
    """`run_sd`: the run-to-run SD (pp) of the battery's pooled Δ; `trait_run_sd`: of the held-out trait endpoint
    (else the battery's is assumed, and the plan says so)."""
    battery = [b for b in benchmarks if not b.trait_evaluation]
    traits = [b for b in benchmarks if b.trait_evaluation]
    threshold = family_threshold(alpha, len(battery))
    trait_threshold = family_threshold(alpha, len(traits))
    rows = [(b, smallest_p(b.n_items),
             benchmark_mde(b.item_sd, b.n_items, trait_threshold if b.trait_evaluation else threshold, power))
            for b in benchmarks]
    ses = {b.name: b.item_sd / math.sqrt(b.n_items * n_seeds) for b in benchmarks if b.binary}
    cats = sorted({b.category for b in benchmarks})
    categories = []
    for cat in cats:
        members = [ses[b.name] for b in benchmarks if b.category == cat and b.name in ses]
        mde = z_mde(pooled_se(members), family_threshold(alpha, len(cats)), power) if members else None
        categories.append((cat, sum(b.category == cat for b in benchmarks), mde))
    items_mde, method = endpoint_mdes([ses[b.name] for b in battery if b.name in ses], n_seeds, alpha, power, run_sd)
    plan = PowerPlan(alpha=alpha, power=power, correction=correction, threshold=threshold, benchmarks=rows,
                     categories=categories, primary_items_mde=items_mde, primary_method_mde=method, n_seeds=n_seeds,
                     run_sd=run_sd)
    if traits:
        plan.trait_run_sd = trait_run_sd
        plan.trait_items_mde, plan.trait_method_mde = endpoint_mdes(
            [ses[b.name] for b in traits if b.name in ses], n_seeds, alpha, power,
            run_sd if trait_run_sd is None else trait_run_sd)
    unattainable = bool(battery) and all(mde is None for b, _, mde in rows if not b.trait_evaluation)
    headline_mde = method.get(n_seeds) if n_seeds >= 2 else items_mde
    if unattainable or headline_mde is None or headline_mde > smoke_mde:
        best = min((p for b, p, _ in rows if not b.trait_evaluation), default=1.0)
        plan.smoke = (f"smoke test: no effect smaller than {headline_mde:.1f} pp can be detected on the primary "
                      "endpoint" if headline_mde is not None else "smoke test: the primary endpoint has no MDE")
        if unattainable:
            plan.smoke += (f"; no single benchmark can reach significance (smallest attainable p {best:.2g} > "
                           f"{threshold:.2g})")
    return plan


@dataclass
class PersistUnits:
    """One persistence sub-stage's work for one model."""
    tokens: int = 0  # generated tokens, counted at the reply cap
    sft_steps: int = 0
    scenario_items: int = 0  # log-likelihood (MC) items
    detail: str = ""


def persist_units(cfg) -> dict[str, PersistUnits]:
    """Per model, the work of every enabled persistence sub-stage of `cfg` (a persist.config.PersistConfig), named
    as the study measures them (DIR/persist/timings.json). Upper bounds where the suite may stop early (red team)
    or the data may hold fewer items than asked."""
    from traitrl.persist.steerability import STEER_ITEMS

    cap = cfg.max_new_tokens
    out: dict[str, PersistUnits] = {}
    jb = cfg.jailbreak
    if jb.enabled:
        n = jb.n_behaviors * (len(jb.families) + jb.include_direct) + jb.n_jbb * len(jb.jbb_attacks)
        out["jailbreak"] = PersistUnits(tokens=n * cap, detail=f"{n} replies × {cap} tok")
    pr = cfg.pressure
    if pr.enabled:
        n = (pr.n_scenarios + pr.n_qa) * (1 + len(pr.kinds))
        out["pressure"] = PersistUnits(tokens=n * cap, detail=f"{n} replies × {cap} tok")
    rt = cfg.red_team
    if rt.enabled:
        n = rt.n_behaviors * rt.budget_queries
        extra = n * 64 if rt.attacker == "local" and rt.paraphrase else 0  # the paraphraser's 64-token rewrites
        out["red_team"] = PersistUnits(tokens=n * cap + extra, detail=f"≤ {n} replies × {cap} tok"
                                       + (f" + {n} paraphrases × 64 tok" if extra else ""))
    st = cfg.steerability
    if st.enabled:
        n_steer = len(STEER_ITEMS) if st.n_steering is None else min(st.n_steering, len(STEER_ITEMS))
        n_safe = st.n_xstest + st.n_coconot
        out["steerability"] = PersistUnits(tokens=n_steer * st.max_new_tokens + n_safe * cap,
                                           detail=f"{n_steer} × {st.max_new_tokens} + {n_safe} × {cap} tok")
    ft = cfg.harmful_ft
    per_point = ft.n_eval_scenarios + ft.n_eval_behaviors
    # Disabled, it still measures step 0 (the erosion curve's first point) without training.
    points, steps = (len(ft.steps), ft.steps[-1]) if ft.enabled else (1, 0)
    # The likelihood-preference trait score is an MC item per held-out scenario at every point.
    out["harmful_ft"] = PersistUnits(tokens=points * per_point * cap, sft_steps=steps,
                                     scenario_items=points * ft.n_pref_scenarios,
                                     detail=f"{steps} SFT steps + {points} × {per_point} replies × {cap} tok"
                                            f" + {points} × {ft.n_pref_scenarios} preference items")
    pe = cfg.persona
    if pe.enabled:
        import traitrl.evals.benchmarks  # noqa: F401  (registers every family)
        from traitrl.evals.benchmark import get_benchmark

        personas = 1 + len(pe.personas)  # and "none", the persona-free reference
        caps = [get_benchmark(b).max_new_tokens or cap for b in pe.benchmarks] if pe.n_benchmark_items else []
        out["persona"] = PersistUnits(tokens=personas * pe.n_benchmark_items * sum(caps),
                                      scenario_items=personas * pe.n_scenarios,
                                      detail=f"{personas} personas × ({pe.n_scenarios} scored scenarios + "
                                             f"{pe.n_benchmark_items} × {'/'.join(map(str, caps)) or '0'} tok)")
    sw = cfg.attack_sweep
    if sw.enabled:
        # As persist.attack_sweep runs it: harmful FT's lr and steps join the grid; one SFT run per lr, step 0 once.
        lrs, grid = sorted(set(sw.lrs) | {ft.sft.lr}), sorted(set(sw.steps) | set(ft.steps))
        points = len(grid) + (len(lrs) - 1) * (len(grid) - 1)
        out["attack_sweep"] = PersistUnits(tokens=points * per_point * cap, sft_steps=len(lrs) * grid[-1],
                                           scenario_items=points * ft.n_pref_scenarios,
                                           detail=f"{len(lrs)} lrs × {grid[-1]} SFT steps + {points} × {per_point} "
                                                  f"replies × {cap} tok + {points} × {ft.n_pref_scenarios} "
                                                  "preference items")
    return out


PERSIST_UNIT_COSTS = ("persist_seconds_per_generated_token", "persist_seconds_per_sft_step",
                      "persist_seconds_per_scenario_item")


def persist_seconds(units: PersistUnits, costs: dict) -> float:
    return (units.tokens * costs["persist_seconds_per_generated_token"]
            + units.sft_steps * costs["persist_seconds_per_sft_step"]
            + units.scenario_items * costs["persist_seconds_per_scenario_item"])


@dataclass
class StageCost:
    stage: str
    seconds: float
    peak_rss_gib: float | None
    basis: str
    per_run: bool = False  # the stage is the sum over trained runs, which parallel workers split between them


def wall_seconds(stages: list[StageCost], n_runs: int, workers: int) -> float:
    """Predicted wall time when `workers` runs train and evaluate at once (Ray: one arm per worker). Runs are priced
    alike, so the per-run stages take ceil(runs / workers) rounds; the other stages run once, alone."""
    rounds = -(-n_runs // workers) / n_runs if n_runs else 0.0
    return sum(s.seconds * rounds if s.per_run else s.seconds for s in stages)


def train_step_seconds(costs: dict, train_shape: dict) -> float:
    """A GRPO step's price: the table's measured step, scaled by prompts × generations × completion cap."""
    ref = costs["train_reference_shape"]
    return costs["train_seconds_per_step"] * float(np.prod([train_shape[k] / ref[k] for k in ref]))


def predict_costs(n_eval_items: int, n_runs: int, train_shape: dict, steps: int, persist, include_base: bool,
                  costs: dict, n_persist_models: int = 2) -> list[StageCost]:
    """Seconds and peak RSS per stage; training scales with steps × prompts × generations × completion cap; the
    persistence suite (`persist`, a PersistConfig or None) is one row per sub-stage, for `n_persist_models`."""
    step_s = train_step_seconds(costs, train_shape)
    eval_s = costs["eval_seconds_per_item"] * n_eval_items
    train_s = step_s * steps
    rss = costs.get("peak_rss_gib")
    peak = costs.get("stage_peak_rss_gib", {})
    estimated = set(costs.get("estimated_not_measured", []))
    stages = [StageCost("data", costs["data_seconds"], peak.get("data", rss),
                        "estimate" if "data_seconds" in estimated else "measured")]
    if include_base:
        stages.append(StageCost("eval_base", eval_s, peak.get("eval_base", rss),
                                f"{n_eval_items} items × {costs['eval_seconds_per_item']:.3g} s"))
    stages.append(StageCost("train (all runs)", train_s * n_runs, peak.get("train", rss),
                            f"{n_runs} runs × {steps} steps × {step_s:.3g} s",
                            per_run=True))
    stages.append(StageCost("eval (all runs)", eval_s * n_runs, peak.get("eval", rss),
                            f"{n_runs} runs × {n_eval_items} items", per_run=True))
    if persist is not None:
        for name, units in persist_units(persist).items():
            stages.append(StageCost(f"persist · {name}", n_persist_models * persist_seconds(units, costs),
                                    peak.get("persist", rss), f"{n_persist_models} models × {units.detail}"))
    stages.append(StageCost("report", costs["report_seconds"], peak.get("report", rss),
                            "estimate" if "report_seconds" in estimated else "measured"))
    return stages


def endpoint_lines(title: str, items_mde: float | None, method: dict[int, float | None], n_seeds: int,
                   sd: str) -> list[str]:
    items = "–" if items_mde is None else f"{items_mde:.1f}"
    lines = ["", title, f"  these checkpoints only (item-level, {n_seeds} seed(s)): MDE {items} pp"]
    if n_seeds < 2:
        lines.append("  the method (across training runs): not estimable with one seed; set `seeds:` in the config")
    lines += [f"  the method with {k} paired seeds ({sd}): MDE {mde:.1f} pp" + ("  <- this config" if k == n_seeds
                                                                               else "")
              for k, mde in method.items()]
    return lines


def format_plan(title: str, plan: PowerPlan, stages: list[StageCost], costs_source: str, n_runs: int = 1,
                workers: int = 1) -> str:
    width = max([len("benchmark"), *(len(b.name) for b, _, _ in plan.benchmarks)])
    lines = [title, ""]
    if plan.smoke:
        lines += [plan.smoke.capitalize() + ".", ""]
    n_traits = sum(b.trait_evaluation for b, _, _ in plan.benchmarks)
    lines += [f"Per benchmark: two-sided, alpha {plan.alpha:g}, {plan.correction.upper()} over the "
              f"{len(plan.benchmarks) - n_traits} battery benchmarks (first threshold {plan.threshold:.2g})"
              + (f" and, as their own family, over the {n_traits} held-out trait sets" if n_traits else "")
              + f", MDE at {plan.power:.0%} power.",
              f"{'benchmark':<{width}} {'category':<24} {'items':>5} {'smallest p':>10} {'MDE (pp)':>12}"]
    for b, p, mde in plan.benchmarks:
        lines.append(f"{b.name:<{width}} {b.category:<24} {b.n_items:>5} {p:>10.2g} "
                     f"{'unattainable' if mde is None else f'{mde:.1f}':>12}")
    lines += ["", "Per category (mean Δ, item-level, Bonferroni over categories):"]
    lines += [f"  {cat:<28} {n:>3} benchmarks  MDE {'–' if mde is None else f'{mde:.1f}'} pp"
              for cat, n, mde in plan.categories]
    lines += endpoint_lines("Primary endpoint (pooled mean Δ over the binary-scored battery benchmarks, held-out "
                            f"trait sets apart), alpha {plan.alpha:g}:", plan.primary_items_mde,
                            plan.primary_method_mde, plan.n_seeds, f"run-to-run SD {plan.run_sd:.2g} pp")
    if n_traits:
        sd = (f"run-to-run SD {plan.trait_run_sd:.2g} pp" if plan.trait_run_sd is not None
              else f"run-to-run SD assumed the battery's {plan.run_sd:.2g} pp")
        lines += endpoint_lines(f"Held-out trait endpoint (mean Δ over the {n_traits} held-out trait sets), alpha "
                                f"{plan.alpha:g}:", plan.trait_items_mde, plan.trait_method_mde, plan.n_seeds, sd)
    lines += plan.notes
    total = sum(s.seconds for s in stages)
    lines += ["", f"Predicted wall time and peak memory ({costs_source}):"]
    per_stage = any(s.peak_rss_gib != stages[0].peak_rss_gib for s in stages)
    lines += [f"  {s.stage:<24} {s.seconds:>8.0f} s  peak RSS "
              f"{'–' if s.peak_rss_gib is None else f'{s.peak_rss_gib:.2f} GiB'}"
              f"{'' if per_stage else ' (whole-study peak)'}  ({s.basis})" for s in stages]
    persist = sum(s.seconds for s in stages if s.stage.startswith("persist"))
    if persist:
        lines.append(f"  {'persist (all sub-stages)':<24} {persist:>8.0f} s")
    lines.append(f"  {'total':<24} {total:>8.0f} s  ({total / 60:.1f} min)")
    if workers > 1:
        wall = wall_seconds(stages, n_runs, workers)
        lines.append(f"  {f'wall, {workers} runs at once':<24} {wall:>8.0f} s  ({wall / 60:.1f} min: "
                     f"{-(-n_runs // workers)} rounds of the per-run stages)")
    return "\n".join(lines)


def eval_summaries(evals: Path) -> dict[str, dict]:
    """Benchmark → the summary of its completed record in an eval folder (evals.record.list_benchmark_records)."""
    return {name: read_json(evals / f"{name}.json") for name in list_benchmark_records(evals)}


def scored_seconds_per_item(summaries: Iterable[dict]) -> float | None:
    """Scoring seconds per item actually scored, over record summaries: items read back from the content cache are
    left out, since they cost nothing there and would cost the full price in a fresh study."""
    seconds = scored = 0.0
    for record in summaries:
        computed = record.get("n_items", 0) - record.get("cache_hits", 0)
        if computed > 0 and record.get("seconds") is not None:
            seconds, scored = seconds + record["seconds"], scored + computed
    return seconds / scored if scored else None


def pilot_costs(pilot: Path, costs: dict) -> dict:
    """The cost table with every figure the pilot study directory measured put in place of the default."""
    study = read_json(pilot / "manifest.json").get("config", {})
    timings = read_json(pilot / "timings.json") if (pilot / "timings.json").is_file() else {}
    out = {**costs, "stage_peak_rss_gib": {}}
    peaks = out["stage_peak_rss_gib"]
    for stage in ("data", "eval_base", "report"):
        entry = finished_stage(timings, stage)
        if "seconds" not in entry:
            continue
        peaks[stage] = entry.get("peak_rss_gib")
        if stage != "eval_base":  # a base eval read from the cache took seconds; evaluation is priced per item below
            out[f"{stage}_seconds"] = entry["seconds"]
            out["estimated_not_measured"] = [k for k in out["estimated_not_measured"] if k != f"{stage}_seconds"]
    per_item = scored_seconds_per_item(summary for evals in (pilot / "arms").glob("*/evals")
                                       for summary in eval_summaries(evals).values())
    if per_item is not None:
        out["eval_seconds_per_item"] = per_item
    arm_timings = [read_json(p) for p in sorted((pilot / "arms").glob("*/timings.json"))]
    trains = [e for t in arm_timings if "seconds" in (e := finished_stage(t, "train"))]
    train_cfg = study.get("train", {})
    if trains and train_cfg.get("steps"):
        out["train_seconds_per_step"] = float(np.mean([t["seconds"] for t in trains])) / train_cfg["steps"]
        out["train_reference_shape"] = {k: train_cfg[k] for k in costs["train_reference_shape"]}
        peaks["train"] = max(t.get("peak_rss_gib", 0) for t in trains)
    evals = [e for t in arm_timings if "seconds" in (e := finished_stage(t, "eval"))]
    if evals:
        peaks["eval"] = max(t.get("peak_rss_gib", 0) for t in evals)
    persist = finished_stage(timings, "persist")
    measured = persist.get("seconds")
    if measured and study.get("persist") is not None:
        # The pilot's persistence wall time rescales every persist unit cost by measured / predicted for its config.
        from traitrl.persist.config import load_persist_config

        n_models = len(study.get("arms", [])) or 2
        predicted = n_models * sum(persist_seconds(u, costs)
                                   for u in persist_units(load_persist_config(study["persist"])).values())
        if predicted > 0:
            for key in PERSIST_UNIT_COSTS:
                out[key] = costs[key] * measured / predicted
            peaks["persist"] = persist.get("peak_rss_gib")
    out["source"] = f"pilot {pilot}"
    return out


def pilot_item_sds(pilot: Path) -> dict[str, tuple[float, bool]]:
    """Benchmark → (per-item difference SD in pp, binary) of the pilot's first arm vs its reference."""
    study = read_json(pilot / "manifest.json").get("config", {})
    reference = study.get("reference_arm", "baseline")
    seeds = study.get("seeds")
    ref_name = reference if not seeds else f"{reference}-s{seeds[0]}"
    others = [a["name"] for a in study.get("arms", []) if a["name"] != reference]
    if not others:
        raise DataError(f"{pilot}/manifest.json: the pilot has no arm besides {reference!r}")
    arm_name = others[0] if not seeds else f"{others[0]}-s{seeds[0]}"
    ref_dir, arm_dir = pilot / "arms" / ref_name / "evals", pilot / "arms" / arm_name / "evals"
    sds = {}
    for name in sorted(set(list_benchmark_records(ref_dir)) & set(list_benchmark_records(arm_dir))):
        ref, arm = load_record(ref_dir, name), load_record(arm_dir, name)
        ids = sorted(set(ref.scores) & set(arm.scores))
        if len(ids) < 2:
            continue
        r, a = np.array([ref.scores[i] for i in ids]), np.array([arm.scores[i] for i in ids])
        sds[name] = (float(np.std(100 * (a - r), ddof=1)), is_binary(r, a))
    return sds


def pilot_run_sds(pilot: Path) -> tuple[float | None, float | None]:
    """Run-to-run SD (pp) of the battery's pooled Δ and of the held-out trait endpoint, from the first arm of the
    pilot's comparison.json, where it had two or more seeds (else None). A paired Δ carries two runs' variance, so
    each is the SD of the seed-level values over √2."""
    from traitrl.stats.compare import DIAGNOSTIC
    from traitrl.stats.endpoint import TRAIT_ENDPOINT, seed_level_values, select
    from traitrl.stats.models import BenchmarkDelta

    comparison = pilot / "comparison.json"
    if not comparison.is_file():
        return None, None
    deltas = [BenchmarkDelta.model_validate(d) for d in read_json(comparison)["arms"][0]["deltas"]]
    tested = [d for d in deltas if DIAGNOSTIC not in d.labels]  # as compare_runs hands them to the endpoints
    sds = []
    for endpoint in ("pooled_mean_delta", TRAIT_ENDPOINT):
        chosen, _ = select(tested, endpoint)
        values = seed_level_values(chosen) if chosen else []
        sds.append(float(np.std(values, ddof=1) / math.sqrt(2)) if len(values) >= 2 else None)
    return sds[0], sds[1]
