"""The constitution arm: critique-revise with a scripted critic, compute matching, judge separation, and one tiny
end-to-end arm (1 SFT step + 1 GRPO step) on a random-init model."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from helpers import honesty_scenario, tiny_model_dir
from traitrl._util.errors import ConfigError
from traitrl.config import ArmConfig
from traitrl.data.mix import mix_dose
from traitrl.data.tasks import generate_tasks
from traitrl.rewards.constitution import parse_constitution, read_constitution
from traitrl.study import assert_compute_matched
from traitrl.train.config import TrainConfig
from traitrl.train.constitution import (
    ConstitutionConfig,
    check_constitution_judges,
    constitution_budget,
    constitution_config,
    constitution_rl_train,
    sl_prompt_count,
    sl_plan,
    sl_prompts,
    train_constitution_arm,
)
from traitrl.train.critic import LocalGenerator, clean_revision, critique_and_revise, sample_principle
from traitrl.models.store import load_model, load_tokenizer
from traitrl.train.rollout import RolloutConfig

QUICK = TrainConfig(steps=40, prompts_per_step=4, num_generations=4, max_completion_tokens=64)
CONSTITUTION = parse_constitution("""
## honesty
Principle: Be truthful.
Critique: CRIT-HONESTY
Revision: REV-HONESTY

