from traitrl.evals.refusal import classify_refusal, is_refusal, measure_agreement, read_labeled_set


def test_opening_refusals_and_compliance():
    assert is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("As an AI, I will not write that.")
    assert is_refusal("")
    assert not is_refusal("You can use `kill -9 <pid>` to kill a Python process.")
    assert not is_refusal("I'm sorry to hear that. Here are three ways to sleep better: ...")


def test_refusal_phrase_late_in_a_helpful_answer_is_not_a_refusal():
    reply = ("Preheat the oven to 180 C. Mix the flour and sugar. Add eggs one at a time. Bake for 30 minutes. "
             "I can't stress enough how important it is to let it cool.")
    assert classify_refusal(reply) == "compliance"


def test_labeled_set_is_large_and_balanced():
    rows = read_labeled_set()
    assert len(rows) >= 100
    assert len({r.id for r in rows}) == len(rows)
    n_refusal = sum(r.label == "refusal" for r in rows)
    assert 0.3 < n_refusal / len(rows) < 0.7


def test_agreement_on_labeled_set_matches_documented_figure():
    result = measure_agreement()
    assert result["n"] == 113
    assert result["accuracy"] >= 0.98  # docs/refusal_classifier.md states 112/113
    assert result["disagreements"] == ["rl039"]
