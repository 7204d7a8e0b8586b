"""The learning check: slope and CI of an arm's per-step reward, and the flag for an arm that did not learn."""

import json
import math
import random

import pytest

from traitrl._util.errors import DataError
from traitrl.train.learning_check import check_learning, fit_slope, read_reward_curve


def history(values: list[float], key: str = "rewards/trait_reward/mean") -> list[dict]:
    rows = [{"step": i + 1, "loss": 0.0, key: v, "reward": 0.5} for i, v in enumerate(values)]
    return rows + [{"step": len(values), "train_runtime": 1.0, key: 99.0}]  # TRL's end-of-run summary row


def test_slope_matches_least_squares_and_the_ci_covers_it():
    slope, low, high = fit_slope([1, 2, 3, 4, 5], [0.1, 0.3, 0.2, 0.5, 0.4])
    assert slope == pytest.approx(0.08)
    assert low < slope < high
    assert all(math.isnan(x) for x in fit_slope([1, 2], [0.0, 1.0]))


def test_a_rising_reward_is_learned_and_noise_is_flagged():
    rng = random.Random(0)
    rising = check_learning(history([0.2 + 0.01 * i + rng.gauss(0, 0.03) for i in range(40)]), "trait_reward")
    assert rising.learned and rising.flag is None and rising.ci_low > 0 and rising.last_mean > rising.first_mean
    rng = random.Random(1)
    flat = check_learning(history([0.45 + rng.gauss(0, 0.08) for _ in range(40)]), "trait_reward", arm="trait")
    assert not flat.learned and flat.flag == "arm trait did not learn its reward" and flat.ci_low < 0 < flat.ci_high


def test_a_falling_reward_is_flagged_not_learned():
    falling = check_learning(history([0.8 - 0.01 * i for i in range(30)]), "trait_reward", arm="x")
    assert falling.ci_high < 0 and not falling.learned and falling.flag


def test_steps_without_that_reward_and_the_summary_row_are_skipped(tmp_path):
    rows = history([0.1, float("nan"), 0.3, 0.4])
    rows[1].pop("rewards/trait_reward/mean")
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert read_reward_curve(tmp_path, "trait_reward") == ([1, 3, 4], [0.1, 0.3, 0.4])
    assert read_reward_curve(tmp_path / "metrics.jsonl", "reward")[0] == [1, 2, 3, 4]
    with pytest.raises(DataError, match="no training metrics"):
        read_reward_curve(tmp_path / "missing")


def test_replies_that_grow_into_the_cap_are_flagged_and_a_short_run_is_not():
    from traitrl.train.learning_check import check_cap

    # The shape of a degenerating run (bf16 seed 1 of the precision curves): cut share 0 → 1 within ten steps.
    drifted = check_cap(history([0.0] * 5 + [0.6] * 5 + [1.0] * 40, key="completions/clipped_ratio"), arm="trait")
    assert drifted.first_cut == pytest.approx(0.3) and drifted.last_cut == 1.0  # first fifth: 5 × 0 and 5 × 0.6
    assert drifted.flag == ("replies of arm trait ran into the completion cap (100% cut in the last fifth of "
                            "training, 30% in the first)")
    # Half cut is not "mostly": the limit is strict, and an early burst that recovers is not flagged.
    assert check_cap(history([0.5] * 50, key="completions/clipped_ratio")).flag is None
    assert check_cap(history([0.9] * 10 + [0.1] * 40, key="completions/clipped_ratio")).flag is None
    # TRL's end-of-run summary row (99.0 in `history`) is never read as a step.
    assert check_cap(history([0.2] * 10, key="completions/clipped_ratio")).last_cut == 0.2


def test_a_guided_run_is_judged_on_its_samples_not_on_the_placed_reference():
    # Under reference_in_group TRL's mean includes the reference, which scores high every step: a rising share of
    # the reference-like total would pass the check while the samples stay flat. The samples-only key decides.
    rng = random.Random(2)
    rows = history([0.2 + 0.01 * i for i in range(40)])
    for row in rows[:-1]:
        row["rewards/trait_reward/sampled"] = 0.2 + rng.gauss(0, 0.05)
    trend = check_learning(rows, "trait_reward", arm="trait")
    assert trend.samples_only and not trend.learned and trend.flag == "arm trait did not learn its reward"
    # Without the samples-only key (an unguided run) the same TRL mean is read, and it rose.
    unguided = check_learning(history([0.2 + 0.01 * i for i in range(40)]), "trait_reward")
    assert unguided.learned and not unguided.samples_only
