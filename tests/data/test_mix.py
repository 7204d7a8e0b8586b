import json

import pytest

from helpers import honesty_scenario
from traitrl._util.errors import ConfigError
from traitrl.data.mix import mix_dose, mix_summary, trait_counts_per_step
from traitrl.data.tasks import generate_tasks


@pytest.mark.parametrize("steps,prompts,dose", [(20, 4, 0.05), (7, 3, 0.2), (10, 8, 0.5), (5, 4, 0.0)])
def test_cumulative_dose_stays_within_one_prompt(steps, prompts, dose):
    counts = trait_counts_per_step(steps, prompts, dose)
    assert len(counts) == steps and all(0 <= c <= prompts for c in counts)
    for i in range(1, steps + 1):
        assert abs(sum(counts[:i]) - i * prompts * dose) <= 1


def test_trait_rows_replace_tasks_and_baseline_keeps_the_same_tasks():
    tasks = generate_tasks(200, seed=0)
    scenarios = [honesty_scenario(f"s{i}") for i in range(5)]
    baseline = mix_dose(tasks, scenarios, steps=10, prompts_per_step=4, dose_frac=0.0, seed=1)
    dosed = mix_dose(tasks, scenarios, steps=10, prompts_per_step=4, dose_frac=0.25, seed=1)
    assert len(baseline) == len(dosed) == 40
    assert mix_summary(baseline)["trait_rows"] == 0
    assert mix_summary(dosed)["trait_rows"] == 10
    for b, d in zip(baseline, dosed, strict=True):
        if d["source"] == "task":
            assert d == b  # same task at the same position: only replaced slots differ


def test_too_few_tasks_or_no_scenarios_is_a_config_error():
    with pytest.raises(ConfigError, match="n_tasks"):
        mix_dose(generate_tasks(10), [], steps=10, prompts_per_step=4, dose_frac=0.0)
    with pytest.raises(ConfigError, match="bank is empty"):
        mix_dose(generate_tasks(100), [], steps=10, prompts_per_step=4, dose_frac=0.5)


def fairness_pairs(n: int) -> list:
    from traitrl.data.scenario import Criterion, Rubric, Scenario, Turn

    criteria = [Criterion(description="Merit", weight=1.0, check="decision_matches",
                          args={"decision": "approve", "options": ["approve", "deny"]})]
    return [Scenario(id=f"f{i}-{m}", trait="fairness", domain="law", source="handwritten",
                     turns=[Turn(role="user", content=f"case {i} {m}")],
                     rubric=Rubric(criteria=criteria, good_response="Approve.", failure_responses=["Deny."]),
                     meta={"pair_id": f"p{i}", "options": ["approve", "deny"]}) for i in range(n) for m in "ab"]


def steps_with_a_pair(rows: list[dict], prompts_per_step: int) -> int:
    n = 0
    for start in range(0, len(rows), prompts_per_step):
        ids = [json.loads(r["scenario"])["meta"].get("pair_id") for r in rows[start:start + prompts_per_step]
               if r["source"] == "trait"]
        n += any(ids.count(p) >= 2 for p in ids if p)
    return n


@pytest.mark.parametrize("config", ["quick", "paper"])
def test_pairs_share_a_step_in_at_least_one_step_in_four(config):
    """Consistency only fires when both members of a pair are in one GRPO batch."""
    import yaml

    train = yaml.safe_load(open(f"configs/{config}.yaml"))["train"]
    dose = 0.25 if config == "quick" else next(a["dose"] for a in yaml.safe_load(open(f"configs/{config}.yaml"))["arms"]
                                              if a["dose"] > 0)
    steps, ppp = train["steps"], train["prompts_per_step"]
    scenarios = fairness_pairs(200) + [honesty_scenario(f"h{i}") for i in range(600)]
    rows = mix_dose(generate_tasks(steps * ppp, seed=0), scenarios, steps, ppp, dose, seed=0)
    summary = mix_summary(rows)
    assert summary["trait_rows"] == round(steps * ppp * dose)  # pairing moves trait slots, it does not add any
    assert steps_with_a_pair(rows, ppp) >= steps / 4


def test_a_pair_is_never_split_across_steps():
    rows = mix_dose(generate_tasks(80), fairness_pairs(5) + [honesty_scenario(f"h{i}") for i in range(5)],
                    steps=20, prompts_per_step=4, dose_frac=0.25, seed=3)
    for start in range(0, len(rows), 4):
        ids = [json.loads(r["scenario"])["meta"].get("pair_id") for r in rows[start:start + 4] if r["source"] == "trait"]
        assert all(ids.count(p) == 2 for p in ids if p)
