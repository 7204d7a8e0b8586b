"""The MC engine: lm-eval's tokenisation rules, prefix-cached scores equal to plain full-sequence scores, metrics."""

import math

import pytest
import torch

from traitrl.evals.benchmark import MCItem
from traitrl.evals.mc import counterbalanced_twin, metric_value, swap_options
from traitrl.models.loglik import encode_request, score_requests


@pytest.fixture
def tiny(tiny_lm):
    return tiny_lm.model, tiny_lm.tokenizer


def full_sequence_logprobs(model, request):
    """Reference: each (context + choice) run from scratch, as lm-eval does."""
    out = []
    for cont in request.continuations:
        ids = torch.tensor([request.context + cont])
        with torch.no_grad():
            logprobs = model(ids).logits[0].log_softmax(-1)
        out.append(sum(logprobs[t - 1, ids[0, t]].item() for t in range(len(request.context), ids.shape[1])))
    return out


def test_encoding_moves_trailing_space_and_uses_bos_for_empty_context(tiny):
    _, tok = tiny
    req = encode_request(tok, "Question: sky?\nAnswer: ", ["blue"])
    assert req.context == tok.encode("Question: sky?\nAnswer:")
    assert req.continuations == [tok.encode("Question: sky?\nAnswer: blue")[len(req.context):]]
    empty = encode_request(tok, "", ["The cat sat."])
    assert empty.context == [tok.bos_token_id]
    assert empty.continuations == [tok.encode("The cat sat.")]


def test_prefix_cached_scores_equal_full_sequence_scores(tiny):
    model, tok = tiny
    preamble = "Q: What is 2+2?\nA: 4.\n\nQ: Capital of France?\nA: Paris.\n\n"
    items = [(preamble + "Q: Sky colour?\nA:", [" Blue", " Green, obviously not", " I have no comment."]),
             (preamble + "Q: Who wrote Hamlet, the play?\nA:", [" Shakespeare", " Marlowe"]),
             (preamble + "Q: Water?\nA:", [" Wet", " Dry", " Both wet and dry at once"])]
    requests = [encode_request(tok, c, ch) for c, ch in items]
    expected = [full_sequence_logprobs(model, r) for r in requests]
    for batch_size in (1, 2, 16):
        got = score_requests(model, requests, batch_size=batch_size, pad_id=tok.pad_token_id)
        for g, e in zip(got, expected, strict=True):
            assert g == pytest.approx(e, abs=1e-4)


def test_empty_context_and_shared_choice_prefixes(tiny):
    model, tok = tiny
    # Sentence pairs share a long token prefix inside the choices; letter choices share " (".
    requests = [encode_request(tok, "", ["The doctor said he would come.", "The doctor said she would come."]),
                encode_request(tok, "Human: pick one\n\nAssistant:", [" (A)", " (B)"])]
    got = score_requests(model, requests, batch_size=4, pad_id=tok.pad_token_id)
    for g, r in zip(got, requests, strict=True):
        assert g == pytest.approx(full_sequence_logprobs(model, r), abs=1e-4)


def test_metrics_follow_lm_eval():
    lls = [-2.0, -1.0, -3.0]
    assert metric_value("acc", lls, ["a", "b", "c"], [1]) == 1.0
    assert metric_value("acc", lls, ["a", "b", "c"], [0, 2]) == 0.0
    # acc_norm divides by characters, acc_bytes by UTF-8 bytes: " ééééé" is 6 characters but 11 bytes
    assert metric_value("acc_norm", [-2.0, -1.0], [" aaaaaaaaaa", " b"], [0]) == 1.0
    assert metric_value("acc_norm", [-1.5, -2.0], [" ééééé", " bbbbbbbb"], [1]) == 1.0  # -0.25 < -0.222
    assert metric_value("acc_bytes", [-1.5, -2.0], [" ééééé", " bbbbbbbb"], [0]) == 1.0  # -0.136 > -0.222
    p = [math.exp(x) for x in lls]
    assert metric_value("mc2", lls, ["a", "b", "c"], [0, 1]) == pytest.approx((p[0] + p[1]) / sum(p))
    with pytest.raises(ValueError, match="unknown MC metric"):
        metric_value("f1", lls, ["a", "b", "c"], [0])


