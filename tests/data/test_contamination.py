"""13-gram contamination guard: planted overlaps are found with file and line; near misses are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from traitrl._util.errors import DataError
from traitrl.data.bank import build_bank
from traitrl.data.contamination import check_contamination
from traitrl.data.scenario import Rubric, Scenario, Turn
from traitrl.evals.data_dir import benchmark_dir

SENTENCE = "the quick brown fox jumps over the lazy dog while seven tired engineers quietly watch from the bridge"


def make_scenario(text: str) -> Scenario:
    return Scenario(id="s1", trait="honesty", domain="science", turns=[Turn(role="user", content=text)],
                    rubric=Rubric(criteria=[{"description": "d", "weight": 1.0}], good_response="A fine answer.",
                                  failure_responses=["A bad answer."]),
                    source="handwritten")


def write_data(tmp_path, name: str, text: str):
    path = tmp_path / "bench" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path / "bench"


def test_planted_overlap_is_reported_with_file_and_line(tmp_path):
    words = SENTENCE.split()
    data_dir = write_data(tmp_path, "sub/items.jsonl", '{"q": "unrelated"}\n{"q": "also unrelated"}\n'
                          f'{{"q": "{" ".join(words[2:15]).upper()}!"}}\n')
    hits = check_contamination([make_scenario(SENTENCE)], data_dir)
    assert [(h["file"], h["line"], h["scenario_id"], h["n_shared_ngrams"]) for h in hits] == [
        ("sub/items.jsonl", 3, "s1", 1)]


def test_twelve_shared_words_are_not_a_hit(tmp_path):
    data_dir = write_data(tmp_path, "a.csv", " ".join(SENTENCE.split()[:12]) + "\n")
    assert check_contamination([make_scenario(SENTENCE)], data_dir) == []


def test_ngram_spanning_lines_is_reported_where_it_starts(tmp_path):
    words = SENTENCE.split()
    data_dir = write_data(tmp_path, "b.txt", "header\n" + " ".join(words[:6]) + ",\n" + " ".join(words[6:13]) + "\n")
    hits = check_contamination([make_scenario(SENTENCE)], data_dir)
    assert [(h["file"], h["line"]) for h in hits] == [("b.txt", 2)]


def test_reference_responses_are_checked_too(tmp_path):
    scenario = make_scenario("a short question")
    scenario.rubric.failure_responses.append(SENTENCE)
    assert len(check_contamination([scenario], write_data(tmp_path, "c.json", f'["{SENTENCE}"]'))) == 1


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        check_contamination([make_scenario(SENTENCE)], tmp_path / "nope")


def data_dir_or_skip():
    try:
        return benchmark_dir()
    except DataError:
        pytest.skip("benchmark data folder not present")


def test_shipped_bank_shares_no_13gram_with_any_benchmark():
    assert check_contamination(build_bank(seed=0), data_dir_or_skip()) == []


# --- all training text vs all eval text (data.overlap) ---------------------------------------------------------

def _eval_files():
    """Every eval text file but the shared benchmark folder (that one is checked in the slow test)."""
    from traitrl.cli.data import eval_text_files

    return eval_text_files(Path("unused"))[1:]


def test_exact_and_reworded_duplicates_are_found_with_file_and_item(tmp_path):
    from traitrl.data.overlap import Unit, eval_units, find_overlaps

    table = tmp_path / "facts.jsonl"
    table.write_text('{"question": "Which planet is closest to the Sun?", "answers": ["Mercury"]}\n'
                     '{"question": "What is the freezing point of water in degrees Celsius?", "answers": ["0"]}\n'
                     '{"question": "How many planets are there in our solar system?", "answers": ["8"]}\n'
                     '{"question": "What is the boiling point of water in degrees Fahrenheit?", "answers": ["212"]}\n')
    training = [Unit("pool:1", "Which planet is closest to the Sun?", "Mercury"),
                Unit("pool:2", "At what temperature in degrees Celsius does pure water freeze?", "zero"),
                Unit("pool:3", "What is the largest planet in the Solar System?", "Jupiter"),
                Unit("pool:4", "What is the freezing point of water in degrees Fahrenheit?", "32")]
    hits = find_overlaps(training, eval_units([(table, "facts.jsonl")]))
    assert [(h["kind"], h["eval"], h["training"]) for h in hits] == [
        ("exact", "facts.jsonl:1", "pool:1"),
        ("near", "facts.jsonl:2", "pool:2")]  # reworded, same answer ("zero" = "0")
    # not flagged: another fact about planets, and the same template asking for another fact (212 vs 32)


def test_a_long_shared_passage_is_an_exact_duplicate(tmp_path):
    from traitrl.data.overlap import Unit, eval_units, find_overlaps

    data = tmp_path / "bench.csv"
    data.write_text("id,text\n1,unrelated words here\n2," + SENTENCE.upper() + " and more\n")
    hits = find_overlaps([Unit("bank:s1", "Intro. " + SENTENCE)], eval_units([(data, "bench.csv")]))
    assert [(h["kind"], h["eval"]) for h in hits] == [("exact", "bench.csv:3")]


def test_training_text_has_no_duplicate_in_packaged_eval_tables_or_persistence_data():
    from traitrl.data.overlap import eval_units, find_overlaps, training_units
    from traitrl.rewards.constitution import DEFAULT_CONSTITUTION

    hits = find_overlaps(training_units(build_bank(seed=0), DEFAULT_CONSTITUTION), eval_units(_eval_files()))
    assert [(h["eval"], h["training"]) for h in hits] == []


@pytest.mark.slow
def test_training_text_has_no_duplicate_in_any_benchmark_file():
    from traitrl.data.overlap import eval_units, find_overlaps, training_units
    from traitrl.rewards.constitution import DEFAULT_CONSTITUTION

    hits = find_overlaps(training_units(build_bank(seed=0), DEFAULT_CONSTITUTION),
                         eval_units([(data_dir_or_skip(), "benchmarks")]))
    assert [(h["kind"], h["eval"], h["training"]) for h in hits] == []


def test_cli_all_reports_counts_with_file_and_item_and_fails_on_a_hit(tmp_path):
    import json

    from typer.testing import CliRunner

    from traitrl.cli.data import app
    from traitrl.data.tasks import read_facts

    bank = tmp_path / "bank.jsonl"
    runner = CliRunner()
    assert runner.invoke(app, ["build", "--out", str(bank), "--domains", "health"]).exit_code == 0
    pool_question = read_facts()[0][0]  # a question of the regular task pool, planted in a benchmark file
    bench = write_data(tmp_path, "qa/items.jsonl", '{"question": "Name a colour of the rainbow."}\n'
                                                   f'{{"question": "{pool_question}"}}\n')
    result = runner.invoke(app, ["check-contamination", str(bank), "--all", "--json", "--data-dir", str(bench)])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and (report["n_exact"], report["n_near"]) == (1, 0)
    [hit] = report["hits"]
    assert (hit["eval"], hit["training"]) == ("benchmarks/qa/items.jsonl:2", "data/tables/facts.json:0")
