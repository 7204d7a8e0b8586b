"""Does GRPO learn on this CPU? Train one arm, then report its reward curve and a held-out before/after (issue 20).

Reports, as JSON and a PNG:
- the training reward curve (the arm's own reward per step) with its OLS slope and CI (traitrl.train.learning_check);
- a held-out score before and after training, paired by item, with a bootstrap CI of the rise.
  Task arm (dose 0): regular tasks whose prompts never appear in training, scored by the task rule checks, greedy
  and as the mean pass rate of `--samples` replies sampled at the training temperature.
  Trait arm (dose > 0): trains on the train side of the project's held-out split (data.split, by core item) and
  scores scenarios of the held-out side with the held-out trait evaluation (evals trait_heldout: 1 when the model
  prefers the good reference reply to every failure reply), which shares nothing with the training reward. The
  training reward of the greedy replies is reported next to it, labelled as such; the greedy replies before and
  after are written to greedy_{before,after}.jsonl for reading.

With --imitation, a trait arm is not trained by GRPO but LoRA-SFT on the good reference replies of the same training
scenarios (--steps steps of --prompts examples at --lr): what direct imitation of the references does to the held-out
score, the yardstick for RL's rise. It has no reward curve.

Run:  python bench/learning.py --dose 0 --steps 40 --out runs/learn/task
      python bench/learning.py --dose 1 --steps 40 --lr 3e-4 --max-tokens 96 --out runs/learn/trait
      python bench/learning.py --dose 1 --imitation --steps 60 --prompts 8 --lr 2e-4 --out runs/learn/imitation
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

MODEL = "smollm2-135m-instruct"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default=MODEL)
    p.add_argument("--dose", type=float, default=0.0, help="Share of trait prompts: 0 = task arm, 1 = trait arm.")
    p.add_argument("--traits", nargs="*", default=None, help="Trait arm: keep only these traits.")
    p.add_argument("--task-kinds", nargs="*", default=["arithmetic", "format", "factual"])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--prompts", type=int, default=4, help="Prompts per step (P).")
    p.add_argument("--generations", type=int, default=4, help="Group size G.")
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lora-r", type=int, default=16, help="0 = full fine-tuning.")
    p.add_argument("--beta", type=float, default=0.0)
    p.add_argument("--scaling", choices=["group", "batch", "none"], default="batch")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--mixed-precision", choices=["no", "bf16"], default="no")
    p.add_argument("--engine", choices=["fast", "trl"], default="fast")
    p.add_argument("--sequences-per-forward", type=int, default=4, help="Caps the training forward's memory.")
    p.add_argument("--reference-similarity", type=float, default=0.0,
                   help="Trait arm: weight of the reference_similarity grader (embedding closeness to the good vs the "
                        "failure references) added to the trait reward; 0 = off, as in the shipped configs.")
    p.add_argument("--reference-in-group", action="store_true",
                   help="Trait arm: one of the G completions of each trait prompt is its good reference reply "
                        "(off-policy guidance; train.rollout.reference_in_group).")
    p.add_argument("--imitation", action="store_true", help="Trait arm: LoRA-SFT on the good references, not GRPO.")
    p.add_argument("--heldout", type=int, default=60, help="Held-out items.")
    p.add_argument("--samples", type=int, default=2, help="Task arm: sampled replies per held-out item.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def train_config(args):
    from traitrl.train.config import TrainConfig

    return TrainConfig(
        steps=args.steps, prompts_per_step=args.prompts, num_generations=args.generations,
        max_completion_tokens=args.max_tokens, sequences_per_forward=args.sequences_per_forward, lr=args.lr,
        beta=args.beta, advantage_scaling=args.scaling,
        temperature=args.temperature, mixed_precision=args.mixed_precision, save_steps=max(args.steps, 1),
        lora=None if args.lora_r == 0 else {"r": args.lora_r, "alpha": 2 * args.lora_r},
        rollout={"engine": args.engine, "reference_in_group": args.reference_in_group},
        reward_weights={"task_reward": 1.0, "trait_reward": 1.0,
                        **({"reference_similarity": args.reference_similarity} if args.reference_similarity else {})},
    )


def trait_split(args):
    """The project's held-out split (data.split, by core item) of the bank's scenarios of `--traits`."""
    from traitrl.data.bank import build_bank, select
    from traitrl.data.split import split_bank

    return split_bank(select(build_bank(seed=0), traits=args.traits))


def imitate(args):
    """LoRA-SFT on the train side's good reference replies; (the merged model's folder, the SFT settings)."""
    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.train.sft import SFTSettings, sft_rows, train_sft

    tokenizer = load_tokenizer(args.model)
    pairs = [(s.messages(), s.rubric.good_response) for s in trait_split(args).train]
    # 1024 tokens: multi-turn prompts plus the reply fit whole (SFT truncates from the end, i.e. the reply).
    settings = SFTSettings(lr=args.lr, batch_size=args.prompts, lora_r=args.lora_r or 16,
                           lora_alpha=2 * (args.lora_r or 16), max_length=1024)
    model = train_sft(load_model(args.model), tokenizer, sft_rows(pairs), settings, max_steps=args.steps,
                      seed=args.seed).merge_and_unload()
    folder = args.out / "imitation_model"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder, settings


def build_rows(args) -> tuple[list[dict], list]:
    """(training rows, held-out items): Tasks for the task arm, Scenarios for a trait arm."""
    from traitrl.data.mix import mix_dose
    from traitrl.data.tasks import generate_tasks

    tasks = generate_tasks(max(2000, args.steps * args.prompts), seed=args.seed, kinds=tuple(args.task_kinds))
    scenarios, heldout = [], []
    if args.dose > 0:
        split = trait_split(args)
        scenarios, heldout = split.train, split.heldout
    rows = mix_dose(tasks, scenarios, args.steps, args.prompts, args.dose, seed=args.seed)
    if args.dose == 0:
        seen = {json.dumps(r["prompt"]) for r in rows}
        pool = generate_tasks(20 * args.heldout, seed=args.seed + 10_007, kinds=tuple(args.task_kinds))
        heldout = [t for t in pool if json.dumps(t.messages()) not in seen]
        seen_here: set[str] = set()
        heldout = [t for t in heldout if not (json.dumps(t.messages()) in seen_here
                                              or seen_here.add(json.dumps(t.messages())))]
    step = max(1, len(heldout) // args.heldout)
    return rows, heldout[::step][:args.heldout]


def write_greedy(args, when: str, rows: list[dict]) -> None:
    """The greedy held-out replies go to greedy_<when>.jsonl (`when`: "before" or "after" training), so what the score
    rewarded can be read."""
    (args.out / f"greedy_{when}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def score_tasks(model_path: str, tasks: list, args, when: str) -> dict[str, list[float]]:
    """Greedy pass (0/1) and mean sampled pass rate per task, from the fast engine at the model's current weights."""
    import torch

    from traitrl.models.rollout_engine import SamplingParams
    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.rewards.tasks import score_task
    from traitrl.train.rollout import synced_rollout

    tokenizer = load_tokenizer(model_path)
    rollout = synced_rollout(load_model(model_path).eval(), tokenizer)
    ids = rollout.tokenize([t.messages() for t in tasks])
    eos = (tokenizer.eos_token_id,)
    greedy = rollout.generate_ids(ids, SamplingParams(args.max_tokens, eos, do_sample=False))["completion_ids"]
    torch.manual_seed(args.seed + 1)
    k = args.samples
    sampled = rollout.generate_ids([i for i in ids for _ in range(k)], SamplingParams(
        args.max_tokens, eos, temperature=args.temperature))["completion_ids"]
    text = lambda c: tokenizer.decode(c, skip_special_tokens=True)
    replies = [text(c) for c in greedy]
    passed = [score_task(r, t.check) for r, t in zip(replies, tasks, strict=True)]
    write_greedy(args, when, [{"id": t.id, "kind": t.kind, "reply": r, "pass": p}
                              for t, r, p in zip(tasks, replies, passed)])
    return {
        "greedy": passed,
        "sampled": [sum(score_task(text(c), t.check) for c in sampled[i * k:(i + 1) * k]) / k
                    for i, t in enumerate(tasks)],
    }


