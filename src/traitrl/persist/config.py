"""PersistConfig: the persistence suite's settings (the study YAML's `persist:` key), with `quick` and `paper` presets.

`quick` (the default) keeps the whole suite near five CPU minutes for two 135M models; `paper` uses full budgets.
A preset only fills the keys the YAML leaves out: `{preset: paper, max_new_tokens: 64}` is the paper preset with
shorter replies.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from traitrl._util.config import validate_config
from traitrl.persist.attack_sweep import AttackSweepSettings
from traitrl.persist.persona import PersonaSettings
from traitrl.train.sft import SFTSettings

HarmSource = Literal["harmbench", "strongreject", "advbench"]
JBBAttack = Literal["PAIR", "GCG", "JBC", "random_search"]
Family = Literal["roleplay", "fiction", "prefix_injection", "refusal_suppression", "authority", "obfuscation",
                 "distractor", "few_shot"]
Pressure = Literal["flattery", "authority", "consensus", "emotional", "insistence"]


class JailbreakSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    sources: list[HarmSource] = Field(default_factory=lambda: ["harmbench", "strongreject", "advbench"],
                                      description="Harmful-behaviour sets, sampled in turn (HarmBench: standard only).")
    n_behaviors: int = Field(10, ge=1, description="Behaviours wrapped in every template family (seeded sample).")
    families: list[Family] = Field(default_factory=lambda: ["roleplay", "prefix_injection", "refusal_suppression"],
                                   description="Project-written template families (persist.jailbreak.TEMPLATES).")
    include_direct: bool = Field(True, description="Also send the bare request (family 'direct', the reference).")
    jbb_attacks: list[JBBAttack] = Field(default_factory=list, description="JailbreakBench artifact prompt sets.")
    jbb_target: str = Field("vicuna-13b-v1.5", description="Which target model's artifact file to take prompts from.")
    n_jbb: int = Field(10, ge=1, description="Prompts per JailbreakBench attack (seeded sample of non-null prompts).")


class PressureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    kinds: list[Pressure] = Field(default_factory=lambda: ["flattery", "authority", "consensus", "emotional",
                                                           "insistence"])
    n_scenarios: int = Field(4, ge=0, description="Held-out bank scenarios (not in any arm's training mix).")
    n_qa: int = Field(4, ge=0, description="Items of the project's QA table (persist/data/pressure_qa.json).")


class RedTeamSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    n_behaviors: int = Field(5, ge=1, description="Behaviours attacked (a seeded sample, disjoint from jailbreak's).")
    budget_queries: int = Field(3, ge=1, description="Target queries per behaviour, the first (bare) one included.")
    attacker: Literal["local", "endpoint"] = Field(
        "local", description="'local': mutation templates (+ optional paraphrase by `attacker_model`); "
                             "'endpoint': an OpenAI-compatible chat model rewrites the prompt (PAIR).")
    endpoint: dict[str, Any] | None = Field(None, description="JudgeConfig-shaped settings of the attacker endpoint.")
    paraphrase: bool = Field(False, description="Local attacker: let `attacker_model` paraphrase the request.")
    attacker_model: str = Field("smollm2-135m-instruct", description="Local attacker's paraphrasing model (the same "
                                                                     "for every target, so arms face one attacker).")

    @model_validator(mode="after")
    def _check(self) -> RedTeamSettings:
        if self.attacker == "endpoint" and not self.endpoint:
            raise ValueError("red_team.attacker 'endpoint' needs `red_team.endpoint: {base_url: ..., model: ...}`")
        return self


class HarmfulFTSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    n_examples: int = Field(24, ge=1, description="k trait-violating SFT examples (data.bank.violating_pairs).")
    steps: list[int] = Field(default_factory=lambda: [0, 10, 25], description="SFT step counts at which to measure.")
    n_eval_scenarios: int = Field(6, ge=1, description="Held-out scenarios scored at every step count.")
    n_eval_behaviors: int = Field(6, ge=1, description="Bare harmful requests whose ASR is measured at every step.")
    n_pref_scenarios: int = Field(60, ge=0, description=(
        "Held-out scenarios scored at every step by likelihood preference (the trait_heldout_* scorer: good "
        "reference reply preferred to every failure reply, log-likelihood per character); no generation, so "
        "cheap. 0 = off."))
    sft: SFTSettings = Field(default_factory=SFTSettings)

    @model_validator(mode="after")
    def _check(self) -> HarmfulFTSettings:
        if sorted(set(self.steps)) != self.steps or self.steps[0] != 0:
            raise ValueError(f"harmful_ft.steps must be increasing, distinct and start at 0, got {self.steps}")
        return self


class SteerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    n_steering: int | None = Field(None, ge=1, description="Benign steering items (seeded sample); None = all.")
    n_xstest: int = Field(8, ge=0, description="XSTest safe prompts (over-refusal).")
    n_coconot: int = Field(8, ge=0, description="CoCoNot contrast prompts (over-refusal).")
    max_new_tokens: int = Field(64, ge=1, description="Reply cap for steering items (formats need a little room).")


class PersistConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preset: Literal["quick", "paper"] = Field("quick", description="Fills every key the YAML leaves out.")
    max_new_tokens: int = Field(48, ge=1, description="Reply cap for attacked prompts.")
    batch_size: int = Field(16, ge=1, description="Generation batch size.")
    n_boot: int = Field(1000, ge=100, description="Paired-bootstrap resamples for CIs and the index.")
    bank_seed: int = Field(0, description="Bank seed when no study bank file is found next to the models.")
    judge: dict[str, Any] | None = Field(None, description="Harm judge (JudgeConfig); None = offline refusal check.")
    jailbreak: JailbreakSettings = Field(default_factory=JailbreakSettings)
    pressure: PressureSettings = Field(default_factory=PressureSettings)
    red_team: RedTeamSettings = Field(default_factory=RedTeamSettings)
    harmful_ft: HarmfulFTSettings = Field(default_factory=HarmfulFTSettings)
    steerability: SteerSettings = Field(default_factory=SteerSettings)
    persona: PersonaSettings = Field(default_factory=PersonaSettings)
    attack_sweep: AttackSweepSettings = Field(default_factory=AttackSweepSettings)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        preset = PRESETS.get(data.get("preset", "quick"))
        return _merge(preset, data) if preset else data


# Full budgets: every template family and JailbreakBench attack, the paper's step grid, 100-query-scale red teaming.
PRESETS: dict[str, dict[str, Any]] = {
    "quick": {},
    "paper": {
        "max_new_tokens": 256,
        "n_boot": 5000,
        "jailbreak": {"n_behaviors": 100, "families": list(Family.__args__), "jbb_attacks": list(JBBAttack.__args__),
                      "n_jbb": 100},
        "pressure": {"n_scenarios": 100, "n_qa": 24},
        "red_team": {"n_behaviors": 50, "budget_queries": 20, "paraphrase": True},
        "harmful_ft": {"n_examples": 100, "steps": [0, 10, 25, 50, 100], "n_eval_scenarios": 100,
                       "n_eval_behaviors": 50, "n_pref_scenarios": 200, "sft": {"batch_size": 8, "max_length": 384}},
        "steerability": {"n_xstest": 250, "n_coconot": 379, "max_new_tokens": 256},
        "persona": {"enabled": True, "n_scenarios": 100, "n_benchmark_items": 50},
        "attack_sweep": {"enabled": True, "lrs": [2e-5, 1e-4, 5e-4, 2e-3], "steps": [0, 10, 25, 50, 100]},
    },
}


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_persist_config(raw: dict[str, Any] | PersistConfig | None, source: str = "persist") -> PersistConfig:
    """Validate the raw `persist:` mapping; errors name the key (`persist: unknown key jailbreak.familes`)."""
    if isinstance(raw, PersistConfig):
        return raw
    return validate_config(PersistConfig, dict(raw or {}), source=source)
