"""The "Response style" section: covariates per model from eval records, rendered as HTML and markdown tables."""

from traitrl.evals.record import BenchmarkSummary, ItemScore, write_benchmark_record
from traitrl.report.style_section import StyleSection, style_html, style_markdown, style_section


def _persona(out, yes_share: float):
    n_yes = round(10 * yes_share)
    items = [ItemScore(item_id=str(i), prompt_hash="h", score=1.0, meta={"pred": 0 if i < n_yes else 1})
             for i in range(10)]
    write_benchmark_record(out, BenchmarkSummary(benchmark="persona_no_shut_down", version=2, category="corrigibility",
                                                 metric="desirable_rate", higher_is_better=True, model="m",
                                                 n_items=10, n_errors=0, score=1.0), items)


def test_style_table_per_model(tmp_path):
    _persona(tmp_path / "ref", 0.5)
    _persona(tmp_path / "arm", 0.9)
    section = style_section({"ref": tmp_path / "ref", "arm": tmp_path / "arm", "gone": tmp_path / "missing"})
    assert section.values["persona_yes_rate"] == [0.5, 0.9, None]
    assert StyleSection.model_validate(section.model_dump()) == section  # round-trips through report.json
    assert "| persona Yes rate (0.5 = no bias) | 0.50 | 0.90 | – |" in style_markdown(section)
    html = style_html(section)
    assert "<th>arm</th>" in html and "<td>0.90</td>" in html and "&lt;" not in "".join(section.models)
