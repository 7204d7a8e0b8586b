"""`traitrl evals list` and `traitrl eval` through the real CLI entry point."""

import json

from typer.testing import CliRunner

from helpers import tiny_model_dir
from traitrl.cli.main import cli
from traitrl.evals.record import read_benchmark_record


def test_evals_list_json_has_every_benchmark_spec():
    result = CliRunner().invoke(cli, ["evals", "list", "--json"])
    assert result.exit_code == 0, result.output
    specs = {s["name"]: s for s in json.loads(result.output)}
    assert specs["pubmedqa"]["labels"] == ["health"] and specs["pubmedqa"]["category"] == "health"
    assert specs["crows_pairs"]["higher_is_better"] is False
    # The held-out trait benchmarks (one per trait) are not part of the external battery's count.
    assert sum(s["format"] == "mc" and s["category"] != "trait_heldout" for s in specs.values()) == 54


def test_evals_list_table():
    result = CliRunner().invoke(cli, ["evals", "list"])
    assert result.exit_code == 0
    assert "truthfulqa_mc1" in result.output and result.output.strip().endswith("benchmarks")


def test_eval_command_writes_records(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_model_dir()), "--suite", "truthfulqa_mc1",
                                      "--limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary, items = read_benchmark_record(out, "truthfulqa_mc1")
    assert summary.n_items == 2 and len(items) == 2
    assert "truthfulqa_mc1: acc =" in result.output


def test_unknown_suite_is_one_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["eval", "--model", "x", "--suite", "truthfulqa_mc3", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "Unknown benchmark 'truthfulqa_mc3'. Did you mean" in str(result.exception)


def test_eval_device_reaches_the_weights_and_a_bad_one_is_refused_before_any_work(tmp_path):
    args = ["eval", "--model", str(tiny_model_dir()), "--suite", "truthfulqa_mc1", "--limit", "2"]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "cpu"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert read_benchmark_record(tmp_path / "cpu", "truthfulqa_mc1")[0].scorer == "mc:acc"
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "bad"), "--device", "gpu0"])
    assert result.exit_code != 0 and "device" in str(result.exception)
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").glob("*.json"))
    result = CliRunner().invoke(cli, ["eval", "--model", "openai:m", "--base-url", "http://127.0.0.1:1/v1",
                                      "--suite", "truthfulqa_mc1", "--out", str(tmp_path / "api"), "--device", "cuda"])
    assert result.exit_code != 0 and "--device is for local weights" in str(result.exception)
