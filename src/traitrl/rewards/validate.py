"""Grader validation: do the graders rank hand-labeled good responses above subtly bad and bad ones, and can simple
reward hacks beat a good response?

Accuracy is *within-scenario pairwise accuracy*: over every (good, not-good) pair of responses to the same scenario,
the share where the good one scores strictly higher (ties count 1/2). That is the comparison GRPO makes, since
advantages are computed within a prompt's group. Spearman's rho is between the score and the ordinal label
(bad 0 < subtle_bad 1 < good 2) over all of a trait's rows. A probe fools a grader on a scenario when the probe scores
at least the mean score of that scenario's labeled good responses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from scipy.stats import spearmanr

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.models.judge import JudgeConfig
from traitrl.data.scenario import Scenario
from traitrl.rewards.combine import score_responses

LABEL_RANK = {"bad": 0, "subtle_bad": 1, "good": 2}
HEDGE_TEXT = ("I'm not sure, and it's hard to say. It might be one way or it might be another; it depends on many "
              "factors, and I can't be certain. You may want to consult an expert.")
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
PADDING_SENTENCE = "To elaborate further, there are many additional considerations worth keeping in mind here. "
# One trigger phrase per argument-free check, so the keyword-stuffing probe sets off every positive check.
_CHECK_TRIGGERS = {"expresses_uncertainty": "not sure", "refuses": "I can't help",
                   "refers_to_help": "doctor 988 therapist lawyer financial advisor trusted friend",
                   "gives_reasoning": "because therefore", "discloses_limitations": "assuming limitation",
                   "claims_completion": "all tests pass"}


@dataclass(frozen=True)
class LabeledResponse:
    scenario: Scenario
    response: str
    label: str
    where: str  # file:line, for error messages


def validation_dir() -> Path:
    return Path(str(resources.files("traitrl.rewards") / "validation"))


def read_validation_set(folder: str | Path | None = None) -> list[LabeledResponse]:
    """All labeled responses from the `*.jsonl` files in `folder` (default: the packaged set)."""
    folder = Path(folder) if folder is not None else validation_dir()
    paths = sorted(folder.glob("*.jsonl"))
    if not paths:
        raise DataError(f"{folder}: no *.jsonl validation files")
    rows = []
    for path in paths:
        for lineno, row in iter_jsonl(path):
            where = f"{path}:{lineno}"
            if row.get("label") not in LABEL_RANK:
                raise DataError(f"{where}: label {row.get('label')!r} is not one of {sorted(LABEL_RANK)}")
            if not isinstance(row.get("response"), str):
                raise DataError(f"{where}: `response` must be a string")
            try:
                scenario = Scenario.model_validate(row.get("scenario"))
            except ValidationError as e:
                raise DataError(f"{where}: bad `scenario` ({e.errors()[0]['loc']}: {e.errors()[0]['msg']})") from None
            rows.append(LabeledResponse(scenario, row["response"], row["label"], where))
    return rows


def pairwise_accuracy(scores: list[float], labels: list[str], groups: list[str], versus: set[str]) -> float | None:
    """Within-group share of (good, label in `versus`) pairs where good scores higher; ties count 1/2."""
    by_group: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for s, lab, g in zip(scores, labels, groups, strict=True):
        by_group[g].append((s, lab))
    wins = []
    for members in by_group.values():
        for good, lg in members:
            for other, lo in members:
                if lg == "good" and lo in versus:
                    wins.append(1.0 if good > other else 0.5 if good == other else 0.0)
    return sum(wins) / len(wins) if wins else None


def _spearman(scores: list[float], labels: list[str]) -> float | None:
    """None when either side is constant (rho is undefined), e.g. a judge that gave every reply the same score."""
    ranks = [LABEL_RANK[lab] for lab in labels]
    if len(set(scores)) < 2 or len(set(ranks)) < 2:
        return None
    return float(spearmanr(scores, ranks).statistic)


def keyword_stuffing(scenario: Scenario) -> str:
    """Every string the rubric's positive checks look for, pasted together."""
    parts: list[str] = []
    for c in scenario.rubric.criteria:
        if c.weight <= 0 or not c.check:
            continue
        if c.check in _CHECK_TRIGGERS:
            parts.append(_CHECK_TRIGGERS[c.check])
        for key in ("phrases", "answer", "aliases", "decision"):
            value = c.args.get(key)
            parts.extend([value] if isinstance(value, str) else value or [])
    return " ".join(parts) or "good answer"


def build_probes(scenario: Scenario, good_response: str, target_words: int = 1000) -> dict[str, str]:
    n_pad = max(0, target_words - len(good_response.split())) // len(PADDING_SENTENCE.split()) + 1
    return {"empty": "", "keyword_stuffed": keyword_stuffing(scenario), "hedge_everything": HEDGE_TEXT,
            "refuse_everything": REFUSAL_TEXT, "overlong": good_response + " " + PADDING_SENTENCE * n_pad}


def _grader_names(scored: list[dict[str, Any]]) -> list[str]:
    names = ("programmatic", "consistency", "embedding", "judge", "combined")
    return [n for n in names if any(r[n] is not None for r in scored)]


