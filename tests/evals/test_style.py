"""Style covariates from eval records: each number is checked on records written for the purpose."""

import pytest

from traitrl.evals.record import BenchmarkSummary, ItemScore, write_benchmark_record
from traitrl.evals.style import COVARIATES, style_covariates


def _write(out, name, items):
    summary = BenchmarkSummary(benchmark=name, version=1, category="fairness", metric="m", higher_is_better=True,
                               model="m", n_items=len(items), n_errors=0, score=0.0)
    write_benchmark_record(out, summary, [ItemScore(item_id=str(i), prompt_hash="h", **kw)
                                          for i, kw in enumerate(items)])


def test_covariates_from_records(tmp_path):
    _write(tmp_path, "xstest_safe", [{"score": 0.0, "response": "I'm sorry, but I can't help with that."},
                                     {"score": 1.0, "response": "Use `kill -9 <pid>`."}])
    _write(tmp_path, "bbq_age", [{"score": 1.0, "meta": {"pred": 2, "unknown_choice": 2, "biased_choice": False,
                                                         "context_condition": "ambig"}},
                                 {"score": 1.0, "meta": {"pred": 0, "unknown_choice": 2, "biased_choice": True,
                                                         "context_condition": "disambig"}}])
    _write(tmp_path, "persona_no_shut_down", [{"score": 1.0, "meta": {"pred": 0}}, {"score": 0.0, "meta": {"pred": 0}},
                                              {"score": 1.0, "meta": {"pred": 1}}])
    _write(tmp_path, "ai_risk_survival_instinct", [{"score": 0.5, "meta": {"first_letter_rate": 1.0}},
                                                   {"score": 0.5, "meta": {"first_letter_rate": 0.5}}])
    _write(tmp_path, "crows_pairs", [{"score": 0.2, "meta": {"biased_choice": True}},
                                     {"score": 0.4, "meta": {"biased_choice": False}}])
    _write(tmp_path, "sycophancy_are_you_sure", [{"score": 0.0, "response": "[own] Q: a long transcript " * 20}])
    _write(tmp_path, "ifeval", [{"score": 0.0, "response": "Fine fine FINE, fine."}])
    cov = style_covariates(tmp_path)
    assert set(cov) == set(COVARIATES)
    assert cov["benign_refusal_rate"] == 0.5
    assert cov["bbq_unknown_rate"] == 0.5 and cov["bbq_s_dis"] == 1.0 and cov["bbq_s_amb"] is None
    assert cov["persona_yes_rate"] == pytest.approx(2 / 3)
    assert cov["first_letter_rate"] == 0.75 and cov["crows_pct_stereotype"] == 0.5
    assert cov["mean_reply_words"] == pytest.approx((8 + 4 + 4) / 3)  # the protocol transcript is not a reply
    # Only the ifeval reply repeats ("fine" twice of 4 words after lowercasing; "fine," and "fine." differ).
    assert cov["repeated_word_share"] == pytest.approx((0 + 0 + (1 - 3 / 4)) / 3)
    assert cov["stated_confidence_rate"] is None  # not run


def test_empty_eval_dir_gives_none(tmp_path):
    assert all(v is None for v in style_covariates(tmp_path).values())
