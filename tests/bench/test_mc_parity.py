"""bench/mc_parity.py keeps a benchmark in bf16 only when its score stays within the tolerance of fp32's."""

import json

import pytest
from helpers import load_bench


@pytest.mark.parametrize(("fp32", "bf16", "keeps"), [
    (0.500, 0.505, True),   # one item in 200 either way: exactly 0.5 pp, on the bound
    (0.500, 0.495, True),
    (0.500, 0.510, False),  # two items in 200
    (0.300, 0.2949, False),
    (0.41, 0.41, True),
])
def test_parity_is_a_bound_on_the_absolute_score_difference(fp32, bf16, keeps):
    assert load_bench("mc_parity.py").keeps_parity(fp32, bf16, 0.5) is keeps


def test_only_benchmarks_with_parity_are_listed_for_bf16(tmp_path, monkeypatch, capsys):
    bench = load_bench("mc_parity.py")
    scores = {("a", "fp32"): 0.50, ("a", "bf16"): 0.505, ("b", "fp32"): 0.50, ("b", "bf16"): 0.52}

    def fake_score(args, name, precision):
        value = scores[(name, precision)]
        return {"score": value, "metric": "acc", "n_items": 200}, [value] * 3, 1.0

    monkeypatch.setattr(bench, "score", fake_score)
    rows = bench.main(["--out", str(tmp_path / "p"), "--benchmarks", "a,b"])
    assert [r["parity"] for r in rows] == [True, False]
    assert capsys.readouterr().out.strip().endswith("eval.bf16_benchmarks: [a]")
    saved = json.loads((tmp_path / "p" / "parity.json").read_text())
    assert saved["tolerance_pp"] == 0.5 and [r["benchmark"] for r in saved["rows"]] == ["a", "b"]
