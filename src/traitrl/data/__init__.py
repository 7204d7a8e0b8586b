"""Trait scenarios, the regular task mix, and dose mixing."""

from traitrl.data.bank import bank_stats, build_bank, read_bank, select, violating_pairs, write_bank
from traitrl.data.contamination import check_contamination
from traitrl.data.mix import mix_dose, trait_counts_per_step
from traitrl.data.scenario import Criterion, Domain, Rubric, Scenario, Task, Trait, Turn
from traitrl.data.tasks import generate_tasks

__all__ = [
    "Criterion", "Domain", "Rubric", "Scenario", "Task", "Trait", "Turn", "bank_stats", "build_bank",
    "check_contamination", "generate_tasks", "mix_dose", "read_bank", "select", "trait_counts_per_step",
    "violating_pairs", "write_bank",
]
