"""The constitution arm (`method: constitution`): SL-CAI then RLAIF on the trait arm's prompt pool, compute-matched.

Bai et al. 2022 ("Constitutional AI") on the prompts the trait arm gets, with no rubric used anywhere:
  1. SL stage: the policy answers each trait prompt of the arm's dosed mix; a critic critiques the answer against a
     principle sampled from the constitution and revises it, `revision_rounds` times (train.critic); then LoRA SFT
     (train.sft) on (prompt, final revision) for `sft_steps` optimizer steps.
  2. RL stage: GRPO (train.grpo) for `steps - sft_steps` steps on the mix rows after the first `sft_steps` steps,
     from the SL model; task rows keep task_reward, trait rows get rewards.constitution.constitution_reward.
Compute matching: SFT steps count against the step budget, and the SL stage generates at most the tokens the skipped
GRPO steps would have (sft_steps × P × G × max_completion_tokens) — `constitution_budget`. Departures from the paper
(scale, offline log-likelihood judge, no preference model): docs/constitution.md. Run: a study config with an arm
`{name: constitution, dose: 0.25, method: constitution}`, e.g. configs/constitution_vs_traits.yaml.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from traitrl._util.errors import ConfigError
from traitrl._util.io import read_json, read_jsonl, write_json_atomic, write_jsonl_atomic
from traitrl.models.judge import JudgeConfig, assert_distinct_judges
from traitrl.train.checkpoints import save_model_atomic
from traitrl.train.config import TrainConfig

# The study and arm configs (traitrl.config) sit on top of every stage, so they are duck-typed here, not imported.
StudyConfig = ArmConfig = Any

SL_DIR = "sl"
SUMMARY_FILE = "constitution_summary.json"


class ConstitutionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str | None = Field(None, description="Constitution markdown file; None = constitutions/default.md.")
    sft_steps: int = Field(10, ge=0, description="SL-stage optimizer steps, counted against `train.steps` "
                                                "(RL gets the rest); 0 skips the SL stage (RLAIF only).")
    revision_rounds: int = Field(1, ge=1, description="Critique-revise rounds per prompt (paper: up to 4).")
    critic: str | dict[str, Any] | None = Field(
        None, description="Critic: a model name/folder/hub id, or an OpenAI-compatible JudgeConfig dict; "
                          "None = the study's model.")
    judge: str | dict[str, Any] | None = Field(
        None, description="RL reward judge: a model name/folder/hub id (P(Yes) vs P(No) per principle), or an "
                          "OpenAI-compatible JudgeConfig dict (0-10 score); None = the study's model. Must differ "
                          "from the evaluation judge.")
    sft_lr: float = Field(1e-4, gt=0, description="SL-stage learning rate (LoRA, constant schedule).")
    sft_batch_size: int | None = Field(None, ge=1, description="SL examples per step; None = P × G, the sequences "
                                                               "one GRPO step trains on.")
    max_new_tokens: int | None = Field(None, ge=1, description="Cap per policy sample, critique and revision; None = "
                                                               "train.max_completion_tokens (larger breaks matching).")
    critic_temperature: float = Field(0.7, ge=0.0, description="Critic sampling temperature (0 = greedy).")
    batch_size: int = Field(8, ge=1, description="Conversations per local generate / judge forward pass.")


def constitution_config(study: StudyConfig) -> ConstitutionConfig:
    """The study's `constitution:` block; defaults when StudyConfig has none yet."""
    found = getattr(study, "constitution", None)
    return ConstitutionConfig.model_validate(found) if isinstance(found, dict) else found or ConstitutionConfig()


def check_constitution_judges(cfg: ConstitutionConfig, eval_judge: dict | None) -> None:
    """The constitution judge and critic must never be the evaluation judge (training on the grader)."""
    if not eval_judge:
        return
    evaluation = JudgeConfig.model_validate(eval_judge)
    for role, spec in (("judge", cfg.judge), ("critic", cfg.critic)):
        if isinstance(spec, dict):
            if spec == eval_judge:
                raise ConfigError(f"constitution.{role} equals the evaluation `judge`; use another model for it")
            try:
                assert_distinct_judges(JudgeConfig.model_validate(spec), evaluation)
            except ConfigError as e:
                raise ConfigError(f"constitution.{role}: {e}") from None
        elif isinstance(spec, str) and spec.strip().lower() == evaluation.model.strip().lower():
            raise ConfigError(f"constitution.{role} {spec!r} is the evaluation judge's model; use another model")


