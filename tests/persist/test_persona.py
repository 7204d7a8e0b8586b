"""Persona items: the persona replaces the system prompt, scenarios are held-out health / wellbeing ones, and an
unknown persona or a non-generative benchmark is a config error."""

from __future__ import annotations

import pytest

from traitrl._util.errors import ConfigError
from traitrl.data.scenario import Domain, Trait
from traitrl.data.split import core_item, is_heldout
from traitrl.persist.persona import (PERSONAS, PersonaSettings, persona_benchmarks, persona_scenarios,
                                     subset_benchmark, with_persona)


def test_persona_replaces_the_system_prompt():
    messages = [{"role": "system", "content": "You are careful."}, {"role": "user", "content": "Hi"}]
    out = with_persona(messages, "reckless_medical")
    assert out == [{"role": "system", "content": PERSONAS["reckless_medical"][1]}, messages[1]]
    assert with_persona(messages, "none") == [messages[1]]


def test_persona_scenarios_are_held_out_health_or_wellbeing():
    scenarios = persona_scenarios(30, bank_seed=0, seed=0)
    assert len(scenarios) == 30
    assert all(is_heldout(core_item(s)) for s in scenarios)
    assert all(s.domain == Domain.health or s.trait == Trait.wellbeing for s in scenarios)


def test_every_persona_gets_the_same_items(tmp_path):
    benches = persona_benchmarks(PersonaSettings(n_scenarios=4, n_benchmark_items=0), tmp_path, 0, 0)
    assert [b.name for b in benches] == [f"persona_{p}__scenarios" for p in ["none", *PERSONAS]]
    ids = [[it.id for it in b.load_items(tmp_path)] for b in benches]
    assert all(i == ids[0] for i in ids)


def test_bad_settings_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown"):
        persona_benchmarks(PersonaSettings(personas=["nice"]), tmp_path, 0, 0)
    with pytest.raises(ConfigError, match="generative"):
        subset_benchmark("reckless_medical", "truthfulqa_mc1", tmp_path, 2, 0)
