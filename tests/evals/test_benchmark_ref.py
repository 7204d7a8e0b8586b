"""A benchmark chosen by `package.module:factory` in the suite, like a registered name."""

from __future__ import annotations

import pytest

from traitrl._util.errors import ConfigError
from traitrl.evals.benchmark import Benchmark, GenItem
from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import run_benchmarks, select_benchmarks


def says_paris(item: GenItem, reply: str) -> float:
    # The last capital named is the answer: "not Paris but Lyon" must score 0.
    words = [w.strip(".,!").lower() for w in reply.split()]
    named = [w for w in words if w in ("paris", "lyon")]
    return float(bool(named) and named[-1] == "paris")


def capital_benchmark() -> Benchmark:
    return Benchmark(name="user_capital", category="capability", format="gen", metric="accuracy",
                     higher_is_better=True, source="test", license="CC0", score_response=says_paris,
                     max_new_tokens=4, load_items=lambda data: [
                         GenItem(id=str(i), messages=[{"role": "user", "content": "Capital of France?"}])
                         for i in range(2)])


def not_a_benchmark():
    return 42


def test_reference_selects_registers_and_runs(tiny_lm, tmp_path):
    ref = f"{__name__}:capital_benchmark"
    assert select_benchmarks([ref, "truthfulqa_mc1"]) == ["user_capital", "truthfulqa_mc1"]
    [summary] = run_benchmarks(tiny_lm.path, [ref], tmp_path, **tiny_lm.kwargs())
    assert summary.benchmark == "user_capital" and summary.n_items == 2
    assert len(read_benchmark_record(tmp_path, "user_capital")[1]) == 2
    assert says_paris(None, "It is Paris.") == 1.0 and says_paris(None, "Not Paris but Lyon.") == 0.0


def test_bad_reference_is_one_clear_error():
    with pytest.raises(ConfigError, match="returned int, not a Benchmark"):
        select_benchmarks(f"{__name__}:not_a_benchmark")
    with pytest.raises(ConfigError, match="cannot import"):
        select_benchmarks("no_such_module:factory")
