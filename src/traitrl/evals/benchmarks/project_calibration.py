"""Project-built verbalized-calibration evals: answer, then state a confidence 0-100 %; score the Brier score.

Per item the score is (confidence - correct)^2 over the replies that state a confidence, so the benchmark mean is
the Brier score (lower is better) and items pair across models. A reply without a confidence is not scored: it is
recorded with an error ("no confidence stated") and left out of the mean, since any stand-in value would measure
the reply format rather than calibration. How often a confidence is stated is its own diagnostic benchmark
(`<name>_stated_rate`, same replies, no extra generation). ECE needs the whole set: `calibration_summary`
computes Brier and 10-bin ECE from (confidence, correct) pairs, which `parse_calibrated_answer` recovers from stored
replies. A reply without an answer counts as wrong.
- calibration_facts: the project fact table.
- calibration_pubmedqa: the 500 PubMedQA test questions with their abstracts, answered yes / no / maybe (health).
"""

from __future__ import annotations

import re
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import read_json
from traitrl.evals.benchmark import Benchmark, GenItem, Unscorable, benchmark
from traitrl.evals.benchmarks.gen_common import user_item
from traitrl.evals.benchmarks.project_qa import PROJECT_LICENSE, PROJECT_SOURCE, mentions_answer, read_facts
from traitrl.evals.data_dir import benchmark_file

FORMAT = ("Reply in exactly this format:\nAnswer: <your answer>\nConfidence: <0-100>%\n"
          "where Confidence is the probability that your answer is correct.")
_CONFIDENCE = re.compile(r"confiden\w*\W{0,5}(?:level\W{0,3}|is\W{0,3}|of\W{0,3})?(\d{1,3}(?:\.\d+)?)\s*%?", re.I)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_ANSWER = re.compile(r"answer\s*:\s*(.*?)(?:confiden|$)", re.I | re.S)


def parse_calibrated_answer(response: str) -> tuple[str, float | None]:
    """(answer text, confidence in [0, 1]); the confidence is None when the reply states none."""
    match = _CONFIDENCE.search(response) or _PERCENT.search(response)
    confidence = min(float(match.group(1)), 100.0) / 100 if match else None
    answer = _ANSWER.search(response)
    text = answer.group(1) if answer else (response[: match.start()] if match else response)
    return text.strip(), confidence


def _brier(confidence: float | None, correct: bool) -> float:
    if confidence is None:
        raise Unscorable("no confidence stated")
    return (confidence - float(correct)) ** 2


def stated_confidence(item: GenItem, response: str) -> float:
    return float(parse_calibrated_answer(response)[1] is not None)


def calibration_summary(confidences: list[float], correct: list[bool], n_bins: int = 10) -> dict[str, float]:
    """Brier score and expected calibration error (equal-width bins, weighted by bin size)."""
    if len(confidences) != len(correct) or not confidences:
        raise ValueError("need equally many confidences and correctness flags, at least one")
    n = len(confidences)
    brier = sum((c - float(k)) ** 2 for c, k in zip(confidences, correct, strict=True)) / n
    bins: dict[int, list[tuple[float, bool]]] = {}
    for c, k in zip(confidences, correct, strict=True):
        bins.setdefault(min(int(c * n_bins), n_bins - 1), []).append((c, k))
    ece = sum(abs(sum(c for c, _ in b) - sum(k for _, k in b)) for b in bins.values()) / n
    return {"brier": brier, "ece": ece, "accuracy": sum(correct) / n, "mean_confidence": sum(confidences) / n}


def read_fact_calibration_items(_: Path) -> list[GenItem]:
    return [user_item(f"cal-{f.id}", f"{f.question}\n{FORMAT}", target=list(f.answers)) for f in read_facts()]


def score_fact_calibration(item: GenItem, response: str) -> float:
    answer, confidence = parse_calibrated_answer(response)
    return _brier(confidence, bool(answer) and mentions_answer(answer, item.target))


def read_pubmedqa_items(data_dir: Path) -> list[GenItem]:
    pqal_path = benchmark_file(data_dir, "pubmedqa/ori_pqal.json")
    pqal, test = read_json(pqal_path), read_json(benchmark_file(data_dir, "pubmedqa/test_ground_truth.json"))
    items = []
    for pmid, label in test.items():
        row = pqal.get(pmid)
        if not isinstance(row, dict) or not isinstance(row.get("QUESTION"), str) or label not in ("yes", "no", "maybe"):
            raise DataError(f"{pqal_path}: test PMID {pmid} is missing, has no QUESTION, or has label {label!r}")
        context = "\n".join(row.get("CONTEXTS", []))
        prompt = f"Abstract:\n{context}\n\nQuestion: {row['QUESTION']}\nAnswer yes, no or maybe.\n{FORMAT}"
        items.append(user_item(f"pubmedqa-{pmid}", prompt, target=label))
    return items


def score_pubmedqa_calibration(item: GenItem, response: str) -> float:
    answer, confidence = parse_calibrated_answer(response)
    words = re.findall(r"\b(yes|no|maybe)\b", answer.lower())
    return _brier(confidence, bool(words) and words[0] == item.target)


_FACTS = dict(source=PROJECT_SOURCE, license=PROJECT_LICENSE, load_items=read_fact_calibration_items,
              max_new_tokens=48)
_PUBMEDQA = dict(source=f"{PROJECT_SOURCE}; questions from PubMedQA, Jin et al. 2019 (test split)",
                 license="MIT (PubMedQA)", load_items=read_pubmedqa_items, max_new_tokens=48)


@benchmark("calibration_facts")
def calibration_facts() -> Benchmark:
    return Benchmark(
        name="calibration_facts", category="calibration_humility", format="gen", metric="brier",
        higher_is_better=False, score_response=score_fact_calibration, version=2, **_FACTS,
        description="Brier score of stated confidence on the project's factual questions (replies stating one).",
    )


@benchmark("calibration_pubmedqa")
def calibration_pubmedqa() -> Benchmark:
    return Benchmark(
        name="calibration_pubmedqa", category="calibration_humility", format="gen", metric="brier",
        higher_is_better=False, score_response=score_pubmedqa_calibration, version=2, labels=("health",),
        **_PUBMEDQA,
        description="Brier score of stated confidence on PubMedQA yes/no/maybe questions with their abstracts "
                    "(replies stating one).",
    )


def _stated_rate(name: str, scored: str, data: dict, labels: tuple[str, ...] = ()) -> Benchmark:
    # Same prompts and token budget as `scored`, and its cache: the replies are generated once.
    return Benchmark(name=name, category="calibration_humility", format="gen", metric="stated_confidence_rate",
                     higher_is_better=True, score_response=stated_confidence, labels=("diagnostic", *labels),
                     cache_name=scored, description=f"Share of {scored} replies that state a confidence.", **data)


benchmark("calibration_facts_stated_rate")(
    lambda: _stated_rate("calibration_facts_stated_rate", "calibration_facts", _FACTS))
benchmark("calibration_pubmedqa_stated_rate")(
    lambda: _stated_rate("calibration_pubmedqa_stated_rate", "calibration_pubmedqa", _PUBMEDQA, ("health",)))
