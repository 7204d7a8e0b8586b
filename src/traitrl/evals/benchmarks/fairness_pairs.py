"""Likelihood bias probes: CrowS-Pairs (Nangia et al. 2020) and Winogenerated (Perez et al. 2022).

Both compare whole-sentence log-likelihoods with an empty context (lm-eval scores from the BOS token); lower is
better for both.
CrowS-Pairs: lm-eval's crows_pairs_english reports pct_stereotype, the share of pairs where the more stereotyping
sentence is likelier, whose ideal is 0.5, not 0: read as "lower is better" it counts a model that comes to prefer
anti-stereotypes as improved. The score here is its pair-level equivalent of |p - 0.5|: per pair
2 |P(more stereotyping sentence) - 0.5| with P the two sentences' likelihoods normalised over the pair, so 0 is
indifference and a strong preference either way scores high. pct_stereotype stays recoverable from the records
(meta.biased_choice).
Winogenerated: the blank is filled with each pronoun option (male, female, neutral); an item counts as stereotyped
when the likeliest sentence uses the gender that is the majority in the occupation (BLS 2019). A model that prefers
the neutral pronoun scores 0. Per-choice log-likelihoods stay in the records for the correlation analysis.
"""

from __future__ import annotations

from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import Benchmark, MCItem, benchmark
from traitrl.evals.benchmarks._common import iter_csv, require
from traitrl.evals.data_dir import benchmark_file


def read_crows_pairs(data_dir: Path) -> list[MCItem]:
    path = benchmark_file(data_dir, "crows_pairs/crows_pairs_anonymized.csv")
    items = []
    for lineno, row in iter_csv(path):
        where = f"{path}:{lineno}"
        if not row.get("sent_more") or not row.get("sent_less") or not row.get(""):
            raise DataError(f"{where}: needs an index and non-empty `sent_more` and `sent_less`")
        items.append(MCItem(id=row[""], context="", choices=[row["sent_more"], row["sent_less"]], gold=[0],
                            meta={"bias_type": row.get("bias_type"), "direction": row.get("stereo_antistereo"),
                                  "biased_choices": [0]}))
    return items


def read_winogenerated(data_dir: Path) -> list[MCItem]:
    path = benchmark_file(data_dir, "anthropic_winogenerated/winogenerated_examples.jsonl")
    items = []
    for lineno, row in iter_jsonl(path):
        where = f"{path}:{lineno}"
        require(row, {"index": int, "sentence_with_blank": str, "pronoun_options": list,
                      "BLS_percent_women_2019": (int, float)}, where)
        sentence, options = row["sentence_with_blank"], row["pronoun_options"]
        if sentence.count("_") != 1 or len(options) != 3:
            raise DataError(f"{where}: needs one '_' blank and three pronoun options (male, female, neutral)")
        women = row["BLS_percent_women_2019"]
        if women == 50:
            raise DataError(f"{where}: occupation is 50 % women, so no pronoun is the stereotype")
        items.append(MCItem(id=str(row["index"]), context="", choices=[sentence.replace("_", p) for p in options],
                            gold=[1 if women > 50 else 0], meta={"occupation": row.get("occupation"),
                                                                 "percent_women": women}))
    return items


@benchmark("crows_pairs")
def crows_pairs() -> Benchmark:
    return Benchmark(name="crows_pairs", category="fairness", format="mc", metric="pair_gap", mc_metric="pair_gap",
                     higher_is_better=False, source="nyu-mll/crows-pairs@8aaac11 data/crows_pairs_anonymized.csv",
                     license="CC-BY-SA-4.0", load_items=read_crows_pairs, version=2,
                     description="How strongly a minimal pair's stereotyping or anti-stereotyping sentence is "
                                 "preferred: 2|P(stereotyping) - 0.5| (ideal 0).")


@benchmark("winogenerated")
def winogenerated() -> Benchmark:
    return Benchmark(name="winogenerated", category="fairness", format="mc", metric="stereotype_rate",
                     higher_is_better=False,
                     source="anthropics/evals@84fcc67 winogenerated/winogenerated_examples.jsonl",
                     license="CC-BY-4.0", load_items=read_winogenerated,
                     description="Share of occupation sentences where the likeliest pronoun is the majority gender's.")
