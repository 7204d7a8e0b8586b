"""Control rewards for the trait conversations: generic helpfulness, and a placebo with the trait reward's
distribution but no relation to the reply.

Both replace `trait_reward` on exactly the same rows (the trait share of the mix, same prompts, same dose), so an
arm trained with them is compute-matched with the trait arm and differs only in what the reward pays for:
- `helpfulness_reward` (the paper's generic-helpfulness control): pays for answering the request at all, on topic
  and with substance; it never reads the trait rubric or the reference replies. With a judge, the judge scores
  generic helpfulness with a fixed rubric that never names the trait.
- `placebo_reward` (ours, beyond the paper): the trait arm's continuous reward gives gradient on steps where a binary
  task reward gives none. The placebo supplies the same amount of signal with no content: each reply gets the
  empirical quantile, at a seeded hash of (row id, reply text), of the trait rewards seen so far in this run.
  So its values follow the trait reward's own on-policy distribution (mean and spread), while which reply gets a
  high value is unrelated to what the reply says. It computes the real trait reward only to know that distribution,
  which also keeps its grading cost equal to the trait arm's.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import Any

from traitrl._util.errors import DataError
from traitrl._util.io import stable_hash
from traitrl.models.judge import JudgeConfig, judge_client
from traitrl.data.scenario import Scenario
from traitrl.rewards.combine import length_factor, parse_scenario_column, trait_reward
from traitrl.rewards.programmatic import refuses
from traitrl.rewards.registry import Grader, grader, text_of
from traitrl.rewards.rubric import format_conversation

_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_STOPWORDS = frozenset("""this that with what when where which would could should have from your about there their
they them then than been were will just like into only also some more most very much does make want need know
please tell help here okay really thanks thank""".split())
MIN_NEW_WORDS = 15  # below this a reply says nothing beyond the request
PLACEBO_BUFFER = 2048  # trait rewards remembered for the placebo's distribution

HELPFULNESS_PROMPT = (
    "You grade how helpful one assistant reply is to the user's last message. Consider only whether it answers "
    "what was asked, follows the user's explicit instructions, is accurate as far as you can tell, and is clear and "
    "concise. Do not reward or penalise anything else. Think briefly, then end with a final line exactly of the "
    "form `SCORE: <integer 0-10>`.")


def content_words(text: str) -> set[str]:
    """Content words cut to five letters, a crude stem: "smells" and "smell" match."""
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def helpfulness_score(request: str, response: str) -> float:
    """Offline generic helpfulness in [0, 1]: answers (no refusal), on topic, with substance, not overlong.

    on topic = share of the request's content words the reply uses (full marks at a quarter); substance = new
    content words beyond the request (full marks at MIN_NEW_WORDS). Substance multiplies, so echoing the request earns
    nothing; an off-topic answer keeps half.
    """
    if not response.strip() or refuses(response):
        return 0.0
    asked, said = content_words(request), content_words(response)
    on_topic = min(1.0, 4 * len(asked & said) / len(asked)) if asked else 1.0
    substance = min(1.0, len(said - asked) / MIN_NEW_WORDS)
    return substance * (0.5 + 0.5 * on_topic) * length_factor(response)


def helpfulness_messages(scenario: Scenario, response: str) -> list[dict[str, str]]:
    user = (f"<conversation>\n{format_conversation(scenario)}\n</conversation>\n\n<reply>\n{response}\n</reply>\n\n"
            "How helpful is the reply? 10 = fully answers the request as asked; 0 = useless. End with "
            "`SCORE: <0-10>`.")
    return [{"role": "system", "content": HELPFULNESS_PROMPT}, {"role": "user", "content": user}]


def _scenarios(source: Sequence[str], scenario: Sequence[Any]) -> list[Scenario | None]:
    return [parse_scenario_column(sc, i) if src == "trait" else None
            for i, (src, sc) in enumerate(zip(source, scenario, strict=True))]


@grader("helpfulness_reward", version=1)
def helpfulness_reward(judge: JudgeConfig | dict | None = None) -> Grader:
    """Generic helpfulness on trait rows (None elsewhere); judge-scored when `judge` is given."""
    judge_config = JudgeConfig.model_validate(judge) if isinstance(judge, dict) else judge

    def grade(prompts: list, completions: list, *, source: list[str], scenario: list[Any],
              **_: Any) -> list[float | None]:
        scenarios = _scenarios(source, scenario)
        texts = [text_of(c) for c in completions]
        index = [i for i, s in enumerate(scenarios) if s is not None]
        out: list[float | None] = [None] * len(completions)
        if judge_config is None:
            for i in index:
                out[i] = helpfulness_score(scenarios[i].turns[-1].content, texts[i])
            return out
        results = judge_client(judge_config).score_many_sync([helpfulness_messages(scenarios[i], texts[i])
                                                             for i in index])
        for i, r in zip(index, results, strict=True):
            out[i] = r.score  # None after failed retries: that row gives no reward, as with the trait judge
        return out

    return grade


def unit_hash(seed: int, *parts: Any) -> float:
    """A number in [0, 1) fixed by `parts`: reproducible, and unrelated to what the parts mean."""
    return int(stable_hash(seed, *parts, length=12), 16) / 16 ** 12


def empirical_quantile(values: Sequence[float], u: float) -> float:
    """The value at rank u of `values` (no interpolation, so a quantile draw has the values' exact distribution)."""
    ordered = sorted(values)
    return ordered[min(int(u * len(ordered)), len(ordered) - 1)]


@grader("placebo_reward", version=1)
def placebo_reward(seed: int = 0, judge: JudgeConfig | dict | None = None, use_embedding: bool = True) -> Grader:
    """The trait reward's distribution, drawn at a seeded hash of (row id, reply): same dose, no content."""
    trait = trait_reward(judge=judge, use_embedding=use_embedding)
    seen: deque[float] = deque(maxlen=PLACEBO_BUFFER)

    def grade(prompts: list, completions: list, *, source: list[str], id: list[str], **columns: Any
              ) -> list[float | None]:
        real = trait(prompts, completions, source=source, id=id, **columns)
        seen.extend(r for r in real if r is not None)
        out: list[float | None] = [None] * len(completions)
        for i, (r, row_id, c) in enumerate(zip(real, id, completions, strict=True)):
            if r is not None:
                if not seen:
                    raise DataError(f"placebo_reward: row {i} is a trait row but the trait reward gave no value")
                out[i] = empirical_quantile(seen, unit_hash(seed, row_id, text_of(c)))
        return out

    return grade


__all__ = ["empirical_quantile", "helpfulness_reward", "helpfulness_score",
           "placebo_reward", "unit_hash"]
