"""Bank IO (file:line errors), trait/domain selection, counts, violating pairs, and the `traitrl data` commands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from traitrl._util.errors import ConfigError, DataError
from traitrl.cli.data import app
from traitrl.data.bank import (bank_stats, build_bank, read_bank, read_handwritten, select, violating_pairs,
                               write_bank)
from traitrl.data.generators import generate_all
from traitrl.data.scenario import Domain, Trait


@pytest.fixture(scope="module")
def small_bank():
    # The parametric part only: 98 scenarios, 2 per original trait × original domain cell.
    return [s for s in generate_all(seed=0, per_cell=2) if s.source == "generated"]


def test_write_then_read_round_trips(tmp_path, small_bank):
    path = write_bank(small_bank, tmp_path / "bank.jsonl")
    assert [s.model_dump() for s in read_bank(path)] == [s.model_dump() for s in small_bank]


def test_bad_row_names_file_line_and_field(tmp_path, small_bank):
    rows = [s.model_dump(mode="json") for s in small_bank[:2]]
    del rows[1]["rubric"]
    path = tmp_path / "bank.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    with pytest.raises(DataError, match=rf"{path}:2: `rubric`: Field required"):
        read_bank(path)
    path.write_text(json.dumps(rows[0]) + "\n{not json\n")
    with pytest.raises(DataError, match=rf"{path}:2: invalid JSON"):
        read_bank(path)


def test_repeated_id_names_both_lines(tmp_path, small_bank):
    row = json.dumps(small_bank[0].model_dump(mode="json"))
    path = tmp_path / "bank.jsonl"
    path.write_text(f"{row}\n\n{row}\n")
    with pytest.raises(DataError, match=r"bank.jsonl:3: .* already used on line 1"):
        read_bank(path)


def test_select_by_trait_domain_and_exclusion(small_bank):
    assert {s.domain for s in select(small_bank, domains=["health"])} == {"health"}
    kept = select(small_bank, exclude_domains=["health", "science"])
    assert len(kept) == 5 * 7 * 2 and not {s.domain for s in kept} & {"health", "science"}
    both = select(small_bank, traits=["fairness", "honesty"], domains=["law"])
    assert sorted((s.trait, s.domain) for s in both) == [("fairness", "law")] * 2 + [("honesty", "law")] * 2
    with pytest.raises(ConfigError, match="Did you mean 'science'"):
        select(small_bank, exclude_domains=["scince"])


def test_stats_count_every_cell(small_bank):
    stats = bank_stats(select(small_bank, domains=["law"]))
    assert stats["total"] == 14 and stats["by_domain"]["law"] == 14 and stats["by_domain"]["health"] == 0
    assert stats["by_trait_domain"]["wellbeing"] == {d: (2 if d == "law" else 0) for d in stats["by_domain"]}
    assert len(stats["empty_cells"]) == len(Trait) * len(Domain) - 7 and stats["min_cell"] == 0
    assert stats["by_source"] == {"generated": 14} and stats["core_items_by_trait_domain"]["wellbeing"]["law"] == 2


def test_violating_pairs_pair_messages_with_a_failure(small_bank):
    pairs = violating_pairs(small_bank[:3])
    assert [p[1] for p in pairs] == [s.rubric.failure_responses[0] for s in small_bank[:3]]
    assert pairs[0][0] == small_bank[0].messages() and pairs[0][0][-1]["role"] == "user"


def test_handwritten_files_are_valid_and_cover_every_trait():
    scenarios = read_handwritten()
    assert len(scenarios) >= 100 and {s.source for s in scenarios} == {"handwritten"}
    assert len({s.trait for s in scenarios}) == 7 and len({s.domain for s in scenarios}) == 7  # the original ones


def test_build_bank_is_deterministic():
    assert [s.id for s in build_bank(seed=3)] == [s.id for s in build_bank(seed=3)]


def test_cli_build_stats_show(tmp_path):
    runner = CliRunner()
    out = tmp_path / "health.jsonl"
    result = runner.invoke(app, ["build", "--out", str(out), "--domains", "health"])
    assert result.exit_code == 0, result.output
    scenarios = read_bank(out)
    assert len(scenarios) >= 7 * 25 and {s.domain for s in scenarios} == {"health"}
    stats = json.loads(runner.invoke(app, ["stats", str(out), "--json"]).stdout)
    assert stats["total"] == len(scenarios) and stats["by_domain"]["science"] == 0
    shown = runner.invoke(app, ["show", str(out), "--trait", "fairness", "-n", "1", "--json"])
    assert json.loads(shown.stdout)["trait"] == "fairness"


def test_cli_contamination_exits_nonzero_on_a_hit(tmp_path, small_bank):
    bank_path = write_bank(small_bank[:1], tmp_path / "bank.jsonl")
    data_dir = tmp_path / "bench"
    data_dir.mkdir()
    (data_dir / "clean.txt").write_text("nothing in common here\n")
    runner = CliRunner()
    clean = runner.invoke(app, ["check-contamination", str(bank_path), "--data-dir", str(data_dir), "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["n_hits"] == 0
    (data_dir / "leak.jsonl").write_text("x\n" + small_bank[0].turns[-1].content + "\n")
    leaked = runner.invoke(app, ["check-contamination", str(bank_path), "--data-dir", str(data_dir), "--json"])
    report = json.loads(leaked.stdout)
    assert leaked.exit_code == 1 and {(h["file"], h["line"]) for h in report["hits"]} == {("leak.jsonl", 2)}
