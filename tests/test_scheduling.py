"""Ray memory reservations: parsing, matching and the checks made before any work (traitrl.scheduling)."""

import re

import pytest

from traitrl._util.errors import ConfigError
from traitrl.scheduling import TaskMemory, parse_train_memory

RUNS = ["baseline-s0", "trait-s0", "helpfulness-s0"]


def test_the_first_matching_pattern_applies_and_unmatched_runs_reserve_nothing():
    memory = TaskMemory(train=parse_train_memory(["trait-*=14.5", "*-s0=9", "trait-s0=1"]), eval=3)
    assert memory.train_gib("trait-s0") == 14.5
    assert memory.train_gib("baseline-s0") == 9
    assert memory.train_gib("baseline-s1") is None
    assert memory.options(memory.train_gib("trait-s0")) == {"memory": int(14.5 * 2**30)}
    assert memory.options(None) == {}
    memory.check(RUNS, node_gib=20)


@pytest.mark.parametrize("value", ["trait-*", "=9", "trait-*=lots", ""])
def test_a_malformed_reservation_is_refused_naming_it(value):
    with pytest.raises(ConfigError, match=re.escape(f"--train-memory {value!r}: expected PATTERN=GIB")):
        parse_train_memory([value])


def test_typos_impossible_sizes_and_non_positive_reservations_are_refused():
    with pytest.raises(ConfigError, match="'triat-\\*' matches no run of this study \\(baseline-s0, trait-s0"):
        TaskMemory(train=[("triat-*", 9)]).check(RUNS, node_gib=20)
    with pytest.raises(ConfigError, match="training of trait-s0 reserves 30 GiB, more than .* \\(20.0 GiB\\)"):
        TaskMemory(train=[("trait-*", 30)]).check(RUNS, node_gib=20)
    with pytest.raises(ConfigError, match="every evaluation reserves 25 GiB"):
        TaskMemory(eval=25).check(RUNS, node_gib=20)
    with pytest.raises(ConfigError, match="must be positive"):
        TaskMemory(train=[("*", 0)]).check(RUNS, node_gib=20)
    TaskMemory(train=[("trait-*", 30)]).check(RUNS, node_gib=None)  # a cluster's nodes are not known here
