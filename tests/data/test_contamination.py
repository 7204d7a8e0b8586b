"""13-gram contamination guard: planted overlaps are found with file and line; near misses are not."""

from __future__ import annotations

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


def test_shipped_bank_shares_no_13gram_with_any_benchmark():
    try:
        data = benchmark_dir()
    except DataError:
        pytest.skip("benchmark data folder not present")
    assert check_contamination(build_bank(seed=0), data) == []
