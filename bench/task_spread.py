"""How much GRPO signal does the regular task mix give the untrained model? Pass rate and the share of groups with
any reward spread (a group of G all-pass or all-fail replies gives no gradient), per task kind and format rule.

Run:  python bench/task_spread.py --temperature 0.7 --max-tokens 64 --tasks 120 --generations 4
"""

from __future__ import annotations

import argparse
import collections
import json


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--tasks", type=int, default=120)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    import torch

    from traitrl.data.tasks import generate_tasks
    from traitrl.rewards.tasks import score_task
    from traitrl.models.store import load_model, load_tokenizer
    from traitrl.train.rollout import synced_rollout
    from traitrl.models.rollout_engine import SamplingParams

    torch.set_num_threads(args.threads)
    tokenizer = load_tokenizer(args.model)
    rollout = synced_rollout(load_model(args.model).eval(), tokenizer)
    tasks = generate_tasks(args.tasks, seed=args.seed)
    g = args.generations
    ids = rollout.tokenize([t.messages() for t in tasks])
    torch.manual_seed(args.seed)
    out = rollout.generate_ids([i for i in ids for _ in range(g)], SamplingParams(
        args.max_tokens, (tokenizer.eos_token_id,), temperature=args.temperature))["completion_ids"]
    passes, spread = collections.defaultdict(list), collections.defaultdict(list)
    for k, task in enumerate(tasks):
        scores = [score_task(tokenizer.decode(c, skip_special_tokens=True), task.check) for c in out[k * g:(k + 1) * g]]
        key = task.kind + (f"/{task.check['rule']}" if task.kind == "format" else "")
        for name in (key, "all"):
            passes[name].extend(scores)
            spread[name].append(len(set(scores)) > 1)
    table = {name: {"groups": len(spread[name]), "pass_rate": sum(passes[name]) / len(passes[name]),
                    "groups_with_spread": sum(spread[name]) / len(spread[name])} for name in sorted(passes)}
    print(json.dumps({"settings": vars(args), "by_kind": table}, indent=1))
    return table


if __name__ == "__main__":
    main()
