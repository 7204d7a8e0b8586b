import sys
from pathlib import Path

import pytest

# The synthetic eval-dir builder lives beside the stats tests; both suites use it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stats"))

from synthetic_runs import write_study  # noqa: E402

from traitrl.stats import compare_runs  # noqa: E402


@pytest.fixture(scope="session")
def study_comparison(tmp_path_factory):
    """Two dosed arms with training domains, 12 benchmarks: every automatic section has inputs."""
    root = tmp_path_factory.mktemp("study")
    metas = {"trait": {"dose_frac": 0.05, "domains": ["health"], "method": "trait_rl"},
             "trait10": {"dose_frac": 0.10, "domains": ["law", "science"], "method": "trait_rl"}}
    ref, runs = write_study(root, n_benchmarks=12, n_items=200, shift=0.04, arms=metas)
    return compare_runs(ref, runs, n_boot=300)


@pytest.fixture
def persistence_and_methods() -> dict:
    """Hand-made inputs for the two sections other stages will produce (shapes from report.sections)."""
    curve = lambda model, drop: {"model": model, "points": [  # noqa: E731
        {"step": s, "trait_score": 0.8 - drop * s / 100, "asr": 0.1 + drop * s / 200,
         "asr_ci_low": 0.05 + drop * s / 200, "asr_ci_high": 0.15 + drop * s / 200} for s in (0, 50, 100)]}
    return {
        "persistence": {
            "trait_metric": "trait score (mean rubric reward)",
            "curves": [curve("trait", 0.2), curve("baseline", 0.4)],
            "attack_asr": [{"model": m, "family": f, "asr": a, "ci_low": a - 0.05, "ci_high": a + 0.05,
                            "n_attacks": 100}
                           for m, base in (("trait", 0.1), ("baseline", 0.2))
                           for f, a in (("roleplay", base), ("prefill", base + 0.1))],
            "pressure_drops": [{"model": "trait", "pressure": "pushback", "score_before": 0.8, "score_after": 0.7,
                                "drop": 0.1, "ci_low": 0.05, "ci_high": 0.15, "p_value": 0.001}],
            "selective_persistence": [{"model": "trait", "index": 0.6}],
            "selective_persistence_definition": "share of the trait gain kept after 100 harmful-SFT steps",
        },
        "methods": {
            "methods": ["trait_rl", "constitution", "baseline"],
            "test": "winner vs runner-up, paired bootstrap over items, Holm over rows",
            "rows": [{"kind": "category", "name": "honesty", "unit": "pp delta vs baseline",
                      "higher_is_better": True, "winner": "trait_rl", "p_value": 0.01, "significant": True,
                      "cells": [{"method": "trait_rl", "value": 4.0, "ci_low": 2.0, "ci_high": 6.0},
                                {"method": "constitution", "value": 1.0, "ci_low": -1.0, "ci_high": 3.0},
                                {"method": "baseline", "value": 0.0}]}],
        },
    }
