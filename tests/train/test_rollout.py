import os

import pytest
import torch

from tests.helpers import tiny_model_dir
from traitrl._util.errors import ConfigError
from traitrl.models.store import load_model, load_tokenizer
from traitrl.train.rollout import PLACED_FIELD, FastRollout, RolloutConfig, make_rollout_func, sampling_params
from traitrl.models.rollout_engine import SamplingParams, _sample

CHATS = [[{"role": "user", "content": "What is the capital of France?"}],
         [{"role": "user", "content": "Write one sentence about honesty."}]]


def _training_logps(model, prompt_ids, completion_ids, temperature=1.0):
    # The quantity GRPOTrainer._get_per_token_logps_and_entropies computes: log_softmax(logits / T) at each token.
    full = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logits = model(full).logits[0, len(prompt_ids) - 1:-1].float() / temperature
    return logits.log_softmax(-1).gather(1, torch.tensor(completion_ids)[:, None]).squeeze(1)


def _rollout(model, tokenizer, dtype="float32"):
    rollout = FastRollout(tokenizer, RolloutConfig(dtype=dtype))
    rollout.sync_weights(model)
    return rollout


def _greedy_matches_generate(model, tokenizer, max_new_tokens):
    rollout = _rollout(model, tokenizer)
    prompt_ids = rollout.tokenize(CHATS)
    out = rollout.generate_ids(prompt_ids, SamplingParams(max_new_tokens, (tokenizer.eos_token_id,), do_sample=False))
    for ids, completion in zip(prompt_ids, out["completion_ids"], strict=True):
        ref = model.generate(torch.tensor([ids]), max_new_tokens=max_new_tokens, do_sample=False,
                             eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        assert tokenizer.decode(completion) == tokenizer.decode(ref[0, len(ids):len(ids) + len(completion)])
        assert len(completion) == max_new_tokens or completion[-1] == tokenizer.eos_token_id


def test_greedy_matches_hf_generate_on_tiny_model():
    path = str(tiny_model_dir())
    _greedy_matches_generate(load_model(path).eval(), load_tokenizer(path), max_new_tokens=24)


@pytest.mark.skipif(os.environ.get("TRAITRL_SKIP_EMBEDDED") == "1", reason="embedded model not wanted")
def test_greedy_matches_hf_generate_on_embedded_model():
    _greedy_matches_generate(load_model("smollm2-135m-instruct").eval(), load_tokenizer("smollm2-135m-instruct"),
                             max_new_tokens=12)


def test_sampled_logprobs_match_training_forward_fp32():
    path = str(tiny_model_dir())
    model, tokenizer = load_model(path).eval(), load_tokenizer(path)
    rollout = _rollout(model, tokenizer)
    prompt_ids = [ids for ids in rollout.tokenize(CHATS) for _ in range(3)]  # 2 prompts x G=3 share 2 prefills
    torch.manual_seed(0)
    out = rollout.generate_ids(prompt_ids, SamplingParams(16, (tokenizer.eos_token_id,), temperature=0.7, top_k=50))
    diffs = [(_training_logps(model, p, c, 0.7) - torch.tensor(lp)).abs().max().item()
             for p, c, lp in zip(out["prompt_ids"], out["completion_ids"], out["logprobs"], strict=True)]
    assert max(diffs) < 1e-4
    assert len({tuple(c) for c in out["completion_ids"]}) > 1  # rows of one prompt sample independently


def test_lora_adapter_is_merged_into_the_inference_weights():
    from peft import LoraConfig, get_peft_model

    path = str(tiny_model_dir())
    tokenizer = load_tokenizer(path)
    torch.manual_seed(0)
    model = get_peft_model(load_model(path), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear")).eval()
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.2)  # a fresh adapter is zero: make it change the output
    rollout = _rollout(model, tokenizer)
    prompt_ids = rollout.tokenize(CHATS[:1])
    out = rollout.generate_ids(prompt_ids, SamplingParams(12, (-1,), do_sample=False))
    assert (_training_logps(model, prompt_ids[0], out["completion_ids"][0])
            - torch.tensor(out["logprobs"][0])).abs().max().item() < 1e-4


def test_inverse_cdf_sampling_follows_the_softmax():
    torch.manual_seed(0)
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, float("-inf")]]).repeat(40_000, 1)
    counts = torch.bincount(_sample(logits), minlength=5).float() / 40_000
    assert (counts - logits[0].softmax(-1)).abs().max().item() < 0.01
    assert counts[4] == 0


def test_sampling_params_follow_the_trainer_generation_kwargs():
    kwargs = {"max_new_tokens": 32, "do_sample": True, "pad_token_id": 2, "bos_token_id": 1, "eos_token_id": [2],
              "temperature": 0.8, "top_p": 0.9, "top_k": 0, "min_p": None, "repetition_penalty": 1.0,
              "cache_implementation": None}
    assert sampling_params(kwargs) == SamplingParams(32, (2,), True, 0.8, 0, 0.9, None, 1.0)
    with pytest.raises(ConfigError, match="no_repeat_ngram_size"):
        sampling_params({**kwargs, "no_repeat_ngram_size": 3})


