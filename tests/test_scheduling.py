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


class _RecordingRay:
    """Stands in for `ray`: records what is submitted, in order, and runs nothing."""

    def __init__(self):
        self.submitted, self.awaited = [], []

    def init(self, **_):
        pass

    def remote(self, **_):
        recorder = self

        class Task:
            def __init__(self, fn, options=None):
                self.fn, self.opts = fn, options or {}

            def options(self, **options):
                return Task(self.fn, options)

            def remote(self, *args):
                ref = (self.fn.__name__, args[1] if self.fn.__name__ != "eval_base_stage" else "base", self.opts)
                recorder.submitted.append(ref)
                return ref

        return lambda fn: Task(fn)

    def get(self, refs):
        self.awaited.append(list(refs))
        return [f"/models/{ref[1]}" for ref in refs]


def test_under_ray_the_base_evaluation_is_a_task_submitted_before_the_trainings_not_run_first(monkeypatch, tmp_path):
    # Before: the driver evaluated the base model while every training waited (~0.4 h of one idle core per study).
    import sys

    from traitrl import study
    from traitrl.config import StudyConfig

    config = StudyConfig.model_validate({
        "name": "mini", "model": "smollm2-135m-instruct", "seeds": [0], "reference_arm": "baseline",
        "arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.25}], "eval": {"include_base": True}})
    fake = _RecordingRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setattr(study, "evaluate", lambda *a, **k: pytest.fail("the driver evaluated a model itself"))
    models = study.run_arms(config, tmp_path, True, None, True, TaskMemory(eval=2.0), None)
    assert [(fn, run) for fn, run, _ in fake.submitted] == [
        ("eval_base_stage", "base"), ("train_arm_stage", "baseline-s0"), ("train_arm_stage", "trait-s0"),
        ("eval_arm_stage", "baseline-s0"), ("eval_arm_stage", "trait-s0")]
    assert fake.submitted[0][2] == {"memory": 2 * 2**30}  # the base evaluation reserves what an evaluation does
    assert any(("eval_base_stage", "base", fake.submitted[0][2]) in refs for refs in fake.awaited)  # and is awaited
    assert models == {"baseline-s0": "/models/baseline-s0", "trait-s0": "/models/trait-s0"}
