"""Graders → rewards: programmatic rubric checks, reference-embedding similarity and a rubric LLM judge, combined per
trait into TRL reward functions (`trait_reward`), plus their validation on a hand-labeled set."""

from traitrl._util.judge import JudgeConfig, JudgeResult, assert_distinct_judges
from traitrl.rewards.combine import (
    TRAIT_WEIGHTS,
    counterfactual_consistency,
    length_factor,
    reference_similarity,
    rubric_checks,
    rubric_judge,
    score_responses,
    score_scenario_response,
    trait_reward,
)
from traitrl.rewards.constitution import constitution_reward, read_constitution
from traitrl.rewards import behaviour  # noqa: F401  registers the behaviour checks
from traitrl.rewards.embedding import EmbeddingScorer
from traitrl.rewards.programmatic import CHECKS, chosen_option, run_check, score_consistency, score_rubric
from traitrl.rewards.registry import Grader, get_grader, grader, list_graders, text_of
from traitrl.rewards.rubric import build_judge_messages, judge_responses
from traitrl.rewards.tasks import task_reward
from traitrl.rewards.validate import read_validation_set, validate_graders

__all__ = [
    "CHECKS", "TRAIT_WEIGHTS", "EmbeddingScorer", "Grader", "JudgeConfig", "JudgeResult", "assert_distinct_judges",
    "build_judge_messages", "chosen_option", "constitution_reward", "counterfactual_consistency", "get_grader",
    "grader", "judge_responses", "read_constitution",
    "length_factor", "list_graders", "read_validation_set", "reference_similarity", "rubric_checks", "rubric_judge",
    "run_check", "score_consistency", "score_responses", "score_rubric", "score_scenario_response", "task_reward",
    "text_of", "trait_reward", "validate_graders",
]
