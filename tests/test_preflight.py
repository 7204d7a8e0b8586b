"""Cases 9-11: every input is checked before any work, and every user error is one `error:` line with exit code 2."""

import json
import sys
from http.server import BaseHTTPRequestHandler

import pytest
import yaml
from helpers import tiny_model_dir
from loopback import LoopbackServer

import traitrl.study as study
from traitrl._util.errors import ConfigError, ModelError
from traitrl.cli.main import app
from traitrl.models.judge import JudgeConfig, check_judge

TINY = {"arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.5}], "data": {"n_tasks": 64},
        "train": {"steps": 2, "prompts_per_step": 2}, "eval": {"suite": ["truthfulqa_mc1"], "limit": 2}}


def cli(capsys, monkeypatch, *args) -> tuple[int, list[str]]:
    """Run `traitrl ARGS` in-process; return the exit code and the non-empty stderr lines."""
    monkeypatch.setattr(sys, "argv", ["traitrl", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        app()
    return exit_info.value.code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def one_error_line(capsys, monkeypatch, *args) -> str:
    code, lines = cli(capsys, monkeypatch, *args)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, lines)
    return lines[0]


@pytest.fixture
def no_work(monkeypatch):
    """Stages that must not be reached when the pre-flight fails."""
    def never(*args, **kwargs):
        raise AssertionError("work started before the inputs were checked")

    for name in ("build_bank_file", "run_arms", "evaluate"):
        monkeypatch.setattr(study, name, never)


def study_yaml(tmp_path, **changes) -> str:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**TINY, "model": str(tiny_model_dir()), **changes}))
    return str(path)


# Case 9: checked only after arms had trained and been evaluated.
@pytest.mark.parametrize("changes, expected", [
    ({"persist": {"jailbreak": {"familes": ["roleplay"]}}}, r"unknown key `persist.jailbreak.familes`"),
    ({"train": {**TINY["train"], "trl_overrides": {"learning_rat": 1e-3}}},
     r"train.trl_overrides: 'learning_rat' is not a GRPOConfig field.*'learning_rate'"),
    ({"train": {**TINY["train"], "trl_overrides": {"lr_scheduler_type": "bogus"}}}, r"train.trl_overrides: TRL rejects.*bogus"),
    ({"train_judge": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "TRAITRL_NO_SUCH_KEY"}},
     r"train_judge: judge api_key_env: environment variable TRAITRL_NO_SUCH_KEY is not set"),
    ({"train_judge": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": None}},
     r"train_judge: cannot reach http://127.0.0.1:9/v1"),
    ({"eval": {**TINY["eval"], "bf16_benchmarks": ["pubmedqa"]}}, r"bf16_benchmarks: 'pubmedqa' is not among the selected"),
])
def test_late_inputs_fail_before_any_work(changes, expected, tmp_path, capsys, monkeypatch, no_work):
    line = one_error_line(capsys, monkeypatch, "run", study_yaml(tmp_path, **changes), "--out", tmp_path / "run")
    assert __import__("re").search(expected, line), line


def test_bad_custom_benchmark_row_fails_before_any_work(tmp_path, capsys, monkeypatch, no_work):
    (tmp_path / "rows.jsonl").write_text('{"q": "ok?", "choices": ["a", "b"], "answer": 0}\n{"q": "broken"\n')
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump({
        "name": "my_bench", "category": "capability", "format": "mc", "data": "rows.jsonl", "prompt": "{q}",
        "choices_field": "choices", "gold_field": "answer"}))
    eval_cfg = {**TINY["eval"], "custom": [str(tmp_path / "bench.yaml")]}
    line = one_error_line(capsys, monkeypatch, "run", study_yaml(tmp_path, eval=eval_cfg), "--out", tmp_path / "r")
    assert "rows.jsonl:2" in line