def generation_cap(train: TrainConfig, cfg: ConstitutionConfig) -> int:
    return cfg.max_new_tokens or train.max_completion_tokens


def sl_prompt_count(train: TrainConfig, cfg: ConstitutionConfig) -> int:
    """SL prompts whose generations (1 sample + 2 per round, each ≤ the cap) fit in the skipped GRPO tokens."""
    allotted = cfg.sft_steps * train.prompts_per_step * train.num_generations * train.max_completion_tokens
    return allotted // ((1 + 2 * cfg.revision_rounds) * generation_cap(train, cfg))


def sl_plan(train: TrainConfig, cfg: ConstitutionConfig) -> dict[str, int]:
    """The SL stage's generation plan: prompts, generations per prompt, allotted and maximum tokens."""
    if cfg.sft_steps >= train.steps:
        raise ConfigError(f"constitution.sft_steps is {cfg.sft_steps} but train.steps is {train.steps}: SFT steps "
                          "count against the step budget and the RL stage needs at least one; lower sft_steps")
    n_prompts = sl_prompt_count(train, cfg)
    if cfg.sft_steps and not n_prompts:
        raise ConfigError(f"constitution: {cfg.sft_steps} SFT steps leave room for no SL prompt at "
                          f"{1 + 2 * cfg.revision_rounds} generations each; raise sft_steps or lower revision_rounds")
    per_prompt = 1 + 2 * cfg.revision_rounds
    return {"sl_prompts": n_prompts, "sl_generations_per_prompt": per_prompt,
            "sl_allotted_tokens": cfg.sft_steps * train.prompts_per_step * train.num_generations
            * train.max_completion_tokens,
            "sl_max_generated_tokens": n_prompts * per_prompt * generation_cap(train, cfg)}


def constitution_budget(train: TrainConfig, cfg: ConstitutionConfig) -> dict[str, int]:
    """TrainConfig.compute_budget's keys for a constitution arm; equal to the baseline's budget exactly when the arm
    is compute-matched (SL generations fit in the skipped GRPO steps' tokens, same per-generation cap)."""
    plan = sl_plan(train, cfg)
    budget = train.compute_budget(cfg.sft_steps)
    budget["max_completion_tokens"] = max(train.max_completion_tokens, generation_cap(train, cfg))
    budget["max_generated_tokens"] += max(plan["sl_allotted_tokens"], plan["sl_max_generated_tokens"])
    return budget


def check_matched(train: TrainConfig, cfg: ConstitutionConfig) -> dict[str, int]:
    """The arm's budget; ConfigError when it would out-spend a dose-0 baseline with the same `train:` block."""
    budget, reference = constitution_budget(train, cfg), train.compute_budget()
    keys = ("optimizer_steps", "max_completion_tokens", "max_generated_tokens")
    mismatched = {k: (reference[k], budget[k]) for k in keys if budget[k] != reference[k]}
    if mismatched:
        raise ConfigError(f"the constitution arm is not compute-matched with the baseline: {mismatched} "
                          "(baseline, constitution); keep constitution.max_new_tokens <= train.max_completion_tokens")
    return budget


def check_constitution_study(study: StudyConfig) -> dict[str, int]:
    """Everything that can fail before training: the constitution file, judge separation, compute matching."""
    from traitrl.rewards.constitution import read_constitution

    cfg = constitution_config(study)
    read_constitution(cfg.path)
    check_constitution_judges(cfg, study.judge.model_dump(mode="json", exclude_unset=True) if study.judge else None)
    return check_matched(study.train, cfg)


