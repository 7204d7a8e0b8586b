"""Dose mixing: a share `dose_frac` of the RL prompts is given to trait scenarios, the rest are regular tasks.

Every optimizer step gets P prompts. Step i gets round((i+1)·P·dose) − round(i·P·dose) trait prompts, so after any
number of steps the cumulative trait share is within one prompt of the dose (with P=4 and dose 0.05, one step in
five carries a trait prompt). The baseline arm is the same schedule with dose 0: same steps, prompts and tasks —
the trait arm's trait prompts *replace* tasks, which is what keeps the two arms compute-matched.
"""

from __future__ import annotations

import json
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


def mix_dose(tasks: Sequence[Task], scenarios: Sequence[Scenario], steps: int, prompts_per_step: int,
             dose_frac: float, seed: int = 0) -> list[dict]:
    """Ordered training rows, `prompts_per_step` per step; feed them unshuffled so each step sees its own slice.

    The task sequence is the same for every dose (seeded by `seed` only); trait prompts overwrite positions in it.
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
    scenario_order = random.Random(seed + 1).sample(range(len(scenarios)), len(scenarios)) if scenarios else []
    rows, used = [], 0
    for step, n_trait in enumerate(counts):
        step_rows = [task_row(tasks[task_order[step * prompts_per_step + j]]) for j in range(prompts_per_step)]
        # Which slots become trait prompts is seeded per step, so the replaced tasks do not sit at one position.
        for slot in random.Random(seed * 1_000_003 + step).sample(range(prompts_per_step), n_trait):
            step_rows[slot] = scenario_row(scenarios[scenario_order[used % len(scenario_order)]])
            used += 1
        rows.extend(step_rows)
    return rows


def mix_summary(rows: list[dict]) -> dict:
    n_trait = sum(r["source"] == "trait" for r in rows)
    traits: dict[str, int] = {}
    for r in rows:
        if r["trait"]:
            traits[r["trait"]] = traits.get(r["trait"], 0) + 1
    return {"rows": len(rows), "trait_rows": n_trait, "trait_share": n_trait / max(len(rows), 1), "by_trait": traits}
