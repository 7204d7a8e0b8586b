"""Log-likelihoods and TruthfulQA accuracy agree with lm-evaluation-harness on the same data and model."""

import sys
from pathlib import Path

import pytest

from traitrl.evals.benchmarks.truthfulqa import read_truthfulqa
from traitrl.evals.data_dir import benchmark_dir
from traitrl.models.loglik import encode_request, score_requests

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_loglikelihoods_match_lm_eval_hflm_on_truthfulqa_items(tiny_lm):
    pytest.importorskip("lm_eval")
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model, tok = tiny_lm.model, tiny_lm.tokenizer
    items = read_truthfulqa(benchmark_dir(), "mc2_targets")[:3]
    lm = HFLM(pretrained=model, tokenizer=tok, batch_size=8)
    pairs = [(it.context, c) for it in items for c in it.choices]
    theirs = [ll for ll, _ in lm.loglikelihood([Instance("loglikelihood", {}, p, i) for i, p in enumerate(pairs)],
                                               disable_tqdm=True)]
    ours = [ll for lls in score_requests(model, [encode_request(tok, it.context, it.choices) for it in items],
                                         batch_size=2, pad_id=tok.pad_token_id) for ll in lls]
    assert ours == pytest.approx(theirs, abs=1e-4)


@pytest.mark.slow
def test_truthfulqa_accuracy_matches_lm_eval_on_the_embedded_model():
    pytest.importorskip("lm_eval")
    sys.path.insert(0, str(BENCH))
    import lmeval_agreement

    from traitrl.evals.benchmarks.truthfulqa import DATA_FILE
    from traitrl.models.store import load_model, load_tokenizer

    model, tok = load_model("smollm2-135m-instruct"), load_tokenizer("smollm2-135m-instruct")
    keys, data_dir = ["mc1", "mc2"], benchmark_dir()
    ours = lmeval_agreement.run_traitrl(model, tok, keys, 10, 16, data_dir)
    theirs = lmeval_agreement.run_lmeval(model, tok, keys, 10, 16, (data_dir / DATA_FILE).resolve())
    for key, (_, _, diff_pp, max_ll) in lmeval_agreement.compare(ours, theirs, keys).items():
        assert abs(diff_pp) <= 0.5, key
        assert max_ll < 1e-3, key
