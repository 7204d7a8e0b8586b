import pytest
import torch

from traitrl.models.generate import generate_responses, make_responder

CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "What is the capital of France? Please answer in one word only."}],
    [{"role": "user", "content": "Name a colour."}],
]


@pytest.fixture(scope="module")
def tiny():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from helpers import tiny_model_dir

    from traitrl.models.store import load_model, load_tokenizer

    folder = str(tiny_model_dir())
    model = load_model(folder)
    # The saved tiny model's small init decodes only newlines, which strip to ''; wider weights give distinct text.
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    return model, load_tokenizer(folder)


def test_replies_come_back_in_input_order_and_are_deterministic(tiny):
    model, tokenizer = tiny
    forward = generate_responses(model, tokenizer, CONVERSATIONS, max_new_tokens=6, batch_size=2)
    backward = generate_responses(model, tokenizer, CONVERSATIONS[::-1], max_new_tokens=6, batch_size=2)
    assert len(forward) == 3 and all(forward) and len(set(forward)) == 3
    # Batches are formed from length-sorted inputs, so the same conversations share a batch in both calls.
    assert backward[::-1] == forward


def test_padding_side_is_restored_and_responder_matches(tiny):
    model, tokenizer = tiny
    tokenizer.padding_side = "right"
    replies = make_responder(model, tokenizer, max_new_tokens=6, batch_size=2)(CONVERSATIONS)
    assert tokenizer.padding_side == "right"
    assert replies == generate_responses(model, tokenizer, CONVERSATIONS, max_new_tokens=6, batch_size=2)


def test_rejects_bad_batch_size(tiny):
    with pytest.raises(ValueError, match="batch_size"):
        generate_responses(*tiny, CONVERSATIONS, max_new_tokens=4, batch_size=0)


def test_tokenizer_without_chat_template_is_a_model_error(tiny):
    from traitrl._util.errors import ModelError

    model, tokenizer = tiny
    template, tokenizer.chat_template = tokenizer.chat_template, None
    try:
        with pytest.raises(ModelError, match="no chat template"):
            generate_responses(model, tokenizer, CONVERSATIONS, max_new_tokens=4)
    finally:
        tokenizer.chat_template = template


def test_fast_engine_replies_match_hf_generate_in_fp32(tiny):
    model, tokenizer = tiny
    fast = generate_responses(model, tokenizer, CONVERSATIONS, max_new_tokens=8, batch_size=2, use_bf16=False)
    hf = generate_responses(model, tokenizer, CONVERSATIONS, max_new_tokens=8, batch_size=2, use_bf16=False,
                            engine="hf")
    assert fast == hf and all(fast)


def test_unknown_engine_is_rejected(tiny):
    with pytest.raises(ValueError, match="engine"):
        generate_responses(*tiny, CONVERSATIONS, max_new_tokens=4, engine="vllm")
