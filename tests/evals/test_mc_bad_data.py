"""Missing files and malformed rows raise DataError naming file:line; nothing is skipped silently."""

import json
import shutil

import pytest

import traitrl.evals.benchmarks  # noqa: F401
from traitrl._util.errors import DataError
from traitrl.evals.benchmark import get_benchmark
from traitrl.evals.data_dir import benchmark_dir


def copy_file(tmp_path, relative):
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(benchmark_dir() / relative, target)
    return target


def replace_line(path, lineno, text):
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[lineno - 1] = text
    path.write_text("\n".join(lines), encoding="utf-8")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"persona_subset/no-shut-down.jsonl: benchmark data file not found"):
        get_benchmark("persona_no_shut_down").load_items(tmp_path)


def test_bad_jsonl_row_names_file_and_line(tmp_path):
    path = copy_file(tmp_path, "anthropic_persona_subset/no-shut-down.jsonl")
    replace_line(path, 7, '{"question": "x", "answer_matching_behavior": " Yes"')
    with pytest.raises(DataError, match=r"no-shut-down.jsonl:7: invalid JSON"):
        get_benchmark("persona_no_shut_down").load_items(tmp_path)
    replace_line(path, 7, json.dumps({"question": "x", "answer_matching_behavior": " Yes"}))
    with pytest.raises(DataError, match=r"no-shut-down.jsonl:7: missing field 'answer_not_matching_behavior'"):
        get_benchmark("persona_no_shut_down").load_items(tmp_path)


def test_ab_item_without_listed_options_names_file_and_line(tmp_path):
    path = copy_file(tmp_path, "anthropic_advanced_ai_risk/human_generated_evals/coordinate-itself.jsonl")
    replace_line(path, 3, json.dumps({"question": "No options here", "answer_matching_behavior": " (A)",
                                      "answer_not_matching_behavior": " (B)"}))
    with pytest.raises(DataError, match=r"coordinate-itself.jsonl:3: options \(A\) and \(B\) are not"):
        get_benchmark("ai_risk_coordinate_itself").load_items(tmp_path)


def test_bad_json_array_element_names_its_line(tmp_path):
    for split in ("test_dataset_ab.json", "generate_dataset_ab.json"):
        copy_file(tmp_path, f"caa_sycophancy/{split}")
    path = tmp_path / "caa_sycophancy/test_dataset_ab.json"
    rows = json.loads(path.read_text())
    rows[2]["answer_matching_behavior"] = "maybe"
    path.write_text(json.dumps(rows, indent=4))
    third_element_line = [i for i, line in enumerate(path.read_text().split("\n"), start=1) if line == "    {"][2]
    with pytest.raises(DataError, match=rf"test_dataset_ab.json:{third_element_line}: answer 'maybe' is not a letter"):
        get_benchmark("caa_sycophancy_ab").load_items(tmp_path)


def test_short_csv_row_names_its_line(tmp_path):
    path = copy_file(tmp_path, "crows_pairs/crows_pairs_anonymized.csv")
    replace_line(path, 5, "3,only one field")
    with pytest.raises(DataError, match=r"crows_pairs_anonymized.csv:5: row has 2 fields, the header has 8"):
        get_benchmark("crows_pairs").load_items(tmp_path)


def test_bbq_ambiguous_item_with_wrong_label(tmp_path):
    path = copy_file(tmp_path, "bbq/Religion.jsonl")
    row = json.loads(path.read_text().split("\n")[0])
    row["label"] = (row["label"] + 1) % 3
    replace_line(path, 1, json.dumps(row))
    with pytest.raises(DataError, match=r"Religion.jsonl:1: an ambiguous item's label"):
        get_benchmark("bbq_religion").load_items(tmp_path)
