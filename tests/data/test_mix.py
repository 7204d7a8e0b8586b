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
