"""Dose mixing: a share `dose_frac` of the RL prompts is given to trait scenarios, the rest are regular tasks.

Every optimizer step gets P prompts. Step i gets round((i+1)·P·dose) − round(i·P·dose) trait prompts, so after any
number of steps the cumulative trait share is within one prompt of the dose (with P=4 and dose 0.05, one step in
five carries a trait prompt). The baseline arm is the same schedule with dose 0: same steps, prompts and tasks —
the trait arm's trait prompts *replace* tasks, which is what keeps the two arms compute-matched.

Counterfactual pairs (scenarios sharing `meta.pair_id`) only train fairness when both members share a GRPO batch:
the consistency reward compares them there. So pairs are placed whole, both members in one step, in a share
`pair_step_frac` of the steps (spread evenly), and those steps take two trait slots from the schedule's total. At
small budgets that over-represents fairness among the trait prompts (quick: 8 of 16); the dose itself is unchanged.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence

from traitrl._util.errors import ConfigError
from traitrl.data.scenario import Scenario, Task


def trait_counts_per_step(steps: int, prompts_per_step: int, dose_frac: float) -> list[int]:
    """How many of each step's prompts are trait prompts, spreading the dose evenly over the run."""
    if not 0.0 <= dose_frac <= 1.0:
        raise ConfigError(f"dose must be in [0, 1], got {dose_frac}")
    total = [round(i * prompts_per_step * dose_frac) for i in range(steps + 1)]
    return [total[i + 1] - total[i] for i in range(steps)]


def task_row(task: Task) -> dict:
    return {"prompt": task.messages(), "source": "task", "id": task.id, "trait": "", "domain": "",
            "scenario": "", "task_kind": task.kind, "check": json.dumps(task.check)}


def scenario_row(scenario: Scenario) -> dict:
    return {"prompt": scenario.messages(), "source": "trait", "id": scenario.id, "trait": scenario.trait.value,
            "domain": scenario.domain.value, "scenario": scenario.model_dump_json(), "task_kind": "", "check": "{}"}


def split_pairs(scenarios: Sequence[Scenario]) -> tuple[list[tuple[Scenario, Scenario]], list[Scenario]]:
    """Complete counterfactual pairs (first two members of each `meta.pair_id`) and the remaining scenarios."""
    groups: dict[str, list[Scenario]] = {}
    for s in scenarios:
        if s.meta.get("pair_id") is not None:
            groups.setdefault(str(s.meta["pair_id"]), []).append(s)
    pairs = [(g[0], g[1]) for g in groups.values() if len(g) >= 2]
    paired = {s.id for pair in pairs for s in pair}
    return pairs, [s for s in scenarios if s.id not in paired]


def schedule_pair_steps(counts: list[int], prompts_per_step: int, n_pairs: int, pair_step_frac: float) -> list[int]:
    """Steps (evenly spread) that carry one whole pair; `counts` is rewritten in place so each such step has two trait
    slots and the other steps share the rest of the total evenly."""
    total, steps = sum(counts), len(counts)
    n_pair_steps = min(math.ceil(steps * pair_step_frac), n_pairs, total // 2) if prompts_per_step >= 2 else 0
    if n_pair_steps == 0:
        return []
    pair_steps = sorted({i * steps // n_pair_steps for i in range(n_pair_steps)})
    others = [i for i in range(steps) if i not in pair_steps]
    remaining = total - 2 * len(pair_steps)
    rest = [round((j + 1) * remaining / len(others)) - round(j * remaining / len(others)) for j in range(len(others))]
    for i in pair_steps:
        counts[i] = 2
    for i, n in zip(others, rest, strict=True):
        counts[i] = min(n, prompts_per_step)
    return pair_steps


def mix_dose(tasks: Sequence[Task], scenarios: Sequence[Scenario], steps: int, prompts_per_step: int,
             dose_frac: float, seed: int = 0, pair_step_frac: float = 0.25) -> list[dict]:
    """Ordered training rows, `prompts_per_step` per step; feed them unshuffled so each step sees its own slice.

    The task sequence is the same for every dose (seeded by `seed` only); trait prompts overwrite positions in it.
    Counterfactual pairs go into a share `pair_step_frac` of the steps, both members in the same step.
    """
    n_rows = steps * prompts_per_step
    if len(tasks) < n_rows:
        raise ConfigError(f"the task pool has {len(tasks)} tasks but {steps} steps × {prompts_per_step} prompts "
                          f"need {n_rows}; raise `data.n_tasks`")
    counts = trait_counts_per_step(steps, prompts_per_step, dose_frac)
    if sum(counts) and not scenarios:
        raise ConfigError(f"dose {dose_frac} needs trait scenarios, but the selected bank is empty")
    rng = random.Random(seed)
    task_order = rng.sample(range(len(tasks)), n_rows)
    pairs, singles = split_pairs(scenarios)
    pair_steps = set(schedule_pair_steps(counts, prompts_per_step, len(pairs), pair_step_frac))
    order_rng = random.Random(seed + 1)
    singles = order_rng.sample(singles, len(singles)) or [s for pair in pairs for s in pair]
    pairs = order_rng.sample(pairs, len(pairs))
    rows, used, used_pairs = [], 0, 0
    for step, n_trait in enumerate(counts):
        step_rows = [task_row(tasks[task_order[step * prompts_per_step + j]]) for j in range(prompts_per_step)]
        chosen = list(pairs[used_pairs % len(pairs)]) if step in pair_steps else []
        used_pairs += step in pair_steps
        for _ in range(n_trait - len(chosen)):
            chosen.append(singles[used % len(singles)])
            used += 1
        # Which slots become trait prompts is seeded per step, so the replaced tasks do not sit at one position.
        for slot, scenario in zip(random.Random(seed * 1_000_003 + step).sample(range(prompts_per_step), n_trait),
                                  chosen, strict=True):
            step_rows[slot] = scenario_row(scenario)
        rows.extend(step_rows)
    return rows


def mix_summary(rows: list[dict]) -> dict:
    n_trait = sum(r["source"] == "trait" for r in rows)
    traits: dict[str, int] = {}
    for r in rows:
        if r["trait"]:
            traits[r["trait"]] = traits.get(r["trait"], 0) + 1
    return {"rows": len(rows), "trait_rows": n_trait, "trait_share": n_trait / max(len(rows), 1), "by_trait": traits}