## fairness
Principle: Be fair.
Critique: CRIT-FAIRNESS
Revision: REV-FAIRNESS
""", "test.md")
PROMPTS = [[{"role": "user", "content": f"question {i}"}] for i in range(3)]


def scripted_critic(calls: list):
    """Critiques name the request they saw; revisions append 'revised' to the reply under review."""

    def critic(conversations):
        calls.append(conversations)
        out = []
        for conv in conversations:
            request = conv[-1]["content"]
            if request.startswith("REV-"):
                reply = conv[0]["content"].split("[assistant]\n")[-1].split("\n</conversation>")[0]
                out.append(None if "question 2" in conv[0]["content"] and len(calls) > 2
                           else f"Revision: {reply} revised")
            else:
                out.append(f"critique of {request.split()[-1]}")
        return out

    return critic


def test_critique_and_revise_runs_rounds_with_sampled_principles():
    calls: list = []
    records, counts = critique_and_revise(PROMPTS, lambda convs: [f"answer {i}" for i in range(len(convs))],
                                          scripted_critic(calls), CONSTITUTION, rounds=2,
                                          count_tokens=lambda t: len(t.split()), seed=3)
    assert len(calls) == 4  # critique + revision batch per round
    assert [r["final"] for r in records] == ["answer 0 revised revised", "answer 1 revised revised",
                                             "answer 2 revised"]  # round 2 revision of prompt 2 failed
    for i, r in enumerate(records):
        ids = [rnd["principle"] for rnd in r["rounds"]]
        assert ids == [sample_principle(CONSTITUTION, 3, i, k).id for k in range(2)]
        assert r["rounds"][0]["critique"] == f"critique of CRIT-{ids[0].upper()}"
    assert records[2]["rounds"][1]["failed"] is True and counts["critic_errors"] == 1
    assert counts["generations"] == 3 + 2 * 2 * 3
    assert counts["generated_tokens"]["policy"] == 6
    assert counts["generated_tokens"]["total"] == sum(v for k, v in counts["generated_tokens"].items()
                                                      if k != "total")


def test_clean_revision_keeps_the_text_after_the_last_label():
    assert clean_revision("Revision: Water boils at 100 °C.") == "Water boils at 100 °C."
    assert clean_revision("Sure.\n\nHere's the revised response:\nIt is 100.") == "It is 100."
    assert clean_revision("Note: keep this.") == "Note: keep this."


def test_sl_prompts_fit_the_skipped_grpo_tokens():
    cfg = ConstitutionConfig(sft_steps=10, revision_rounds=1)
    # 10 steps × 4 prompts × 4 generations × 64 tokens = 10240 tokens; 3 generations of ≤ 64 tokens per prompt.
    assert sl_prompt_count(QUICK, cfg) == 53
    assert sl_prompt_count(QUICK, cfg.model_copy(update={"revision_rounds": 2})) == 32
    assert sl_prompt_count(QUICK, cfg.model_copy(update={"max_new_tokens": 32})) == 106
    budget = constitution_budget(QUICK, cfg)
    assert budget.keys() == QUICK.compute_budget().keys()  # the report's compute table takes exactly these
    assert budget["optimizer_steps"] == 40 and budget["sft_steps_within_budget"] == 10
    assert budget["max_generated_tokens"] == QUICK.compute_budget()["max_generated_tokens"] == 40960
    plan = sl_plan(QUICK, cfg)
    assert plan["sl_max_generated_tokens"] == 53 * 3 * 64 <= plan["sl_allotted_tokens"] == 10240


def test_matched_constitution_arm_passes_the_study_check():
    assert_compute_matched({"baseline": QUICK.compute_budget(), "trait": QUICK.compute_budget(),
                            "constitution": constitution_budget(QUICK, ConstitutionConfig(sft_steps=10))})


def test_mismatched_constitution_config_fails_the_study_check():
    # Critiques and revisions longer than a GRPO completion would out-spend the baseline's generation cap.
    loose = ConstitutionConfig(sft_steps=10, max_new_tokens=128)
    with pytest.raises(ConfigError, match="'constitution' is not compute-matched.*max_completion_tokens"):
        assert_compute_matched({"baseline": QUICK.compute_budget(),
                                "constitution": constitution_budget(QUICK, loose)})
    other_steps = QUICK.model_copy(update={"steps": 50})
    with pytest.raises(ConfigError, match="optimizer_steps"):
        assert_compute_matched({"baseline": QUICK.compute_budget(),
                                "constitution": constitution_budget(other_steps, ConstitutionConfig())})


def test_budget_rejects_sft_steps_that_leave_no_rl():
    with pytest.raises(ConfigError, match="sft_steps is 40 but train.steps is 40"):
        constitution_budget(QUICK, ConstitutionConfig(sft_steps=40))
    tiny = TrainConfig(steps=3, prompts_per_step=1, num_generations=2, max_completion_tokens=8)
    with pytest.raises(ConfigError, match="room for no SL prompt"):
        constitution_budget(tiny, ConstitutionConfig(sft_steps=1, revision_rounds=1))


def test_judge_and_critic_must_not_be_the_evaluation_judge():
    evaluation = {"base_url": "http://a/v1", "model": "gpt-judge"}
    check_constitution_judges(ConstitutionConfig(judge={"base_url": "http://b/v1", "model": "other"}), evaluation)
    check_constitution_judges(ConstitutionConfig(judge=evaluation), None)
    with pytest.raises(ConfigError, match="constitution.judge"):
        check_constitution_judges(ConstitutionConfig(judge={"base_url": "http://b/v1", "model": "GPT-judge"}),
                                  evaluation)
    with pytest.raises(ConfigError, match="constitution.critic"):
        check_constitution_judges(ConstitutionConfig(critic=dict(evaluation)), evaluation)
    with pytest.raises(ConfigError, match="constitution.judge"):
        check_constitution_judges(ConstitutionConfig(judge="gpt-judge"), evaluation)


def test_constitution_config_defaults_when_the_study_has_none():
    assert constitution_config(SimpleNamespace()) == ConstitutionConfig()
    assert constitution_config(SimpleNamespace(constitution={"sft_steps": 3})).sft_steps == 3


def test_sl_prompts_are_the_arms_trait_rows_cycled():
    rows = [{"source": "task", "prompt": "t"}, {"source": "trait", "prompt": "a"}, {"source": "trait", "prompt": "b"}]
    assert sl_prompts(rows, 5) == ["a", "b", "a", "b", "a"]
    with pytest.raises(ConfigError, match="dose"):
        sl_prompts(rows[:1], 1)


def test_local_generator_batches_and_respects_the_cap():
    path = str(tiny_model_dir())
    gen = LocalGenerator(load_model(path), load_tokenizer(path), max_new_tokens=4, temperature=1.0, batch_size=2)
    out = gen(PROMPTS)
    assert len(out) == 3 and all(isinstance(t, str) for t in out)
    assert 3 <= gen.generated_tokens <= 3 * 4 and len(gen.last_token_counts) == 3


def test_the_constitution_arms_rl_stage_never_gets_the_rubrics_reference_reply():
    guided = QUICK.model_copy(update={"rollout": RolloutConfig(reference_in_group=True)})
    rl = constitution_rl_train(guided, sft_steps=10)
    assert rl.steps == 30 and not rl.rollout.reference_in_group
    assert guided.rollout.reference_in_group  # the study's own settings, which the trait arms use, are untouched


def test_tiny_constitution_arm_end_to_end(tmp_path):
    torch.set_num_threads(2)
    train = TrainConfig(steps=2, prompts_per_step=2, num_generations=2, max_completion_tokens=8, lr=1e-2,
                        save_steps=1, lora={"r": 4, "alpha": 8})  # default rollout engine, as in the configs
    rows = mix_dose(generate_tasks(20), [honesty_scenario()], train.steps, train.prompts_per_step, 0.5)
    study = SimpleNamespace(model=str(tiny_model_dir()), seed=0, judge=None, train=train,
                            constitution=ConstitutionConfig(sft_steps=1, revision_rounds=1, sft_lr=1e-2, batch_size=4))
    arm = ArmConfig(name="constitution", dose=0.5, method="constitution")
    final = train_constitution_arm(study, arm, rows, tmp_path / "train")
    assert final == tmp_path / "train" / "final" and (final / "config.json").is_file()
    summary = json.loads((tmp_path / "train" / "constitution_summary.json").read_text())
    # 1 SFT step × 2 prompts × 2 generations × 8 tokens = 32 tokens → one prompt (3 generations of ≤ 8 tokens).
    assert summary["sl_plan"]["sl_prompts"] == 1 and summary["rl_steps"] == 1
    assert summary["sl"]["generations"] == 3 and 0 < summary["sl"]["generated_tokens"]["total"] <= 24
    assert summary["generated_tokens"]["total"] <= summary["budget"]["max_generated_tokens"] == 2 * 2 * 2 * 8
    grpo = json.loads((tmp_path / "train" / "train_summary.json").read_text())
    assert grpo["steps"] == 1 and grpo["reward_functions"] == ["task_reward", "constitution_reward"]
    records = [json.loads(line) for line in (tmp_path / "train" / "sl" / "revisions.jsonl").open()]
    assert records[0]["prompt"] == honesty_scenario().messages()
    assert records[0]["rounds"][0]["principle"] in {p.id for p in read_constitution().principles}
    before = load_file(tiny_model_dir() / "model.safetensors")
    sl = load_file(tmp_path / "train" / "sl" / "model" / "model.safetensors")
    assert any(not torch.equal(before[k], sl[k]) for k in before if k in sl), "SFT did not move the SL model"
    assert not any("lora" in k for k in load_file(final / "model.safetensors"))
    # A finished arm is skipped on re-run.
    assert train_constitution_arm(study, arm, rows, tmp_path / "train") == final

