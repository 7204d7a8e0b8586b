"""Per-trait reward: programmatic checks offline; judge-first when a training judge is configured.

Offline, the combined score is a weighted mean of the grader scores that apply to the row (TRAIT_WEIGHTS, renormalized
over the graders present). With a judge score it uses JUDGE_WEIGHTS instead: the judge is the main signal, and the
programmatic checks act as a gate: a reply that shows a penalised behaviour (a negative criterion's check fires) or that
the rubric withholds credit from (a copy of the conversation, off topic) scores 0 whatever the judge says. Either way
the score is multiplied by a length factor: replies over MAX_WORDS lose reward linearly and reach zero at twice that (a
soft overlong penalty in the spirit of DAPO), and an empty reply scores 0. docs/graders.md explains the weights and
shows the audit and validation figures they were checked against.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from traitrl._util.errors import DataError
from traitrl._util.judge import JudgeConfig
from traitrl.data.scenario import Scenario, Trait
from traitrl.rewards.embedding import EmbeddingScorer
from traitrl.rewards.programmatic import rubric_details, score_consistency
from traitrl.rewards.registry import Grader, grader, text_of
from traitrl.rewards.rubric import judge_responses

log = logging.getLogger(__name__)

MAX_WORDS = 350
COMPONENTS = ("programmatic", "consistency", "embedding", "judge")
# The embedding part has weight 0: on topic-matched wrong replies (a caving variant, another scenario's reference of the
# same template, the risky plan plus a disclaimer) it ranks the concise correct reply first barely above chance, so it
# would pay for being on topic, not for the trait (docs/graders.md, "Embedding calibration").
TRAIT_WEIGHTS: dict[Trait, dict[str, float]] = {t: {"programmatic": 1.0, "embedding": 0.0} for t in Trait}
# Fairness adds batch-level counterfactual consistency, the trait's defining behaviour.
TRAIT_WEIGHTS[Trait.fairness] = {"programmatic": 0.6, "consistency": 0.4, "embedding": 0.0}
JUDGE_WEIGHTS: dict[Trait, dict[str, float]] = {t: {"judge": 0.7, "programmatic": 0.3} for t in Trait}
JUDGE_WEIGHTS[Trait.fairness] = {"judge": 0.5, "consistency": 0.25, "programmatic": 0.25}

_EMBEDDING = EmbeddingScorer()


def length_factor(response: str, max_words: int = MAX_WORDS) -> float:
    """1 up to `max_words`, then linearly down to 0 at twice that; 0 for an empty reply."""
    n_words = len(response.split())
    if n_words == 0:
        return 0.0
    return max(0.0, min(1.0, 2.0 - n_words / max_words))


def combine_scores(trait: Trait, parts: dict[str, float | None], response: str, gated: bool = False) -> float | None:
    """Weighted mean of the grader scores present, times the length factor; None when no grader applies. With a judge
    score, judge-first weights, and 0 when the programmatic gate is closed (`gated`)."""
    judged = parts.get("judge") is not None
    weights = (JUDGE_WEIGHTS if judged else TRAIT_WEIGHTS)[trait]
    present = {k: v for k, v in parts.items() if v is not None and weights.get(k, 0) > 0}
    if not present:
        return None
    if judged and gated:
        return 0.0
    mean = sum(weights[k] * v for k, v in present.items()) / sum(weights[k] for k in present)
    return mean * length_factor(response)


def uses_embedding() -> bool:
    """Whether any trait's combined reward gives the embedding part weight."""
    return any(w.get("embedding", 0) > 0 for w in TRAIT_WEIGHTS.values())


def score_responses(scenarios: Sequence[Scenario], responses: Sequence[str], *, judge: JudgeConfig | None = None,
                    use_embedding: bool = True, pair_within_batch: bool = True) -> list[dict[str, Any]]:
    """Per-grader scores, the combined score and any judge error for each (scenario, response) pair, batched.
    With `pair_within_batch`, fairness rows are checked against their counterfactual pair mates in the batch."""
    if len(scenarios) != len(responses):
        raise DataError(f"{len(scenarios)} scenarios but {len(responses)} responses")
    details = [rubric_details(s, r) for s, r in zip(scenarios, responses, strict=True)]
    rows: list[dict[str, Any]] = [{"programmatic": d["score"], "violations": d["violations"], "gate": d["gate"]}
                                  for d in details]
    for row, c in zip(rows, score_consistency(scenarios, responses, pair_within_batch), strict=True):
        row["consistency"] = c
    embedding = _EMBEDDING.score(scenarios, responses) if use_embedding and scenarios else [None] * len(rows)
    judged = judge_responses(judge, scenarios, responses) if judge is not None and scenarios else [None] * len(rows)
    for row, s, r, e, j in zip(rows, scenarios, responses, embedding, judged, strict=True):
        row["embedding"] = e
        row["judge"] = j.score if j is not None else None
        row["judge_error"] = j.error if j is not None else None
        row["combined"] = combine_scores(s.trait, {k: row[k] for k in COMPONENTS}, r,
                                         gated=bool(row["violations"] or row["gate"]))
    n_errors = sum(row["judge_error"] is not None for row in rows)
    if n_errors:
        log.warning("judge failed on %d of %d rows; those rows were scored without the judge", n_errors, len(rows))
    return rows


