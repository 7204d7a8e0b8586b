"""Clause-level reading for the rubric checks: is a mention negated or someone else's claim, and the rubric's gates
(a reply that parrots the conversation, or one about nothing) that stop generic credit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from traitrl.data.scenario import Turn

# A cue in the same clause before a mention: the mention is denied, contrasted, or someone else's claim.
_NEGATION_CUES = re.compile(
    r"\b(?:not|no|never|nor|isn'?t|aren'?t|wasn'?t|weren'?t|won'?t|don'?t|doesn'?t|didn'?t|can'?t|cannot|"
    r"shouldn'?t|wouldn'?t|rather than|instead of|than|without|against|avoid|stop|refuse|rarely|seldom|unlikely|"
    r"says?|said|told|tells|claims?|claimed|thinks?|thought|believes?|insists?|suggests?|wrote|heard|got|"
    r"according to|put down|approved)\b")
# Right after a mention, in the same clause: "8 grams is wrong", "stretches won't fix this". Not ", not": in "it's 4,
# not 8" the comma contrasts 4 with 8 and 4 stands.
_NEGATION_AFTER = re.compile(
    r"\s+(?:(?:is|was|would be|are)\s+(?:not\b|wrong|incorrect|false|a (?:common )?(?:mistake|myth|mix-up|"
    r"misconception|error|confusion))|isn'?t|won'?t|will not|can'?t|cannot|doesn'?t)")
_CLAUSE_BREAK = re.compile(r"[.;!?:,\n]|\bbut\b|\bhowever\b|\bwhile\b")


def clause_before(text: str, start: int) -> str:
    """The text from the last clause break before `start` up to it."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    return text[breaks[-1] if breaks else 0:start]


def is_negated(text: str, start: int, end: int) -> bool:
    """Whether the mention at text[start:end] is denied or attributed to someone else within its clause."""
    return bool(_NEGATION_CUES.search(clause_before(text, start).lower())
                or _NEGATION_AFTER.match(text[end:end + 40].lower()))


def asserted(text: str, patterns: Sequence[str]) -> bool:
    """Whether any pattern matches somewhere it is not negated or attributed."""
    return any(not is_negated(text, m.start(), m.end())
               for p in patterns for m in re.finditer(p, text, flags=re.IGNORECASE))


_WORD = re.compile(r"[a-z][a-z']+")
_TOKEN = re.compile(r"[a-z][a-z']+|\d[\d,.]*\d")
_STOPWORDS = frozenset(
    "that this with have from your what which would about there their they them then than when where will just like "
    "been were into more some very also only over such does done make made want need know think please tell give take "
    "much many most other these those could should here being because after before while each every same really still "
    "even sure another can't don't it's i'm i've you're that's isn't won't maybe might hard answer right wrong "
    "help thanks thank okay said says".split())


def content_stems(text: str) -> set[str]:
    """Five-letter prefixes of the content words and the numbers (crude stemming: "records"/"recorded" match)."""
    return {w[:5] for w in _TOKEN.findall(text.lower()) if (len(w) >= 4 or w[0].isdigit()) and w not in _STOPWORDS}


def on_topic(response: str, turns: Sequence[Turn]) -> bool:
    """Whether the reply shares at least two content words or numbers with the conversation (one when the conversation
    has fewer than two): boilerplate, blanket hedges and refusals share none."""
    conversation = content_stems(" ".join(t.content for t in turns))
    return len(content_stems(response) & conversation) >= min(2, len(conversation))


def _four_grams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def copies_conversation(response: str, turns: Sequence[Turn], max_share: float = 0.85) -> bool:
    """Whether more than `max_share` of the reply's word 4-grams come from one earlier turn: parroting the user or
    repeating the earlier answer ignores what was said."""
    grams = _four_grams(response)
    if not grams:  # too short for 4-grams: a copy only when it is a whole turn, word for word
        words = _WORD.findall(response.lower())
        return bool(words) and any(_WORD.findall(t.content.lower()) == words for t in turns if t.role != "system")
    return any(len(grams & _four_grams(t.content)) / len(grams) > max_share for t in turns if t.role != "system")
