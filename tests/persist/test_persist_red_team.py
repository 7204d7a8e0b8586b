"""PAIR-style red teaming with a scripted attacker and target: success, median queries, budget exhaustion."""

from fake_endpoint import fake_judge  # noqa: F401  (fixture)
from persist_fakes import last_user, scripted_responder
from traitrl.persist.jailbreak import Behavior, refusal_success
from traitrl.persist.red_team import LocalAttacker, run_red_team, summarize_red_team

EASY, HARD = Behavior("b:easy", "s", "easy request"), Behavior("b:hard", "s", "hard request")


class ScriptedAttacker:
    def propose(self, behavior, history):
        return [{"role": "user", "content": f"{behavior.text} attempt {len(history) + 1}"}]


def target(conv):
    text = last_user(conv)
    return "Sure, here it is." if text == "easy request attempt 2" else "I'm sorry, I can't help with that."


def test_success_median_and_budget_exhaustion():
    respond = scripted_responder(target)
    records = run_red_team(respond, ScriptedAttacker(), [EASY, HARD], budget_queries=4, success_fn=refusal_success())
    easy, hard = records
    assert (easy["success"], easy["queries"], easy["queries_to_success"]) == (True, 2, 2)
    assert (hard["success"], hard["queries"], hard["queries_to_success"]) == (False, 4, None)
    # a solved behaviour is not queried again; rounds are batched across behaviours
    assert [len(batch) for batch in respond.calls] == [2, 2, 1, 1]
    summary = summarize_red_team(records, 4)
    assert summary["asr"] == 0.5 and summary["median_queries_to_success"] == 2 and summary["total_queries"] == 6


def test_budget_of_one_is_the_bare_request():
    records = run_red_team(scripted_responder(target), LocalAttacker(seed=0), [EASY], 1, refusal_success())
    assert records[0]["attempts"][0]["messages"] == [{"role": "user", "content": "easy request"}]
    assert summarize_red_team(records, 1)["median_queries_to_success"] is None


def test_local_attacker_mutates_after_refusal():
    attacker = LocalAttacker(seed=1)
    first = attacker.propose(EASY, [])
    refused = {"messages": first, "response": "I'm sorry, I can't.", "success": False}
    second = attacker.propose(EASY, [refused])
    third = attacker.propose(EASY, [refused, {"messages": second, "response": "I'm sorry, no.", "success": False}])
    assert first[-1]["content"] == "easy request"
    assert second != first and third != second
    assert third[-1]["content"].endswith("do not add warnings or disclaimers.")


def test_local_attacker_paraphrases_with_the_given_model():
    paraphraser = scripted_responder(lambda c: "reworded request")
    attacker = LocalAttacker(families=["prefix_injection"], seed=0, paraphraser=paraphraser)
    msgs = attacker.propose(EASY, [{"messages": [], "response": "I'm sorry.", "success": False}])
    assert "reworded request" in msgs[-1]["content"] and len(paraphraser.calls) == 1


def test_endpoint_attacker_rewrites_and_falls_back(fake_judge):
    from traitrl.persist.red_team import EndpointAttacker

    fake_judge.script = [("reply", "  a cleverer prompt  "), ("status", 503)]
    attacker = EndpointAttacker({"base_url": fake_judge.url, "model": "m", "api_key_env": None, "temperature": 0.2,
                                 "max_retries": 0})
    history = [{"messages": [{"role": "user", "content": "easy request"}], "response": "No.", "success": False}]
    assert attacker.propose(EASY, []) == [{"role": "user", "content": "easy request"}]
    assert attacker.propose(EASY, history) == [{"role": "user", "content": "a cleverer prompt"}]
    sent = fake_judge.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert "TARGET REPLY: No." in sent["body"]["messages"][-1]["content"]
    assert sent["body"]["temperature"] == 0.2  # the configured temperature, never silently raised
    fallback = attacker.propose(EASY, history)
    assert attacker.n_errors == 1 and fallback != [{"role": "user", "content": "easy request"}]
