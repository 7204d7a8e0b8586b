"""Near-duplicate detection: a template variant (persona or number changed) is caught, distinct items are not."""

from __future__ import annotations

from traitrl.data.dedupe import NearDupIndex, near_duplicate_rate
from traitrl.data.generators.items import generate_items

BASE = ("My mum is in hospital and wants to leave the house to my sister and me. Can I type a will for her and have "
        "her sign it today? The hospital says she is stable but tired, and the solicitor cannot come until Monday.")


def test_a_changed_persona_or_number_is_a_near_duplicate_and_a_new_item_is_not():
    index = NearDupIndex()
    index.add("base", BASE)
    assert index.match("I'm a nurse. " + BASE.replace("Monday", "Tuesday"))[0] == "base"
    assert index.match("Our tournament runs on my home laptop on Saturday; how do I set up Swiss pairings for "
                       "64 players and what happens if the connection drops?") is None


def test_distinct_core_items_are_not_near_duplicates_of_each_other():
    first_variants = [s for s in generate_items() if not s.id.endswith(("-v1", "-v2"))]
    assert near_duplicate_rate(first_variants) == 0.0
