import json
import re
from importlib import resources

import jsonschema
import pytest
from synthetic_runs import write_benchmark, write_study
from typer.testing import CliRunner

from traitrl._util.errors import DataError
from traitrl.cli.main import cli
from traitrl.report import report_schema, write_report
from traitrl.stats import compare_runs


def committed_schema() -> dict:
    return json.loads(resources.files("traitrl.report").joinpath("report.schema.json").read_text("utf-8"))


def test_committed_schema_is_current():
    # Regenerate with: python -c "import json,traitrl.report as r; print(json.dumps(r.report_schema(), indent=2))"
    assert committed_schema() == report_schema()


def test_full_report(tmp_path, study_comparison, persistence_and_methods):
    paths = write_report(study_comparison, tmp_path, sections=persistence_and_methods)
    assert sorted(paths) == ["html", "json", "md"] and all(p.parent == tmp_path for p in paths.values())
    doc = json.loads(paths["json"].read_text())
    jsonschema.validate(doc, committed_schema())
    assert doc["headline"] == study_comparison.headline
    assert [f["id"] for f in doc["figures"]] == ["forest", "categories", "dose_response", "transfer_matrix",
                                                 "persistence", "methods"]
    assert [p["dose_frac"] for p in doc["sections"]["dose_response"]["points"]] == [0.05, 0.10]
    html = paths["html"].read_text()
    # Self-contained: every image is inline, nothing is fetched.
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == len(doc["figures"])
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    headline_at, forest_at, table_at = (html.index(study_comparison.headline.split(";")[0]),
                                        html.index('alt="Δ per benchmark"'), html.index('class="sortable"'))
    assert headline_at < forest_at < table_at
    for heading in ("Dose–response", "Domain transfer", "Persistence", "Method side-by-side", "Pressure drops"):
        assert f"{heading}</h" in html
    md = paths["md"].read_text()
    assert study_comparison.headline in md
    n_rows = sum(len(a.deltas) for a in study_comparison.arms)
    assert len([line for line in md.splitlines() if re.match(r"\| trait\w* \| \w+ \| bench", line)]) == n_rows
    assert "## Per category" in md


def test_optional_sections_absent_without_inputs(tmp_path):
    write_benchmark(tmp_path / "ref", "b", [1, 0] * 50)
    write_benchmark(tmp_path / "arm", "b", [1, 1] * 50)
    paths = write_report(compare_runs(tmp_path / "ref", {"arm": [tmp_path / "arm"]}, n_boot=200), tmp_path / "out")
    doc = json.loads(paths["json"].read_text())
    assert doc["sections"] == {"compute": None, "extra": {}, "dose_response": None, "transfer_matrix": None,
                               "persistence": None, "methods": None, "heldout_traits": None,
                               "heldout_trait_replies": None, "refusal_tradeoff": None,
                               "persona_persistence": None, "attack_sweep": None}
    html = paths["html"].read_text()
    assert "Dose–response" not in html and "Persistence" not in html
    assert html.count("<img ") == 2


def test_malformed_section_is_one_clear_error(tmp_path, study_comparison, persistence_and_methods):
    bad = persistence_and_methods["methods"]
    bad["rows"][0]["winner"] = "constitutional"
    with pytest.raises(DataError, match="not in methods"):
        write_report(study_comparison, tmp_path, sections={"methods": bad})
    assert not (tmp_path / "report.html").exists()


def test_cli_compare_study_dir(tmp_path):
    write_study(tmp_path / "run", n_benchmarks=4, n_items=100, n_seeds=2)
    result = CliRunner().invoke(cli, ["compare", str(tmp_path / "run"), "--out", str(tmp_path / "out"),
                                      "--n-boot", "200", "--n-perm", "199"])
    assert result.exit_code == 0, result.output
    assert "Primary endpoint (pre-registered" in result.output and "improved on" not in result.output
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert doc["comparison"]["reference_name"] == "baseline"
    assert [len(a["runs"]) for a in doc["comparison"]["arms"]] == [2]


def test_persistence_plot_draws_a_rate_of_one_whose_wilson_bound_rounds_below_it():
    from traitrl.report.plots import persistence_plot
    from traitrl.report.sections import AttackFamilyASR, ErosionCurve, ErosionPoint, PersistenceSection

    # The constitution_vs_traits run hit this: ASR 1.0 with a Wilson upper bound of 0.9999999999999999.
    curve = ErosionCurve(model="a", points=[ErosionPoint(step=0, trait_score=0.5, asr=1.0, asr_ci_low=0.6,
                                                         asr_ci_high=0.9999999999999999)])
    section = PersistenceSection(trait_metric="trait score", curves=[curve], attack_asr=[
        AttackFamilyASR(model="a", family="roleplay", asr=1.0, ci_low=0.72, ci_high=0.9999999999999999, n_attacks=10)])
    assert persistence_plot(section).startswith(b"\x89PNG")


def test_registered_section_is_validated_stored_and_rendered(tmp_path, study_comparison, monkeypatch):
    from html import escape

    from pydantic import BaseModel, ConfigDict

    from traitrl.report import SectionSpec, register_section
    from traitrl.report import registry

    class Style(BaseModel):
        model_config = ConfigDict(extra="forbid")
        mean_length_delta: float

    monkeypatch.setattr(registry, "SECTIONS", {})
    register_section(SectionSpec("style_covariates", "Style <covariates>", Style,
                                 html=lambda s: f"<p>{escape(f'length Δ {s.mean_length_delta:+.1f}')}</p>",
                                 markdown=lambda s: [f"length Δ {s.mean_length_delta:+.1f}"]))
    with pytest.raises(ValueError, match="registered twice or is a built-in"):
        register_section(SectionSpec("compute", "x", Style, html=str, markdown=list))
    paths = write_report(study_comparison, tmp_path, sections={"style_covariates": {"mean_length_delta": 12.5}})
    doc = json.loads(paths["json"].read_text())
    assert doc["sections"]["extra"] == {"style_covariates": {"mean_length_delta": 12.5}}
    jsonschema.validate(doc, committed_schema())
    assert "<h2>Style &lt;covariates&gt;</h2><p>length Δ +12.5</p>" in paths["html"].read_text().replace("\n", "")
    assert "## Style <covariates>\n\nlength Δ +12.5" in paths["md"].read_text()
    with pytest.raises(DataError, match="malformed"):
        write_report(study_comparison, tmp_path / "bad", sections={"style_covariates": {"mean_length": 1}})
