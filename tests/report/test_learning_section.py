"""The learning section: a run whose reward rose is not flagged; a flat one is, after the smoke-test warning."""

import json
from types import SimpleNamespace

import pytest

from traitrl.report.learning_section import flag_learning, learning_section


def write_metrics(folder, rewards):
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(f'{{"step": {i + 1}, "reward": {r}}}\n'
                                                  for i, r in enumerate(rewards)))
    return folder


def test_rising_run_passes_and_flat_run_is_flagged_after_the_smoke_warning(tmp_path):
    rising = write_metrics(tmp_path / "trait", [0.1 + 0.02 * i + (0.005 if i % 2 else 0) for i in range(20)])
    flat = write_metrics(tmp_path / "baseline", [0.3, 0.1, 0.4, 0.2] * 5)
    section = learning_section({"trait": rising, "baseline": flat})
    assert section.runs["trait"].learned and section.runs["trait"].flag is None
    assert not section.runs["baseline"].learned and section.runs["baseline"].ci_low < 0
    smoke = "Smoke test: no effect smaller than 9 pp can be detected."
    arm = SimpleNamespace(name="trait", summary=SimpleNamespace(smoke=smoke, headline=smoke + " 1 better / 0 worse."))
    comparison = SimpleNamespace(arms=[arm], reference_name="baseline", headline="")
    flag_learning(comparison, section, {"trait": "trait", "baseline": "baseline"})
    assert comparison.headline == smoke + " arm baseline did not learn its reward. 1 better / 0 worse."


def test_a_run_whose_replies_ran_into_the_cap_is_flagged_even_when_its_reward_rose(tmp_path):
    folder = tmp_path / "trait"
    folder.mkdir()
    rows = [{"step": i + 1, "reward": 0.1 + 0.02 * i, "completions/clipped_ratio": min(1.0, 0.1 * i)}
            for i in range(20)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    section = learning_section({"trait": folder})
    row = section.runs["trait"]
    assert row.learned and row.flag is None and row.last_cut == 1.0 and row.first_cut == pytest.approx(0.15)
    arm = SimpleNamespace(name="trait", summary=SimpleNamespace(smoke="", headline="1 better / 0 worse."))
    comparison = SimpleNamespace(arms=[arm], reference_name="baseline", headline="")
    flag_learning(comparison, section, {"trait": "trait"})
    assert comparison.headline.startswith("replies of arm trait ran into the completion cap (100% cut")
    assert comparison.headline.endswith(". 1 better / 0 worse.")


def test_each_reward_gets_its_own_curve_so_a_flat_trait_reward_shows_under_a_rising_total(tmp_path):
    # Three task prompts and one trait prompt a step: the total rises with the task reward, the trait reward is flat.
    folder = tmp_path / "trait"
    folder.mkdir()
    rows = [{"step": i + 1, "reward": 0.1 + 0.015 * i, "rewards/task_reward/mean": 0.1 + 0.02 * i,
             "rewards/trait_reward/mean": [0.3, 0.1, 0.4, 0.2][i % 4], "rewards/placebo/mean": None}
            for i in range(20)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    baseline = tmp_path / "baseline"
    baseline.mkdir()
    (baseline / "metrics.jsonl").write_text("".join(
        json.dumps({"step": i + 1, "reward": 0.1 + 0.02 * i, "rewards/task_reward/mean": 0.1 + 0.02 * i,
                    "rewards/trait_reward/mean": None}) + "\n" for i in range(20)))
    section = learning_section({"trait": folder, "baseline": baseline})
    trait = section.runs["trait"]
    assert trait.learned and trait.flag is None  # the total: what the headline flag reads
    assert set(trait.by_reward) == {"task_reward", "trait_reward"}  # placebo never scored a row
    assert trait.by_reward["task_reward"].learned and not trait.by_reward["trait_reward"].learned
    assert section.runs["baseline"].by_reward == {}  # one reward scored its rows: the total says it all
    from traitrl.report.learning_section import _rows

    assert ["trait · trait_reward", "20"] == _rows(section)[2][:2] and _rows(section)[2][5] == "no"
