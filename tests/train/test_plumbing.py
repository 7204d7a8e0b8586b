"""Rollouts come from the current weights, and the log-probs GRPO trains on belong to the sampled tokens.

Both run through a real GRPOTrainer (traitrl's build_trainer) with the fast rollout engine on a tiny random model.
The bf16 autocast checks (issue 21) sit here too: they reuse the same spies on TRL's loss.
"""

import pytest
import torch

from helpers import tiny_model_dir
from traitrl.data.mix import mix_dose
from traitrl.data.tasks import generate_tasks
from traitrl.train.config import TrainConfig
from traitrl.train.grpo import build_trainer
from traitrl.models.rollout_engine import extract_weights

PROMPT = [{"role": "user", "content": "Name a city."}]


def length_reward(prompts, completions, **_):
    return [float(len(str(c))) / 100 for c in completions]


def make_trainer(tmp_path, **overrides):
    base = dict(steps=1, prompts_per_step=2, num_generations=4, max_completion_tokens=10, lr=1e-3, temperature=0.7,
                save_steps=1, lora=None, rollout={"engine": "fast", "dtype": "float32", "return_logprobs": True})
    cfg = TrainConfig(**{**base, **overrides})
    rows = mix_dose(generate_tasks(20), [], cfg.steps, cfg.prompts_per_step, 0.0)
    return build_trainer(str(tiny_model_dir()), rows, [length_reward], cfg, tmp_path, seed=0)


def first_tokens(trainer, n: int) -> list[int]:
    torch.manual_seed(0)
    out = trainer.rollout_func([PROMPT] * n, trainer)  # the exact call TRL makes once per generation batch
    return [ids[0] for ids in out["completion_ids"]]


def test_a_large_update_moves_the_samples_of_the_fast_engine(tmp_path):
    # Full fine-tuning: on the tiny model (hidden 64, tied head) no LoRA update can make one token dominate.
    trainer = make_trainer(tmp_path)
    model = trainer.model
    prompt_ids = trainer.rollout_func.tokenize([PROMPT])[0]
    target = trainer.processing_class.convert_tokens_to_ids("Paris")
    before = first_tokens(trainer, 64)
    # A large update of the training weights, in place as TRL's optimizer makes it: "Paris" becomes the first token.
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(5):
        logits = model(torch.tensor([prompt_ids])).logits[0, -1]
        loss = -logits.log_softmax(-1)[target]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        p_target = model(torch.tensor([prompt_ids])).logits[0, -1].softmax(-1)[target].item()
    after = first_tokens(trainer, 64)
    assert before.count(target) <= 2 and p_target > 0.9
    share = after.count(target) / len(after)
    # The engine samples the updated policy: its share of "Paris" matches the training model's probability.
    assert share > 0.8 and abs(share - p_target) < 0.15


def _spy_on_loss(trainer) -> list[dict]:
    """Record, for every loss computation, the sampled ids, their sampling log-probs and the log-probs TRL trains on."""
    calls: list[dict] = []
    get_logps, compute_loss = trainer._get_per_token_logps_and_entropies, trainer._compute_loss

    def logps_spy(*args, **kwargs):
        out = get_logps(*args, **kwargs)
        calls[-1]["trained"] = out[0].detach()
        return out

    def loss_spy(model, inputs):
        calls.append({"completion_ids": inputs["completion_ids"], "mask": inputs["completion_mask"].bool(),
                      "sampled": inputs["sampling_per_token_logps"].float()})
        return compute_loss(model, inputs)

    trainer._get_per_token_logps_and_entropies, trainer._compute_loss = logps_spy, loss_spy
    return calls


def _logp_gaps(call) -> tuple[float, float]:
    """(max gap at the right positions, mean gap with the sampling log-probs shifted one token)."""
    mask = call["mask"]
    aligned = (call["trained"] - call["sampled"]).abs()[mask].max().item()
    shifted = (call["trained"][:, 1:] - call["sampled"][:, :-1]).abs()[mask[:, 1:] & mask[:, :-1]].mean().item()
    return aligned, shifted


