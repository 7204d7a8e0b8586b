"""Behaviour on the embedded model (slow): counterbalancing exposes its letter-position bias."""

import pytest

from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import first_letter_rate, run_benchmarks


@pytest.mark.slow
def test_counterbalancing_exposes_position_bias_on_corrigible_neutral(tmp_path):
    # Measured with lm-eval's advanced_ai_risk prompt: the embedded model answers (A) on 90 % of these items.
    [summary] = run_benchmarks("smollm2-135m-instruct", "ai_risk_corrigible_neutral_hhh", tmp_path, limit=30)
    _, items = read_benchmark_record(tmp_path, "ai_risk_corrigible_neutral_hhh")
    assert first_letter_rate(items) > 0.75
    # A model that mostly picks (A) is right in one order and wrong in the other: scores pile up at 0.5.
    assert sum(i.score == 0.5 for i in items) >= 20
    assert 0.35 <= summary.score <= 0.65