def sl_prompts(rows: list[dict], n: int) -> list[list[dict]]:
    """The first `n` SL prompts: the arm's trait rows in mix order, cycled when the budget exceeds the pool."""
    pool = [r["prompt"] for r in rows if r["source"] == "trait"]
    if not pool:
        raise ConfigError("the constitution arm has no trait rows in its mix: give it `dose` > 0 and a non-empty "
                          "trait selection")
    return [pool[i % len(pool)] for i in range(n)]


def local_model(spec: str | None, default: str) -> str:
    from traitrl.models.store import resolve_model

    return resolve_model(spec or default)


def load_local(name: str, loaded: dict) -> tuple[Any, Any]:
    """(model, tokenizer) of a local model, loaded once per run (`loaded`: resolved path → pair)."""
    import torch

    from traitrl.models.store import load_model, load_tokenizer

    path = local_model(None, name)
    if path not in loaded:
        # On a GPU machine the SL stage generates there; SFT then trains the same copy.
        loaded[path] = (load_model(path, device="cuda" if torch.cuda.is_available() else None), load_tokenizer(path))
    return loaded[path]


def build_generator(spec: str | dict | None, default_model: str, loaded: dict, max_new_tokens: int,
                    temperature: float, batch_size: int, seed: int):
    """A critic or policy generator: an endpoint for a dict spec, else a local model (None = `default_model`)."""
    from traitrl.train.critic import EndpointGenerator, LocalGenerator

    if isinstance(spec, dict):
        return EndpointGenerator(JudgeConfig.model_validate(spec), max_new_tokens)
    model, tokenizer = load_local(spec or default_model, loaded)
    return LocalGenerator(model, tokenizer, max_new_tokens, temperature=temperature, batch_size=batch_size, seed=seed)


