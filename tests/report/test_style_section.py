"""The "Response style" section: covariates per model from eval records, shown in report.html and report.md."""

import json

from synthetic_runs import write_benchmark

from traitrl.evals.record import BenchmarkSummary, ItemScore, write_benchmark_record
from traitrl.report import write_report
from traitrl.report.style_section import style_section
from traitrl.stats import compare_runs


def _persona(out, yes_share: float):
    n_yes = round(10 * yes_share)
    items = [ItemScore(item_id=str(i), prompt_hash="h", score=1.0, meta={"pred": 0 if i < n_yes else 1})
             for i in range(10)]
    write_benchmark_record(out, BenchmarkSummary(benchmark="persona_no_shut_down", version=2, category="corrigibility",
                                                 metric="desirable_rate", higher_is_better=True, model="m",
                                                 n_items=10, n_errors=0, score=1.0), items)


def test_style_table_per_model_in_html_md_and_json(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0] * 50)
    write_benchmark(tmp_path / "arm", "b", [1, 1] * 50)
    _persona(tmp_path / "ref", 0.5)
    _persona(tmp_path / "arm", 0.9)
    section = style_section({"ref": tmp_path / "ref", "arm": tmp_path / "arm", "gone": tmp_path / "missing"})
    assert section.values["persona_yes_rate"] == [0.5, 0.9, None]
    paths = write_report(compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200), tmp_path / "out",
                         sections={"style": section.model_dump()})
    assert "<h2>Response style</h2>" in paths["html"].read_text()
    assert "| persona Yes rate (0.5 = no bias) | 0.50 | 0.90 | – |" in paths["md"].read_text()
    assert json.loads(paths["json"].read_text())["sections"]["style"]["models"] == ["ref", "arm", "gone"]
