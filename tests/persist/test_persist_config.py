"""PersistConfig: presets fill only missing keys, typos name the key, step grids are checked."""

import pytest

from traitrl._util.errors import ConfigError
from traitrl.persist.config import PersistConfig, load_persist_config


def test_quick_defaults_are_small():
    cfg = PersistConfig()
    assert (cfg.max_new_tokens, cfg.jailbreak.n_behaviors, len(cfg.jailbreak.families)) == (48, 10, 3)
    assert cfg.harmful_ft.steps == [0, 10, 25]
    assert (cfg.red_team.budget_queries, cfg.red_team.n_behaviors) == (3, 5)


def test_paper_preset_keeps_explicit_keys():
    cfg = load_persist_config({"preset": "paper", "max_new_tokens": 64, "harmful_ft": {"n_examples": 7}})
    assert cfg.max_new_tokens == 64
    assert cfg.harmful_ft.n_examples == 7
    assert cfg.harmful_ft.steps == [0, 10, 25, 50, 100]
    assert len(cfg.jailbreak.families) == 8 and len(cfg.jailbreak.jbb_attacks) == 4


def test_unknown_key_names_it():
    with pytest.raises(ConfigError, match="jailbreak.familes"):
        load_persist_config({"jailbreak": {"familes": ["roleplay"]}})


@pytest.mark.parametrize("steps", [[10, 25], [0, 25, 10], [0, 10, 10]])
def test_bad_step_grid_rejected(steps):
    with pytest.raises(ConfigError, match="harmful_ft"):
        load_persist_config({"harmful_ft": {"steps": steps}})


def test_endpoint_attacker_needs_endpoint():
    with pytest.raises(ConfigError, match="endpoint"):
        load_persist_config({"red_team": {"attacker": "endpoint"}})
