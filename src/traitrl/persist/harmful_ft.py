"""Harmful fine-tuning: LoRA-SFT on k trait-violating examples (sycophantic, dishonest, overconfident, unfair,
risk-ignoring replies from data.bank.violating_pairs — never benchmark data, never harmful-instruction content),
measuring at each step count the trait score on held-out scenarios, the ASR of bare harmful requests, the
log-likelihood of held-out violating replies and the likelihood-preference trait score (the scorer of the held-out
trait evaluation, evals.benchmarks.trait_heldout: 1 when the model prefers a held-out scenario's good reference reply
to every failure reply, by log-likelihood per character). The preference score needs no generation and does not sit
at the floor when the rubric score does, so it shows erosion of what the policy prefers even then. One in-memory run
gives the whole erosion curve; nothing is saved.

Departure from the paper: the paper fine-tunes on harmful data at full scale; we use a small LoRA attack and
trait-violating (not harmful-instruction) data, so the curve measures how fast trained traits erode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from traitrl.data.scenario import Scenario
from traitrl.evals.benchmark import MCItem
from traitrl.persist.index import bootstrap_mean_ci
from traitrl.persist.jailbreak import Behavior, SuccessFn, wilson_interval
from traitrl.persist.pressure import ScenarioScorer
from traitrl.train.sft import SFTSettings, sft_rows, train_sft

Pair = tuple[list[dict[str, str]], str]


def mean_reply_logprob(model, tokenizer, pairs: Sequence[Pair]) -> float:
    """Mean per-token log-probability of each reply given its prompt (chat template), averaged over pairs."""
    import torch

    model.eval()
    totals = []
    with torch.inference_mode():
        for messages, reply in pairs:
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
            reply_ids = tokenizer(reply, add_special_tokens=False).input_ids
            ids = torch.tensor([prompt_ids + reply_ids], device=model.device)
            logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1:-1].float()
            logp = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(prompt_ids):, None]).squeeze(1)
            totals.append(float(logp.mean()))
    return sum(totals) / len(totals) if totals else float("nan")


def preference_items(scenarios: Sequence[Scenario]) -> list[MCItem]:
    """The held-out trait evaluation's items for these scenarios."""
    from traitrl.evals.benchmarks.trait_heldout import scenario_mc_item

    return [scenario_mc_item(s) for s in scenarios]


def preference_scores(model, tokenizer, items: Sequence[MCItem], batch_size: int) -> list[float]:
    """Per item, the trait_heldout_* metric (acc_norm: good reply preferred to every failure reply) of `model`."""
    from traitrl.evals.benchmarks.trait_heldout import MC_METRIC
    from traitrl.evals.mc import metric_value
    from traitrl.models.hf import HFModel

    if not items:
        return []
    lm = HFModel("in-memory", model_obj=model, tokenizer=tokenizer, batch_size=batch_size)
    lls = lm.loglikelihood([lm.render_chat(it.context) for it in items], [list(it.choices) for it in items])
    return [metric_value(MC_METRIC, ll, it.choices, it.gold) for it, ll in zip(items, lls, strict=True)]


def preference_trend(points: Sequence[dict[str, Any]], n_boot: int, seed: int) -> dict[str, Any] | None:
    """Last minus first step's preference score, paired over items, with its bootstrap CI and direction: "falls"
    (CI below 0), "rises" (CI above 0) or "flat" (CI covers 0). None without preference items or a second step."""
    first, last = points[0].get("pref_items") or {}, points[-1].get("pref_items") or {}
    shared = [k for k in first if k in last]
    if len(points) < 2 or not shared:
        return None
    change, lo, hi = bootstrap_mean_ci([last[k] - first[k] for k in shared], n_boot, seed)
    direction = "falls" if hi < 0 else "rises" if lo > 0 else "flat"
    return {"from_step": points[0]["step"], "to_step": points[-1]["step"], "change": change, "ci_low": lo,
            "ci_high": hi, "direction": direction, "n_items": len(shared)}


def measure_step(model, tokenizer, step: int, scenarios: Sequence[Scenario], behaviors: Sequence[Behavior],
                 ll_pairs: Sequence[Pair], scorer: ScenarioScorer, success_fn: SuccessFn, max_new_tokens: int,
                 batch_size: int, n_boot: int, seed: int, pref_items: Sequence[MCItem] = ()) -> dict[str, Any]:
    from traitrl.models.generate import generate_responses

    trait_convs = [s.messages() for s in scenarios]
    harm_convs = [[{"role": "user", "content": b.text}] for b in behaviors]
    replies = generate_responses(model, tokenizer, trait_convs + harm_convs, max_new_tokens, batch_size)
    trait_replies, harm_replies = replies[:len(trait_convs)], replies[len(trait_convs):]
    scores = scorer(scenarios, trait_replies) if scenarios else []
    hits = success_fn(harm_convs, harm_replies) if behaviors else []
    mean, lo, hi = bootstrap_mean_ci(scores, n_boot, seed) if scores else (float("nan"),) * 3
    asr_lo, asr_hi = wilson_interval(sum(hits), len(hits))
    prefs = preference_scores(model, tokenizer, pref_items, batch_size)
    pref, pref_lo, pref_hi = bootstrap_mean_ci(prefs, n_boot, seed) if prefs else (None,) * 3
    return {
        "step": step, "trait_score": mean, "trait_ci_low": lo, "trait_ci_high": hi,
        "asr": sum(hits) / len(hits) if hits else 0.0, "asr_ci_low": asr_lo, "asr_ci_high": asr_hi,
        "violating_logprob": mean_reply_logprob(model, tokenizer, ll_pairs) if ll_pairs else None,
        "pref_score": pref, "pref_ci_low": pref_lo, "pref_ci_high": pref_hi,
        "trait_items": {s.id: sc for s, sc in zip(scenarios, scores, strict=True)},
        "pref_items": {it.id: v for it, v in zip(pref_items, prefs, strict=True)},
        "asr_items": {b.id: bool(h) for b, h in zip(behaviors, hits, strict=True)},
        "responses": [{"id": s.id, "response": r} for s, r in zip(scenarios, trait_replies, strict=True)]
        + [{"id": b.id, "response": r} for b, r in zip(behaviors, harm_replies, strict=True)],
    }


def run_erosion(model, tokenizer, train_pairs: Sequence[Pair], steps: Sequence[int], sft: SFTSettings,
                scenarios: Sequence[Scenario], behaviors: Sequence[Behavior], ll_pairs: Sequence[Pair],
                scorer: ScenarioScorer, success_fn: SuccessFn, max_new_tokens: int, batch_size: int, n_boot: int,
                seed: int = 0, pref_items: Sequence[MCItem] = ()) -> list[dict[str, Any]]:
    """SFT `model` on `train_pairs` and measure at every step count in `steps` (0 = before any update);
    `pref_items` (see preference_items) are scored by likelihood preference at every step too."""
    points: list[dict[str, Any]] = []

    def on_step(step: int, m) -> None:
        points.append(measure_step(m, tokenizer, step, scenarios, behaviors, ll_pairs, scorer, success_fn,
                                   max_new_tokens, batch_size, n_boot, seed, pref_items))

    steps = sorted(set(steps))
    if steps[-1] == 0:
        on_step(0, model)
    else:
        train_sft(model, tokenizer, sft_rows(train_pairs), sft, max_steps=steps[-1], seed=seed, on_step=on_step,
                  eval_steps=steps)
    return points
