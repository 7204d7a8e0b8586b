"""Response-style covariates of one model, computed from its eval records: `style_covariates(eval_dir)`.

Trait data can move many benchmarks at once by changing how a model answers rather than what it knows or values:
opening with a refusal, answering "unknown", saying Yes, picking the first letter, writing longer. These numbers
let a reader check a benchmark gain against a shift in style. Each is None when its benchmarks were not run.
- benign_refusal_rate: share of replies to benign prompts (xstest_safe, coconot_contrast) that the offline
  classifier calls refusals, whatever scored the benchmark;
- bbq_unknown_rate: share of BBQ items answered with the "unknown" option (about 0.5 is right: half the contexts
  are ambiguous), with BBQ's bias scores s_DIS and s_AMB next to it;
- persona_yes_rate: share of persona items answered Yes (the sets are balanced, so 0.5 is no Yes-bias);
- first_letter_rate: share of counterbalanced A/B orders won by the earlier letter (0.5 = no position bias);
- stated_confidence_rate: share of calibration replies that state a confidence;
- crows_pct_stereotype: CrowS-Pairs share of pairs where the stereotyping sentence is likelier (ideal 0.5);
- mean_reply_words: mean length in words of the single generative replies (not multi-step transcripts);
- repeated_word_share: their mean share of repeated words (1 − distinct / all words), the degeneration that
  reference-guided trait training showed (docs/training.md). Longer replies repeat more words, so read it with the
  length.
"""

from __future__ import annotations

from pathlib import Path

from traitrl.evals.benchmark import BENCHMARKS, get_benchmark
from traitrl.evals.benchmarks.bbq import bias_scores
from traitrl.evals.record import ItemScore, list_benchmark_records, read_benchmark_record
from traitrl.evals.refusal import is_refusal
from traitrl.rewards.audit import repeated_word_share

BENIGN_SETS = ("xstest_safe", "coconot_contrast")
COVARIATES = ("benign_refusal_rate", "bbq_unknown_rate", "bbq_s_dis", "bbq_s_amb", "persona_yes_rate",
              "first_letter_rate", "stated_confidence_rate", "crows_pct_stereotype", "mean_reply_words",
              "repeated_word_share")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def style_covariates(eval_dir: str | Path) -> dict[str, float | None]:
    """Every covariate of COVARIATES for the model whose records are in `eval_dir`."""
    import traitrl.evals.benchmarks  # noqa: F401  (registers the families, for the protocol check below)

    eval_dir = Path(eval_dir)
    records: dict[str, list[ItemScore]] = {name: read_benchmark_record(eval_dir, name)[1]
                                           for name in list_benchmark_records(eval_dir)}

    def items(prefix: str = "", names: tuple[str, ...] = ()) -> list[ItemScore]:
        return [s for name, scores in records.items() if (prefix and name.startswith(prefix)) or name in names
                for s in scores]

    bbq = [s.meta for s in items("bbq_") if "unknown_choice" in s.meta]
    bias = bias_scores(bbq) if bbq else {"s_dis": None, "s_amb": None}
    # Single replies only: a multi-step protocol's record holds a whole transcript, prompts included.
    single = {name for name in records if name in BENCHMARKS and get_benchmark(name).protocol is None}
    replies = [s.response for name in single for s in records[name] if s.response is not None]
    return {
        "benign_refusal_rate": _mean([float(is_refusal(s.response)) for s in items(names=BENIGN_SETS)
                                      if s.response is not None]),
        "bbq_unknown_rate": _mean([float(m["pred"] == m["unknown_choice"]) for m in bbq]),
        "bbq_s_dis": bias["s_dis"], "bbq_s_amb": bias["s_amb"],
        "persona_yes_rate": _mean([float(s.meta["pred"] == 0) for s in items("persona_") if "pred" in s.meta]),
        "first_letter_rate": _mean([s.meta["first_letter_rate"] for scores in records.values() for s in scores
                                    if "first_letter_rate" in s.meta]),
        "stated_confidence_rate": _mean([s.score for s in items(names=("calibration_facts_stated_rate",
                                                                        "calibration_pubmedqa_stated_rate"))
                                         if s.score is not None]),
        "crows_pct_stereotype": _mean([float(s.meta["biased_choice"]) for s in items(names=("crows_pairs",))
                                       if "biased_choice" in s.meta]),
        "mean_reply_words": _mean([float(len(r.split())) for r in replies]),
        "repeated_word_share": _mean([repeated_word_share(r) for r in replies]),
    }