def test_make_rollout_func_returns_none_for_trl_engine():
    assert make_rollout_func(None, RolloutConfig(engine="trl")) is None
    with pytest.raises(ConfigError, match="RolloutConfig"):
        make_rollout_func(None, {"engine": "fast"})


def test_grpo_trainer_trains_with_the_fast_rollout(tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    path = str(tiny_model_dir())
    tokenizer = load_tokenizer(path)
    rollout = make_rollout_func(tokenizer, RolloutConfig(return_logprobs=True))
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=8, learning_rate=1e-2, report_to=[], use_cpu=True, save_strategy="no",
                      logging_steps=1, off_policy_mask_threshold=0.5)
    def reward_length(completions, **_):
        return [float(len(c[0]["content"])) for c in completions]

    trainer = GRPOTrainer(model=load_model(path), reward_funcs=reward_length, args=args,
                          train_dataset=Dataset.from_list([{"prompt": c} for c in CHATS * 4]),
                          processing_class=tokenizer, rollout_func=rollout)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    calls = []
    trainer.rollout_func = lambda prompts, t: calls.append(prompts) or rollout(prompts, t)
    trainer.train()
    assert len(calls) == 2 and len(calls[0]) == 4
    assert rollout.tokenize(calls[0], trainer) == trainer._tokenize_prompts(calls[0])[0]
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())


def test_reference_in_group_puts_each_trait_prompts_reference_in_its_group_and_leaves_tasks_alone():
    import random
    from types import SimpleNamespace

    from traitrl.data.generators import epistemic_humility
    from traitrl.data.mix import scenario_row, task_row
    from traitrl.data.scenario import Domain
    from traitrl.data.tasks import generate_tasks

    path = str(tiny_model_dir())
    model, tokenizer = load_model(path).eval(), load_tokenizer(path)
    scenario = epistemic_humility.generate(Domain.science, random.Random(0), 1)[0]
    rows = [scenario_row(scenario), task_row(generate_tasks(1, seed=0)[0])]
    rollout = make_rollout_func(tokenizer, RolloutConfig(reference_in_group=True), rows)
    reference = tokenizer(scenario.rubric.good_response, add_special_tokens=False)["input_ids"]
    cap = 12
    trainer = SimpleNamespace(model=model, accelerator=SimpleNamespace(unwrap_model=lambda m: m),
                              generation_kwargs={"max_new_tokens": cap, "eos_token_id": tokenizer.eos_token_id,
                                                 "temperature": 1.0, "do_sample": True})
    group = 3
    out = rollout([rows[0]["prompt"]] * group + [rows[1]["prompt"]] * group, trainer)
    completions = out["completion_ids"]
    # The trait group's last completion is the reference, cut to the cap; its other members stay samples.
    assert completions[group - 1] == reference[:cap]
    assert all(c != reference[:cap] for c in completions[:group - 1])
    assert all(c != reference[:cap] for c in completions[group:])  # task prompts have no reference
    assert out["logprobs"] is None
    # The rollout marks exactly the placed completion, for the learning check's samples-only reward.
    assert out[PLACED_FIELD] == [i == group - 1 for i in range(2 * group)]
    # A reference shorter than the cap ends in EOS, as a finished sample does.
    full, placed = rollout.place_references(out["prompt_ids"][:1], [[1]], cap=len(reference) + 5)
    assert full[0] == reference + [tokenizer.eos_token_id] and placed == [True]


def test_a_rollout_without_guidance_marks_no_placed_reference():
    from types import SimpleNamespace

    path = str(tiny_model_dir())
    model, tokenizer = load_model(path).eval(), load_tokenizer(path)
    trainer = SimpleNamespace(model=model, accelerator=SimpleNamespace(unwrap_model=lambda m: m),
                              generation_kwargs={"max_new_tokens": 4, "eos_token_id": tokenizer.eos_token_id,
                                                 "temperature": 1.0, "do_sample": True})
    out = make_rollout_func(tokenizer, RolloutConfig())(CHATS[:2], trainer)
    assert PLACED_FIELD not in out


def test_reference_in_group_is_refused_where_it_cannot_work():
    with pytest.raises(ValueError, match="reference_in_group"):
        RolloutConfig(engine="trl", reference_in_group=True)
    with pytest.raises(ValueError, match="reference_in_group"):
        RolloutConfig(return_logprobs=True, reference_in_group=True)
    with pytest.raises(ConfigError, match="needs the training rows"):
        make_rollout_func(None, RolloutConfig(reference_in_group=True))