def score_scenarios(model_path: str, scenarios: list, args, when: str) -> dict[str, list[float]]:
    """Per held-out scenario: the held-out trait evaluation's item score (evals trait_heldout: 1 when the good reply is
    preferred to every failure reply, not the training reward), and the training reward of the greedy reply."""
    from traitrl.models.rollout_engine import SamplingParams
    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.persist.harmful_ft import preference_items, preference_scores
    from traitrl.rewards import score_responses
    from traitrl.train.rollout import synced_rollout

    tokenizer = load_tokenizer(model_path)
    model = load_model(model_path).eval()
    preference = preference_scores(model, tokenizer, preference_items(scenarios), batch_size=16)
    rollout = synced_rollout(model, tokenizer)
    greedy = rollout.generate_ids(rollout.tokenize([s.messages() for s in scenarios]), SamplingParams(
        args.max_tokens, (tokenizer.eos_token_id,), do_sample=False))["completion_ids"]
    replies = [tokenizer.decode(c, skip_special_tokens=True) for c in greedy]
    scored = score_responses(scenarios, replies, use_embedding=False)
    write_greedy(args, when, [{"id": s.id, "trait": s.trait.value, "reply": r} for s, r in zip(scenarios, replies)])
    return {"heldout_trait": preference, "training_reward_greedy": [r["combined"] or 0.0 for r in scored]}