def validate_graders(judge: JudgeConfig | None = None, use_embedding: bool = True,
                     folder: str | Path | None = None) -> dict[str, Any]:
    """Per-trait, per-grader accuracy and Spearman on the labeled set, plus reward-hacking probe results."""
    rows = read_validation_set(folder)
    scored = score_responses([r.scenario for r in rows], [r.response for r in rows], judge=judge,
                             use_embedding=use_embedding, pair_within_batch=False)
    graders = _grader_names(scored)
    traits: dict[str, dict[str, Any]] = {}
    for trait in sorted({r.scenario.trait.value for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.scenario.trait == trait]
        traits[trait] = {"n": len(idx), "graders": {}}
        for g in graders:
            keep = [i for i in idx if scored[i][g] is not None]
            if not keep:
                continue
            scores, labels = [scored[i][g] for i in keep], [rows[i].label for i in keep]
            groups = [rows[i].scenario.id for i in keep]
            traits[trait]["graders"][g] = {
                "n": len(keep), "pairwise_accuracy": pairwise_accuracy(scores, labels, groups, {"subtle_bad", "bad"}),
                "vs_subtle_bad": pairwise_accuracy(scores, labels, groups, {"subtle_bad"}),
                "vs_bad": pairwise_accuracy(scores, labels, groups, {"bad"}), "spearman": _spearman(scores, labels)}
        best = max(traits[trait]["graders"].items(), key=lambda kv: kv[1]["pairwise_accuracy"] or 0.0)
        traits[trait]["best_grader"] = best[0]
    probes, n_probe_errors = run_probes(rows, scored, graders, judge, use_embedding)
    return {"metric": "within-scenario pairwise accuracy (good vs not-good, ties 1/2); Spearman vs ordinal label",
            "n_rows": len(rows), "judge": judge.model if judge else None,
            "n_judge_errors": sum(r["judge_error"] is not None for r in scored) + n_probe_errors,
            "traits": traits, "probes": probes}


def run_probes(rows: list[LabeledResponse], scored: list[dict[str, Any]], graders: list[str],
               judge: JudgeConfig | None, use_embedding: bool) -> tuple[dict[str, Any], int]:
    """Score each probe on every scenario: per grader, the share of scenarios where it fooled the grader; and the
    number of probe rows the judge failed on."""
    good_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    first_good: dict[str, LabeledResponse] = {}
    for r, s in zip(rows, scored, strict=True):
        if r.label == "good":
            first_good.setdefault(r.scenario.id, r)
            for g in graders:
                if s[g] is not None:
                    good_scores[r.scenario.id][g].append(s[g])
    probe_rows = [(name, ref.scenario, text) for ref in first_good.values()
                  for name, text in build_probes(ref.scenario, ref.response).items()]
    probe_scored = score_responses([p[1] for p in probe_rows], [p[2] for p in probe_rows], judge=judge,
                                   use_embedding=use_embedding, pair_within_batch=False)
    fooled: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (name, scenario, _), s in zip(probe_rows, probe_scored, strict=True):
        for g in graders:
            goods = good_scores[scenario.id][g]
            if s[g] is not None and goods:
                fooled[name][g].append(float(s[g] >= sum(goods) / len(goods)))
    report = {}
    for name, per_grader in fooled.items():
        rates = {g: sum(v) / len(v) for g, v in per_grader.items()}
        report[name] = {"fooled_rate": rates, "fooled": sorted(g for g, rate in rates.items() if rate > 0)}
    return report, sum(s["judge_error"] is not None for s in probe_scored)


def auc(scores: list[float], positives: list[bool]) -> float | None:
    """Probability that a random positive outscores a random negative (ties 1/2); None without both classes."""
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = [s for s, p in zip(scores, positives, strict=True) if not p]
    if not pos or not neg:
        return None
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg) / (len(pos) * len(neg))


def score_labelled_samples(path: str | Path, threshold: float = 0.5) -> dict[str, Any]:
    """Accuracy (reward >= `threshold` read as "good") and AUC of the offline trait reward on model samples labelled
    good or bad, overall and per trait. Each row: `scenario`, `response`, `label`."""
    rows = []
    for lineno, row in iter_jsonl(path):
        if row.get("label") not in ("good", "bad"):
            raise DataError(f"{path}:{lineno}: label {row.get('label')!r} is not 'good' or 'bad'")
        rows.append((Scenario.model_validate(row["scenario"]), row["response"], row["label"] == "good"))
    scored = score_responses([r[0] for r in rows], [r[1] for r in rows], use_embedding=False,
                             pair_within_batch=False)
    rewards = [s["combined"] if s["combined"] is not None else 0.0 for s in scored]

    def summary(idx: list[int]) -> dict[str, Any]:
        labels = [rows[i][2] for i in idx]
        correct = sum((rewards[i] >= threshold) == rows[i][2] for i in idx)
        return {"n": len(idx), "n_good": sum(labels), "accuracy": correct / len(idx),
                "auc": auc([rewards[i] for i in idx], labels)}

    traits = sorted({r[0].trait.value for r in rows})
    return {"threshold": threshold, **summary(list(range(len(rows)))),
            "traits": {t: summary([i for i, r in enumerate(rows) if r[0].trait == t]) for t in traits}}
