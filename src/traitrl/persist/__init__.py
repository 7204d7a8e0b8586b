"""Persistence suite: jailbreak and trait-pressure attacks, PAIR-style red teaming, harmful fine-tuning, helpful
steerability, and the selective-persistence index. `run_persistence` is what the study calls."""

from traitrl.persist.config import PersistConfig, load_persist_config
from traitrl.persist.run import run_persistence

__all__ = ["PersistConfig", "load_persist_config", "run_persistence"]