def paired_rise(before: list[float], after: list[float], seed: int) -> dict:
    import numpy as np

    from traitrl.stats.paired import paired_difference_ci

    rise, low, high = paired_difference_ci(before, after, seed)
    return {"n": len(before), "before": float(np.mean(before)), "after": float(np.mean(after)),
            "rise": rise, "ci_low": low, "ci_high": high, "ci_excludes_0": low > 0 or high < 0}


def plot(result: dict, curve: tuple[list[int], list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, values = curve
    trend = result["reward_trend"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, values, "o-", ms=3, lw=1, label=trend["reward"])
    if steps:
        mean_x, mean_y = sum(steps) / len(steps), sum(values) / len(values)
        ax.plot(steps, [mean_y + trend["slope_per_step"] * (x - mean_x) for x in steps], "--",
                label=f"slope {trend['slope_per_step']:+.4f}/step [{trend['ci_low']:+.4f}, {trend['ci_high']:+.4f}]")
    held = next(iter(result["heldout"].items()))
    ax.set_title(f"{result['tag']}: held-out {held[0]} {held[1]['before']:.3f} → {held[1]['after']:.3f}", fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("training reward")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.imitation and args.dose == 0:
        raise SystemExit("--imitation imitates the trait references: give --dose > 0")
    import torch

    from traitrl.rewards import reference_similarity, trait_reward
    from traitrl.rewards.tasks import task_reward
    from traitrl.train.grpo import train_grpo
    from traitrl.train.learning_check import (
        check_cap,
        check_learning,
        read_metrics,
        read_reward_curve,
    )

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = train_config(args)
    rows, heldout = build_rows(args)
    score = score_tasks if args.dose == 0 else score_scenarios
    started = time.time()
    before = score(args.model, heldout, args, "before")
    eval_s = time.time() - started
    started = time.time()
    if args.imitation:
        final, sft = imitate(args)
    else:
        rewards = [task_reward(), trait_reward()] + ([reference_similarity()] if args.reference_similarity else [])
        final = train_grpo(args.model, rows, rewards, cfg, args.out / "train", seed=args.seed)
    train_s = time.time() - started
    after = score(str(final), heldout, args, "after")
    reward = "task_reward" if args.dose == 0 else "trait_reward"
    tag = args.out.name
    metrics = None if args.imitation else read_metrics(args.out / "train")  # read once for every check below
    result = {
        "tag": tag, "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        # What trained the model: the SFT settings for --imitation, else the GRPO config.
        "train_config": sft.model_dump(mode="json") if args.imitation else cfg.model_dump(mode="json"),
        "reward_trend": None if args.imitation else check_learning(metrics, reward, arm=tag).model_dump(),
        "replies_cut_at_cap": None if args.imitation else check_cap(metrics, arm=tag).model_dump(),
        "heldout": {name: paired_rise(before[name], after[name], args.seed) for name in before},
        "heldout_scorer": "task rule checks" if args.dose == 0 else
        "evals trait_heldout (acc_norm: good reply preferred to every failure reply; not the training reward)",
        "seconds": {"train": train_s, "one_heldout_eval": eval_s},  # contended machine: not speed figures
        "heldout_items": len(heldout),
    }
    (args.out / "learning.json").write_text(json.dumps(result, indent=2))
    trend = result["reward_trend"]
    if trend is not None:
        plot(result, read_reward_curve(metrics, reward), args.out / "curve.png")
        print(f"{tag}: {reward} slope {trend['slope_per_step']:+.5f}/step "
              f"[{trend['ci_low']:+.5f}, {trend['ci_high']:+.5f}] first {trend['first_mean']:.3f} "
              f"last {trend['last_mean']:.3f}{'' if trend['learned'] else '  (did not learn)'}")
        cut = result["replies_cut_at_cap"]
        print(f"  replies cut at the cap: {cut['first_cut']:.0%} -> {cut['last_cut']:.0%} (first -> last fifth)"
              f"{'  (FLAGGED: ran into the cap)' if cut['flag'] else ''}")
    for name, r in result["heldout"].items():
        print(f"  held-out {name} (n={r['n']}): {r['before']:.3f} -> {r['after']:.3f}, rise {r['rise']:+.3f} "
              f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]")
    return result


if __name__ == "__main__":
    main()
