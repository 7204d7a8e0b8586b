"""The generated + hand-written bank: size targets, determinism, and rubrics that agree with their own references."""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pytest

from traitrl.data.bank import bank_stats, build_bank
from traitrl.data.generators import generate_all
from traitrl.data.generators.facts import FACTS
from traitrl.data.generators.transparent_reasoning import break_even, child_ibuprofen
from traitrl.data.scenario import Domain, Trait

CHECKS = {"mentions_any", "states_answer", "expresses_uncertainty", "refuses", "refers_to_help", "claims_completion",
          "fabricates_specifics", "gives_reasoning", "discloses_limitations", "decision_matches", "helps_with_plan",
          "discourages", "proposes_gaming", "states_unsupported_figure"}


@pytest.fixture(scope="module")
def bank():
    return build_bank(seed=0)


def contains_phrase(text: str, phrase: str) -> bool:
    # Whole words, as the graders match them: a stem such as "decompos" must not count as mentioned.
    start = r"\b" if phrase[:1].isalnum() else ""
    end = r"\b" if phrase[-1:].isalnum() else ""
    return re.search(start + re.escape(phrase) + end, text, flags=re.IGNORECASE) is not None


def phrase_check(criterion, text: str) -> bool | None:
    """The phrase-decidable checks, judged simply; None for checks that need the real grader."""
    if criterion.check == "mentions_any":
        return any(contains_phrase(text, p) for p in criterion.args["phrases"])
    if criterion.check == "states_answer" and criterion.weight > 0:  # the wrong answer may appear negated
        return any(contains_phrase(text, a) for a in [criterion.args["answer"], *criterion.args.get("aliases", [])])
    if criterion.check == "decision_matches":
        return text.lower().startswith(criterion.args["decision"].lower())
    return None


def test_bank_meets_size_targets(bank):
    stats = bank_stats(bank)
    assert stats["total"] >= 1600
    assert stats["by_source"]["generated"] >= 1500 and stats["by_source"]["handwritten"] >= 100
    assert stats["min_cell"] >= 25 and stats["empty_cells"] == []
    assert set(stats["by_trait"]) == {t.value for t in Trait} and set(stats["by_domain"]) == {d.value for d in Domain}
    assert stats["multi_turn"] >= 0.3 * stats["total"]


def test_generation_is_deterministic_by_seed():
    first, again, other = generate_all(0, per_cell=4), generate_all(0, per_cell=4), generate_all(1, per_cell=4)
    assert [s.model_dump() for s in first] == [s.model_dump() for s in again]
    assert {s.id for s in first} != {s.id for s in other}


def test_ids_are_unique(bank):
    assert len({s.id for s in bank}) == len(bank)


def test_criteria_use_only_the_agreed_checks(bank):
    used = {c.check for s in bank for c in s.rubric.criteria if c.check}
    assert used <= CHECKS
    assert {"states_answer", "decision_matches", "fabricates_specifics", "claims_completion", "refers_to_help"} <= used


def test_good_responses_pass_their_own_phrase_checks(bank):
    wrong = [(s.id, c.description) for s in bank for c in s.rubric.criteria
             if (hit := phrase_check(c, s.rubric.good_response)) is not None and hit != (c.weight > 0)]
    assert wrong == []


def test_fairness_pairs_share_the_decision_and_differ_only_in_the_attribute(bank):
    pairs = defaultdict(list)
    for s in bank:
        if s.trait == Trait.fairness:
            pairs[s.meta["pair_id"]].append(s)
    assert len(pairs) >= 7 * 16
    for members in pairs.values():
        assert len(members) == 2
        a, b = members
        assert a.meta["expected_decision"] == b.meta["expected_decision"]
        assert a.meta["attribute"] == b.meta["attribute"] and a.meta["attribute_value"] != b.meta["attribute_value"]
        assert a.turns[-1].content != b.turns[-1].content and a.domain == b.domain
        for s in members:
            decision = next(c for c in s.rubric.criteria if c.check == "decision_matches")
            assert decision.args["decision"] == s.meta["expected_decision"] in decision.args["options"]


def test_honesty_pushback_pushes_the_wrong_answer(bank):
    pushbacks = [s for s in bank if s.generator == "honesty.pushback"]
    assert len(pushbacks) > 100
    for s in pushbacks:
        assert s.turns[2].role == "assistant" and s.meta["correct_answer"] in s.turns[2].content
        assert s.meta["wrong_answer"] in s.turns[-1].content


def test_fact_answers_never_contain_the_wrong_answer():
    # A wrong answer that contains an accepted answer (0.1 atm vs 1 atm) would score as correct.
    clashes = [f.key for facts in FACTS.values() for f in facts
               for accepted in (f.answer, *f.aliases) if accepted.lower() in f.wrong.lower()]
    assert clashes == []


def test_parametric_numbers_are_right():
    for seed in range(50):
        rng = random.Random(seed)
        dose = child_ibuprofen(rng)
        kg = int(re.search(r"weighs (\d+) kg", dose.question).group(1))
        assert dose.answer == f"{min(10 * kg, 400)} mg"
        problem = break_even(rng)
        fixed, price, var = (int(x.replace(",", "")) for x in re.findall(r"\$([\d,]+)", problem.question))
        units = int(problem.answer.split()[0].replace(",", ""))
        assert units * (price - var) >= fixed > (units - 1) * (price - var)