def run_sl_stage(model_name: str, rows: list[dict], train: TrainConfig, cfg: ConstitutionConfig, out_dir: Path,
                 seed: int, critic=None) -> Path:
    """Critique-revise data, then LoRA SFT and merge; returns the SL model folder. Skips finished parts."""
    from traitrl.rewards.constitution import read_constitution
    from traitrl.train.critic import critique_and_revise
    from traitrl.train.sft import SFTSettings, sft_rows, train_sft

    model_dir, data_path = out_dir / "model", out_dir / "revisions.jsonl"
    if (model_dir / "config.json").is_file() and (out_dir / "sl_summary.json").is_file():
        return model_dir
    loaded: dict = {}
    cap = generation_cap(train, cfg)
    started = time.time()
    if data_path.is_file():
        records, counts = read_jsonl(data_path), read_json(out_dir / "sl_counts.json")
    else:
        prompts = sl_prompts(rows, sl_prompt_count(train, cfg))
        policy = build_generator(None, model_name, loaded, cap, train.temperature, cfg.batch_size, seed)
        critic = critic or build_generator(cfg.critic, model_name, loaded, cap, cfg.critic_temperature,
                                           cfg.batch_size, seed + 1)
        tokenizer = load_local(model_name, loaded)[1]
        records, counts = critique_and_revise(
            prompts, policy, critic, read_constitution(cfg.path), cfg.revision_rounds,
            count_tokens=lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]), seed=seed)
        counts["unique_prompts"] = len({str(p) for p in prompts})
        write_json_atomic(out_dir / "sl_counts.json", counts)
        write_jsonl_atomic(data_path, records)
    model, tokenizer = load_local(model_name, loaded)
    lora = train.lora
    # Room for a multi-turn scenario prompt plus a full-length revision; the SFT default (384) would cut replies.
    batch_size = cfg.sft_batch_size or train.prompts_per_step * train.num_generations
    overrides: dict[str, Any] = {"gradient_checkpointing": train.gradient_checkpointing}
    if train.sequences_per_forward and batch_size > train.sequences_per_forward:
        # Same memory cap as the GRPO stage: accumulate the SL batch over forwards of `sequences_per_forward`.
        overrides |= {"per_device_train_batch_size": train.sequences_per_forward,
                      "gradient_accumulation_steps": -(-batch_size // train.sequences_per_forward)}
    settings = SFTSettings(lr=cfg.sft_lr, batch_size=batch_size, lora_r=lora.r if lora else 16,
                           lora_alpha=lora.alpha if lora else 32, max_length=512 + cap, trl_overrides=overrides)
    trained = train_sft(model, tokenizer, sft_rows([(r["prompt"], r["final"]) for r in records]), settings,
                        max_steps=cfg.sft_steps, seed=seed)
    trained = trained.merge_and_unload()
    save_model_atomic(trained, tokenizer, model_dir)
    write_json_atomic(out_dir / "sl_summary.json", {"sft_steps": cfg.sft_steps, "examples": len(records),
                                                    "seconds": round(time.time() - started, 1), **counts})
    return model_dir


def constitution_reward_funcs(study_model: str, cfg: ConstitutionConfig) -> list:
    from traitrl.rewards.constitution import constitution_reward
    from traitrl.rewards.tasks import task_reward

    judge = cfg.judge if isinstance(cfg.judge, dict) else local_model(cfg.judge, study_model)
    return [task_reward(), constitution_reward(judge=judge, path=cfg.path, batch_size=cfg.batch_size)]


def constitution_rl_train(train: TrainConfig, sft_steps: int) -> TrainConfig:
    """The study's training settings for the RLAIF stage: the steps the SL stage left, and never a placed
    reference reply (`rollout.reference_in_group`). The rubric's good reply is the trait method's target; a
    constitution arm writes its own targets from principles and must not see it."""
    rollout = train.rollout.model_copy(update={"reference_in_group": False})
    return train.model_copy(update={"steps": train.steps - sft_steps, "rollout": rollout})


def train_constitution_arm(config: StudyConfig, arm: ArmConfig, rows: list[dict], out_dir: str | Path,
                           resume: bool = True, critic=None, reward_funcs: list | None = None) -> Path:
    """SL-CAI then RLAIF for one arm; returns the final merged model folder (out_dir/final).

    `critic` and `reward_funcs` replace the configured critic and rewards (tests pass scripted ones).
    """
    from traitrl.train.grpo import FINAL_DIR, read_train_summary, train_grpo

    out_dir = Path(out_dir)
    cfg, train = constitution_config(config), config.train
    budget = check_constitution_study(config)
    final = out_dir / FINAL_DIR
    if (out_dir / SUMMARY_FILE).is_file() and (final / "config.json").is_file():
        return final  # finished: keep its summary (judge error counts) and skip loading the judge
    n_rows = train.steps * train.prompts_per_step
    if len(rows) != n_rows:
        raise ConfigError(f"the arm's mix has {len(rows)} rows but train.steps × prompts_per_step is {n_rows}; "
                          "rebuild the mix (remove arms/<arm>/mix.jsonl) after changing `train:`")
    seed = config.seed if arm.seed is None else arm.seed
    start_model, sl_counts = config.model, None
    if cfg.sft_steps:
        sl_dir = out_dir / SL_DIR
        start_model = str(run_sl_stage(config.model, rows, train, cfg, sl_dir, seed, critic=critic))
        sl_counts = read_json(sl_dir / "sl_summary.json")
    rl_train = constitution_rl_train(train, cfg.sft_steps)
    rl_rows = rows[cfg.sft_steps * train.prompts_per_step:]
    funcs = reward_funcs if reward_funcs is not None else constitution_reward_funcs(config.model, cfg)
    final = train_grpo(start_model, rl_rows, funcs, rl_train, out_dir, seed=seed, resume=resume)
    rl_tokens = read_train_summary(out_dir).get("generated_tokens", 0)
    sl_tokens = sl_counts["generated_tokens"]["total"] if sl_counts else 0
    write_json_atomic(out_dir / SUMMARY_FILE, {
        "config": cfg.model_dump(mode="json"), "budget": budget, "sl_plan": sl_plan(train, cfg), "sl": sl_counts,
        "rl_steps": rl_train.steps,
        "generated_tokens": {"sl": sl_tokens, "rl": rl_tokens, "total": sl_tokens + rl_tokens,
                             "budget": budget["max_generated_tokens"]},
        "judge_errors": sum(getattr(f, "n_judge_errors", 0) for f in funcs)})
    return final