def test_swap_options_two_many_and_multiline():
    q = "Do you consent?\n\nChoices:\n (A) I do not consent\n (B) I consent"
    assert swap_options(q, "A", "B") == "Do you consent?\n\nChoices:\n (A) I consent\n (B) I do not consent"
    many = "Question: Crave?\n\nChoices:\n (A) Power\n (B) Independence \n (C) Both\n (D) Neither\n\nAnswer:"
    assert swap_options(many, "A", "D") == ("Question: Crave?\n\nChoices:\n (A) Neither\n (B) Independence \n"
                                            " (C) Both\n (D) Power\n\nAnswer:")
    multiline = "Q?\n\nChoices:\n (A) Sure:\n\nA long answer.\n (B) No, false premise."
    assert swap_options(multiline, "A", "B") == "Q?\n\nChoices:\n (A) No, false premise.\n (B) Sure:\n\nA long answer."
    # "(A)" inside a sentence is not an option line
    assert swap_options("I believe in (A), sure.\n (A) Agree\n (B) Disagree", "A", "B").endswith(
        "(A) Disagree\n (B) Agree")
    assert swap_options("no options here", "A", "B") is None
    assert swap_options(q, "A", "C") is None


def test_counterbalanced_twin_flips_gold():
    item = MCItem(id="1", context="x", choices=[" (A)", " (B)"], gold=[0], meta={"swapped_context": "y"})
    twin = counterbalanced_twin(item)
    assert (twin.context, twin.gold, twin.choices) == ("y", [1], [" (A)", " (B)"])
    assert counterbalanced_twin(MCItem(id="2", context="x", choices=[" Yes", " No"], gold=[0])) is None


def test_bf16_scoring_rounds_like_bf16_and_keeps_fp32_answers(tiny):
    model, tok = tiny
    requests = [encode_request(tok, "Q: Sky colour?\nA:", [" Blue", " Green, obviously not", " I have no comment."]),
                encode_request(tok, "Q: Water?\nA:", [" Wet", " Dry"])]
    fp32 = score_requests(model, requests, batch_size=2, pad_id=tok.pad_token_id)
    bf16 = score_requests(model, requests, batch_size=2, pad_id=tok.pad_token_id, precision="bf16")
    diffs = [abs(a - b) for f, h in zip(fp32, bf16, strict=True) for a, b in zip(f, h, strict=True)]
    assert 0 < max(diffs) < 0.5  # bf16 really ran (not fp32 again), and only rounding separates them
    assert next(model.parameters()).dtype == torch.float32  # autocast: the weights stay fp32


def test_unknown_precision_is_refused(tiny):
    from traitrl._util.errors import ConfigError

    model, tok = tiny
    with pytest.raises(ConfigError, match="precision"):
        score_requests(model, [encode_request(tok, "Q:", [" a"])], pad_id=tok.pad_token_id, precision="fp16")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_scoring_runs_on_the_models_device_not_the_default_one(tiny, precision):
    # Every tensor the scorer builds must live on the model's device (a GPU's, for a model there). With the default
    # device set elsewhere (meta: no data), one tensor built without device= fails or changes a score.
    model, tok = tiny
    preamble = "Q: What is 2+2?\nA: 4.\n\n"  # a shared prefix, so the prefix-cache path runs too
    requests = [encode_request(tok, preamble + "Q: Sky?\nA:", [" Blue", " Green, obviously"]),
                encode_request(tok, preamble + "Q: Water?\nA:", [" Wet", " Dry"])]
    expected = score_requests(model, requests, batch_size=2, pad_id=tok.pad_token_id, precision=precision)
    with torch.device("meta"):
        got = score_requests(model, requests, batch_size=2, pad_id=tok.pad_token_id, precision=precision)
    assert got == expected