def test_trained_logprobs_belong_to_the_sampled_tokens(tmp_path):
    trainer = make_trainer(tmp_path)
    calls = _spy_on_loss(trainer)
    trainer.train()
    assert calls and all("trained" in c for c in calls)
    for call in calls:
        aligned, shifted = _logp_gaps(call)
        # fp32 engine vs fp32 training forward: the same numbers. One token off is far from them, so this can fail.
        assert aligned < 1e-3 and shifted > 0.05


def _params(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("lora", [None, {"r": 4, "alpha": 8}])  # LoRA over the tiny model's tied head, as on SmolLM2
def test_bf16_autocast_trains_on_fp32_master_weights_with_close_logprobs(tmp_path, lora):
    trainer = make_trainer(tmp_path / "bf16", mixed_precision="bf16", lora=lora)
    layer_outputs: list[tuple[torch.dtype, bool]] = []
    trainer.model.get_decoder().layers[0].mlp.register_forward_hook(
        lambda m, i, o: layer_outputs.append((o.dtype, torch.is_autocast_enabled("cpu"))))
    calls = _spy_on_loss(trainer)
    before = _params(trainer.model)
    trainer.train()
    assert calls and layer_outputs == [(torch.bfloat16, True)]  # the training forward really ran under bf16 autocast
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())  # master weights stay fp32
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())
    for call in calls:
        assert call["trained"].dtype == torch.float32
        gap = (call["trained"] - call["sampled"]).abs()[call["mask"]]
        # bf16 activations perturb log-probs a little; a misaligned token would be far off.
        assert gap.mean().item() < 0.05 and gap.max().item() < 0.5


@pytest.mark.parametrize("mixed_precision", ["no", "bf16"])
def test_the_cpu_head_projects_only_completion_tokens_and_in_fp32(tmp_path, mixed_precision, monkeypatch):
    import trl.trainer.utils as trl_utils

    trainer = make_trainer(tmp_path, mixed_precision=mixed_precision, lora={"r": 4, "alpha": 8})
    projected: list[tuple[int, torch.dtype, bool]] = []
    chunked = trl_utils._ChunkedLogProbFunction

    class Spy:
        @staticmethod
        def apply(hidden, *rest):
            projected.append((hidden.shape[0], hidden.dtype, torch.is_autocast_enabled("cpu")))
            return chunked.apply(hidden, *rest)

    monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", Spy)
    calls = _spy_on_loss(trainer)
    trainer.train()
    # TRL's CPU default projects every prompt and padding position too: many more rows than completion tokens.
    assert sum(rows for rows, _, _ in projected) == sum(int(c["mask"].sum()) for c in calls)
    # Under bf16 autocast TRL's default projects in bf16 with autocast on.
    assert all(dtype == torch.float32 and not autocast for _, dtype, autocast in projected)


@pytest.mark.slow
def test_bf16_update_points_where_the_fp32_update_does(tmp_path):
    deltas = {}
    for precision in ("no", "bf16"):
        trainer = make_trainer(tmp_path / precision, mixed_precision=precision, trl_overrides={"optim": "sgd"})
        before = _params(trainer.model)
        trainer.train()  # same seed, so the same rollouts and rewards: only the arithmetic differs
        deltas[precision] = torch.cat([(p.detach() - before[n]).flatten()
                                       for n, p in trainer.model.named_parameters()])
    cosine = torch.nn.functional.cosine_similarity(deltas["no"], deltas["bf16"], dim=0).item()
    assert cosine > 0.95, cosine


def test_rollout_weights_are_the_trained_weights_after_a_step(tmp_path):
    trainer = make_trainer(tmp_path, lora={"r": 4, "alpha": 8})
    trainer.train()
    first_tokens(trainer, 2)  # a new generation batch syncs the weights
    synced = trainer.rollout_func._weights
    now = extract_weights(trainer.model, torch.float32)
    assert torch.equal(synced.layers[0].qkv, now.layers[0].qkv) and torch.equal(synced.lm_head, now.lm_head)