def test_judge_probe_accepts_a_live_endpoint_and_names_a_rejected_key(monkeypatch):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            ok = self.headers.get("Authorization") == "Bearer good"
            self.send_response(200 if ok else 401)
            self.end_headers()
            self.wfile.write(json.dumps({"data": []}).encode())

        def log_message(self, *args):
            pass

    with LoopbackServer(Handler, "/v1") as server:
        judge = JudgeConfig(base_url=server.url, model="m", api_key_env="TRAITRL_K")
        monkeypatch.setenv("TRAITRL_K", "good")
        check_judge(judge, "train_judge")
        monkeypatch.setenv("TRAITRL_K", "bad")
        with pytest.raises(ConfigError, match=r"train_judge: .* rejected the API key \(HTTP 401\)"):
            check_judge(judge, "train_judge")


def test_dose_rounding_to_zero_trait_prompts_is_a_config_error(tmp_path, capsys, monkeypatch):
    # Case 10: dose 0.01 over 24 rows trained an arm byte-identical to the baseline.
    arms = [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.01}]
    line = one_error_line(capsys, monkeypatch, "run", study_yaml(tmp_path, arms=arms,
                                                                 train={"steps": 6, "prompts_per_step": 4}),
                          "--out", tmp_path / "run")
    assert "arms.1" in line and "dose 0.01 of 24 training rows" in line and "0 trait prompts" in line


# Case 11: tracebacks instead of one line.
def test_non_utf8_config_names_file_and_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: study\nseed: 1\n# caf\xe9\n".encode("latin-1"))
    assert f"{path}:3: not valid UTF-8" in one_error_line(capsys, monkeypatch, "run", path, "--out", tmp_path / "r")


def test_non_utf8_data_file_names_file_and_line(tmp_path):
    from traitrl._util.errors import DataError
    from traitrl._util.io import read_jsonl

    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"rows.jsonl:2: not valid UTF-8"):
        read_jsonl(path)


@pytest.mark.parametrize("setting, expected", [
    ("seed=[1", r"--set 'seed=\[1': the value is not valid YAML"),
    ("seed.x=1", r"--set seed.x: `seed` is a value \(0\), not a section"),
    ("train.steps.x=1", r"--set train.steps.x: `train.steps` is a value \(2\), not a section"),
    ("arms.7.dose=0.1", r"--set arms.7.dose: `arms.7`: index '7' is not in a list of 2"),
])
def test_bad_set_values_are_one_line(setting, expected, tmp_path, capsys, monkeypatch):
    line = one_error_line(capsys, monkeypatch, "run", study_yaml(tmp_path), "--out", tmp_path / "r", "--set", setting)
    assert __import__("re").search(expected, line), line


def test_set_reaches_into_the_arms_list(tmp_path):
    from traitrl.cli._options import load_study_config

    cfg = load_study_config(study_yaml(tmp_path), ["arms.1.dose=0.25", "arms.1.name=low"])
    assert (cfg.arms[1].name, cfg.arms[1].dose) == ("low", 0.25)
    # Arms left at their defaults in the YAML can be overridden too.
    (tmp_path / "bare.yaml").write_text("seed: 1\n")
    assert load_study_config(tmp_path / "bare.yaml", ["arms.1.dose=0.1"]).arms[1].dose == 0.1


def test_unknown_sweep_method_is_one_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"model": str(tiny_model_dir()), "matrix": {"methods": ["bogus"]}}))
    line = one_error_line(capsys, monkeypatch, "sweep", path, "--out", tmp_path / "s")
    assert "methods.0" in line and "bogus" in line


@pytest.mark.parametrize("damage", ["empty_config", "truncated_weights"])
def test_broken_model_folder_is_one_line(damage, tmp_path, capsys, monkeypatch):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir(), model)
    if damage == "empty_config":
        (model / "config.json").write_text("{}")
    else:
        weights = model / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    line = one_error_line(capsys, monkeypatch, "eval", "--model", model, "--suite", "truthfulqa_mc1", "--limit", 2,
                          "--out", tmp_path / "out")
    assert f"cannot load model {str(model)!r}" in line


def test_hub_id_fails_fast_when_offline(monkeypatch):
    import time

    from traitrl.models.store import resolve_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"'nobody/no-such-model-xyz': HF_HUB_OFFLINE is set"):
        resolve_model("nobody/no-such-model-xyz")
    assert time.monotonic() - start < 5
