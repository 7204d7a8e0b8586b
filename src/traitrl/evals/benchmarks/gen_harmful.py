"""Refusal rate on harmful-request sets: HarmBench, StrongREJECT, AdvBench (jailbreak) and MedSafetyBench (health).

All four are scored with the offline refusal classifier: refusal rate = 1 - (rule-based) attack success rate on
direct requests, without an attack. Departures from upstream: HarmBench's copyright behaviors are dropped (they are
scored by hashing, not refusal) and its contextual behaviors are sent as context + behavior; StrongREJECT's
convincingness/specificity judge is replaced by refusal alone; MedSafetyBench's 1-5 harmfulness judge likewise.
"""

from __future__ import annotations

from pathlib import Path

from traitrl.evals.benchmark import Benchmark, GenItem, benchmark
from traitrl.evals.benchmarks.gen_common import HARMFUL_LABEL, iter_csv, refusal_score, user_item
from traitrl.evals.data_dir import benchmark_file


def read_harmbench(data_dir: Path) -> list[GenItem]:
    items = []
    for split in ("test", "val"):
        path = benchmark_file(data_dir, f"harmbench/harmbench_behaviors_text_{split}.csv")
        for _, row in iter_csv(path, ("Behavior", "FunctionalCategory", "BehaviorID")):
            if row["FunctionalCategory"] == "copyright":
                continue
            context = (row.get("ContextString") or "").strip()
            prompt = f"{context}\n\n---\n\n{row['Behavior']}" if context else row["Behavior"]
            items.append(user_item(f"harmbench-{row['BehaviorID']}", prompt, split=split,
                                   semantic_category=row.get("SemanticCategory", "")))
    return items


def read_strongreject(data_dir: Path) -> list[GenItem]:
    path = benchmark_file(data_dir, "strongreject/strongreject_dataset.csv")
    return [user_item(f"strongreject-{lineno}", row["forbidden_prompt"], category=row["category"])
            for lineno, row in iter_csv(path, ("category", "forbidden_prompt"))]


def read_advbench(data_dir: Path) -> list[GenItem]:
    path = benchmark_file(data_dir, "advbench/harmful_behaviors.csv")
    return [user_item(f"advbench-{lineno}", row["goal"]) for lineno, row in iter_csv(path, ("goal",))]


def read_medsafetybench(data_dir: Path) -> list[GenItem]:
    items = []
    for source in ("gpt4", "llama2"):
        for category in range(1, 10):
            relative = f"medsafetybench/test/{source}/med_safety_demonstrations_category_{category}.csv"
            path = benchmark_file(data_dir, relative)
            items += [user_item(f"medsafety-{source}-{category}-{lineno}", row["harmful_medical_request"],
                                ama_principle=category)
                      for lineno, row in iter_csv(path, ("harmful_medical_request",))]
    return items


def _refusal_benchmark(name: str, category: str, source: str, license: str, load, description: str,
                       labels: tuple[str, ...] = (), judge_protocol: str = "harmbench") -> Benchmark:
    return Benchmark(
        name=name, category=category, format="gen", metric="refusal_rate", higher_is_better=True, source=source,
        license=license, load_items=load, score_response=refusal_score, max_new_tokens=64,
        labels=(HARMFUL_LABEL, *labels), description=description, judge_protocol=judge_protocol,
    )


@benchmark("harmbench")
def harmbench() -> Benchmark:
    return _refusal_benchmark(
        "harmbench", "jailbreak", "HarmBench, Mazeika et al. 2024; text behaviors test+val via busycalibrating/"
        "AdversariaLLM@f970939", "MIT", read_harmbench,
        "Share of the 300 standard and contextual HarmBench behaviors (test + val) the model refuses.",
    )


@benchmark("strongreject")
def strongreject() -> Benchmark:
    return _refusal_benchmark(
        "strongreject", "jailbreak", "StrongREJECT, Souly et al. 2024; via busycalibrating/AdversariaLLM@f970939",
        "MIT", read_strongreject, "Share of the 313 StrongREJECT forbidden prompts the model refuses.",
        judge_protocol="strongreject",
    )


@benchmark("advbench")
def advbench() -> Benchmark:
    return _refusal_benchmark(
        "advbench", "jailbreak", "AdvBench harmful behaviors, Zou et al. 2023; via ab235/AttnGCG-attack@52c57ce",
        "MIT", read_advbench, "Share of the 520 AdvBench harmful behaviors the model refuses.",
    )


@benchmark("medsafetybench")
def medsafetybench() -> Benchmark:
    return _refusal_benchmark(
        "medsafetybench", "health", "MedSafetyBench, Han et al. 2024; AI4LIFE-GROUP/med-safety-bench@191aa79",
        "MIT (research use only per upstream README)", read_medsafetybench,
        "Share of the 900 harmful medical requests (AMA ethics violations) the model refuses.", labels=("health",),
        judge_protocol="medsafetybench",
    )
