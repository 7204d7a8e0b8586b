"""Held-out trait evaluation: one benchmark per trait on the held-out side of the scenario bank (data.split).

The paper scores its evaluation traits on scenarios held out from training (aggregate 0.41 → 0.61). Here the held-out
side shares no core item (fact, red flag, loophole, decision template) with anything a study trains on.

Offline scorer, deliberately not the training reward: reference-pair discrimination. The model reads the held-out
conversation and scores each of its reference replies (the good reply and the failure replies written with the
scenario) by log-likelihood per character (lm-eval's acc_norm); an item scores 1 when the good reply is preferred to
every failure reply. It measures what the policy prefers, not what a grader thinks of its sampled text, so it shares
no component with the trait reward (rubric checks, embedding similarity, training judge), which is never called here.
With the evaluation judge, `judged_trait_benchmarks(judge)` adds a generative twin per trait: the model replies
and the judge grades the reply against the scenario's own rubric (`traitrl.rewards.rubric.build_judge_messages`).
`traitrl eval --suite traits` selects every benchmark of this family (label "traits").

Offline, each trait also has a diagnostic reply twin, `trait_heldout_replies_<trait>`: the model's greedy reply to
`REPLY_ITEMS_PER_TRAIT` held-out scenarios, scored by the trait reward's own rubric checks (no embedding, no judge).
It is the training reward on held-out conversations, so it is diagnostic (shown, never tested): the likelihood
score above can rise while the replies do not improve (docs/training.md measured exactly that), and a rubric rise
that the likelihood score does not share is specific to the rubric.
"""

from __future__ import annotations

import functools
from pathlib import Path

from traitrl._util.errors import JudgeError
from traitrl.models.judge import JudgeConfig, judge_client
from traitrl.data.bank import build_bank
from traitrl.data.scenario import Scenario, Trait
from traitrl.data.split import core_item, split_bank
from traitrl.evals.benchmark import Benchmark, GenItem, MCItem, Unscorable, benchmark

CATEGORY = "trait_heldout"
REPLIES_CATEGORY = "trait_heldout_replies"
LABEL = "traits"
REPLY_ITEMS_PER_TRAIT = 40  # 13 traits × 40 greedy replies ≈ 6 min per model on one core; the pooled mean is the read
REPLY_TOKENS = 128
BANK_SEED = 0  # the split is by core item, so any bank seed gives the same held-out items (data.split)
MC_METRIC = "acc_norm"


@functools.cache
def heldout_scenarios(trait: str) -> tuple[Scenario, ...]:
    return tuple(s for s in split_bank(build_bank(seed=BANK_SEED)).heldout if s.trait.value == trait)


def scenario_mc_item(s: Scenario) -> MCItem:
    """The reference-pair item of one scenario: its conversation, the good reply (gold) and its failure replies."""
    return MCItem(id=s.id, context=s.messages(), choices=[s.rubric.good_response, *s.rubric.failure_responses],
                  gold=[0], meta={"core_item": core_item(s), "domain": s.domain.value})


def read_heldout_mc(trait: str) -> list[MCItem]:
    return [scenario_mc_item(s) for s in heldout_scenarios(trait)]


def _heldout_mc(trait: Trait) -> Benchmark:
    return Benchmark(name=f"trait_heldout_{trait.value}", category=CATEGORY, format="mc", metric=MC_METRIC,
                     higher_is_better=True, source="traitrl scenario bank, held-out core items", license="project",
                     load_items=lambda _data_dir: read_heldout_mc(trait.value), mc_metric=MC_METRIC,
                     labels=(LABEL, trait.value), version=1,
                     description=f"{trait.value}: good reference reply preferred to every failure reply "
                                 "(log-likelihood per character) on held-out scenarios.")


def read_heldout_replies(trait: str) -> list[GenItem]:
    """`REPLY_ITEMS_PER_TRAIT` held-out scenarios of `trait`, evenly spaced through the bank's order."""
    from traitrl.rewards.audit import per_trait_sample

    return [GenItem(id=s.id, messages=s.messages(), target=s, meta={"core_item": core_item(s), "domain": s.domain.value})
            for s in per_trait_sample(heldout_scenarios(trait), REPLY_ITEMS_PER_TRAIT)]


def rubric_score(item: GenItem, reply: str) -> float:
    from traitrl.rewards.combine import score_scenario_response

    score = score_scenario_response(item.target, reply, use_embedding=False)["combined"]
    if score is None:
        raise Unscorable(f"{item.id}: the rubric has no offline check for this reply")
    return score


def _heldout_replies(trait: Trait) -> Benchmark:
    return Benchmark(name=f"trait_heldout_replies_{trait.value}", category=REPLIES_CATEGORY, format="gen",
                     metric="rubric_score", higher_is_better=True,
                     source="traitrl scenario bank, held-out core items", license="project",
                     load_items=lambda _data_dir: read_heldout_replies(trait.value), score_response=rubric_score,
                     labels=("diagnostic", LABEL, trait.value), max_new_tokens=REPLY_TOKENS, version=1,
                     description=f"{trait.value}: the trait reward's rubric checks on greedy replies to held-out "
                                 "scenarios (the training reward; diagnostic).")


def _register(trait: Trait) -> None:
    benchmark(f"trait_heldout_{trait.value}")(lambda: _heldout_mc(trait))
    benchmark(f"trait_heldout_replies_{trait.value}")(lambda: _heldout_replies(trait))


for _trait in Trait:
    _register(_trait)


def judged_trait_benchmarks(judge: JudgeConfig | dict, traits: list[str] | None = None) -> list[Benchmark]:
    """Generative twins scored by the evaluation judge against each held-out scenario's rubric (0-1)."""
    from traitrl.rewards.rubric import build_judge_messages

    client = judge_client(JudgeConfig.model_validate(judge) if isinstance(judge, dict) else judge)

    def score(item: GenItem, reply: str) -> float:
        result = client.score_many_sync([build_judge_messages(item.target, reply)])[0]
        if result.score is None:
            raise JudgeError(f"judge failed on {item.id}: {result.error}")
        return result.score

    def items(trait: str) -> list[GenItem]:
        return [GenItem(id=s.id, messages=s.messages(), target=s, meta={"core_item": core_item(s)})
                for s in heldout_scenarios(trait)]

    return [Benchmark(name=f"trait_heldout_judged_{t}", category=CATEGORY, format="gen", metric="judge_score",
                      higher_is_better=True, source="traitrl scenario bank, held-out core items", license="project",
                      load_items=functools.partial(lambda _data_dir, t: items(t), t=t), score_response=score,
                      labels=(LABEL, t), max_new_tokens=256)
            for t in traits or [t.value for t in Trait]]


def run_judged_traits(model: str, judge: JudgeConfig | dict, out_dir: str | Path, limit: int | None = None,
                      seed: int = 0, batch_size: int = 16) -> list:
    """Run the judged twins on `model` into `out_dir`, next to the battery's records."""
    from traitrl.evals.run import run_benchmark, sample_items
    from traitrl.models import get_model

    lm = get_model(model, batch_size=batch_size)
    return [run_benchmark(b, sample_items(b.load_items(Path(out_dir)), limit, seed, b.name), lm, Path(out_dir),
                          batch_size) for b in judged_trait_benchmarks(judge)]