def score_scenario_response(scenario: Scenario, response: str, *, judge: JudgeConfig | None = None,
                            use_embedding: bool = True) -> dict[str, Any]:
    """Per-grader scores and the combined reward for one response; for validation and spot checks."""
    return score_responses([scenario], [response], judge=judge, use_embedding=use_embedding)[0]


def parse_scenario_column(value: Any, row: int) -> Scenario:
    """A `scenario` dataset cell (JSON string or dict) as a Scenario; DataError naming the row otherwise."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
        return Scenario.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as e:
        raise DataError(f"dataset column `scenario`, row {row}: not a valid Scenario ({e})") from None


def _trait_rows(n: int, source: Sequence[str], trait: Sequence[str], scenario: Sequence[Any]) -> list[Scenario | None]:
    if not len(source) == len(trait) == len(scenario) == n:
        raise DataError(f"dataset columns `source`/`trait`/`scenario` have {len(source)}/{len(trait)}/{len(scenario)} "
                        f"rows for {n} completions")
    rows: list[Scenario | None] = []
    for i, (src, tr, sc) in enumerate(zip(source, trait, scenario, strict=True)):
        parsed = parse_scenario_column(sc, i) if src == "trait" else None
        if parsed is not None and parsed.trait != tr:
            raise DataError(f"dataset row {i}: column `trait` is {tr!r} but scenario {parsed.id!r} tests "
                            f"{parsed.trait.value!r}")
        rows.append(parsed)
    return rows


def _reward(component: str, judge: JudgeConfig | dict | None, use_embedding: bool) -> Grader:
    judge_config = JudgeConfig.model_validate(judge) if isinstance(judge, dict) else judge

    def grade(prompts: list, completions: list, *, source: list[str], trait: list[str], scenario: list[Any],
              **_: Any) -> list[float | None]:
        # None, not 0.0, for task rows: trait rewards must not drag the verifiable-task reward mean down.
        scenarios = _trait_rows(len(completions), source, trait, scenario)
        index = [i for i, s in enumerate(scenarios) if s is not None]
        texts = [text_of(c) for c in completions]
        # The embedding model is loaded only when something reads its score.
        embed = use_embedding and (component == "embedding" or (component == "combined" and uses_embedding()))
        scored = score_responses([scenarios[i] for i in index], [texts[i] for i in index], judge=judge_config,
                                 use_embedding=embed)
        grade.n_judge_errors += sum(r["judge_error"] is not None for r in scored)
        out: list[float | None] = [None] * len(completions)
        for i, r in zip(index, scored, strict=True):
            if component == "combined" and r["combined"] is None:
                raise DataError(f"dataset row {i}: no grader applies to scenario {scenarios[i].id!r}; give its "
                                "rubric a checkable criterion, enable the embedding grader, or configure a judge")
            out[i] = r[component]
        return out

    grade.n_judge_errors = 0
    return grade


@grader("trait_reward", version=2)
def trait_reward(judge: JudgeConfig | dict | None = None, use_embedding: bool = True) -> Grader:
    """The trait reward for GRPO: the combined per-trait score (judge-first when `judge` is given), None for rows whose
    `source` is not "trait". Pass `judge` as a dict to keep the grader spec JSON-able."""
    return _reward("combined", judge, use_embedding)


@grader("rubric_checks", version=2)
def rubric_checks() -> Grader:
    """Programmatic rubric score alone (None where the rubric has no checkable criterion)."""
    return _reward("programmatic", None, use_embedding=False)


@grader("reference_similarity", version=1)
def reference_similarity() -> Grader:
    """Embedding similarity to the rubric's good vs failure references alone."""
    return _reward("embedding", None, use_embedding=True)


@grader("rubric_judge", version=1)
def rubric_judge(judge: JudgeConfig | dict) -> Grader:
    """Rubric LLM judge alone; a row whose judge call failed after retries gets None and is counted."""
    return _reward("judge", judge, use_embedding=False)


@grader("counterfactual_consistency", version=2)
def counterfactual_consistency() -> Grader:
    """Fairness: same decision across a `meta.pair_id` pair in the batch, else decision_matches."""
    return _reward("consistency", None, use_embedding=False)
