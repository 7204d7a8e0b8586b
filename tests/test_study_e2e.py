"""The one real end-to-end study in CI: tiny random-init model, two arms, a few benchmarks, the full report."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import tiny_model_dir

TINY_STUDY = {
    "name": "tiny", "seed": 0, "threads": 2,
    "arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.5}],
    "data": {"n_tasks": 64},
    "train": {"steps": 2, "prompts_per_step": 2, "num_generations": 2, "max_completion_tokens": 8,
              "lr": 1e-3, "save_steps": 1, "lora": {"r": 4, "alpha": 8}},
    "eval": {"suite": ["truthfulqa_mc1", "caa_sycophancy_ab", "ai_risk_corrigible_neutral_hhh", "xstest_safe"],
             "limit": 6, "batch_size": 8},
    "report": {"n_boot": 200},
}
# An Inspect task (3 samples) runs inside the study like any benchmark, where the optional extra is installed.
INSPECT_TASK = f"inspect:{Path(__file__).parent / 'evals' / 'inspect_tiny_task.py'}@tiny_arithmetic"
if importlib.util.find_spec("inspect_ai"):
    TINY_STUDY["eval"]["suite"].append(INSPECT_TASK)
EXPECTED = {"inspect_tiny_arithmetic" if name == INSPECT_TASK else name: 3 if name == INSPECT_TASK else 6
            for name in TINY_STUDY["eval"]["suite"]}


def traitrl(*args, check=True, eval_cache: Path | None = None):
    env = {**os.environ, "TRAITRL_EVAL_CACHE": str(eval_cache)} if eval_cache else None
    proc = subprocess.run([sys.executable, "-m", "traitrl.cli.main", *args], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"traitrl {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc


def run_tiny_study(root, settings: dict, name: str = "tiny"):
    """Write `settings` (on the tiny model) to ROOT/<name>.yaml, run it into ROOT/run with its own eval cache
    ROOT/eval_cache; (run folder, config path)."""
    config = root / f"{name}.yaml"
    config.write_text(yaml.safe_dump({**settings, "model": str(tiny_model_dir())}))
    traitrl("run", str(config), "--out", str(root / "run"), eval_cache=root / "eval_cache")
    return root / "run", config


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run_tiny_study(tmp_path_factory.mktemp("study"), TINY_STUDY)


def test_report_has_both_arms_base_and_every_benchmark(study):
    run, _ = study
    report = json.loads((run / "report.json").read_text())
    arms = {a["name"]: a for a in report["comparison"]["arms"]}
    assert set(arms) == {"trait", "base"} and report["comparison"]["reference_name"] == "baseline"
    deltas = {d["benchmark"]: d for d in arms["trait"]["deltas"]}
    assert set(deltas) == set(EXPECTED)
    for name, d in deltas.items():
        assert d["ci_low"] <= d["delta"] <= d["ci_high"] and 0.0 <= d["p_value"] <= 1.0
        assert d["n_paired"] == EXPECTED[name]
    assert "tied of" in report["headline"] and "improved on" not in report["headline"]
    assert report["headline"].startswith("Smoke test: no effect smaller than")  # 6 items: nothing can be significant
    assert report["sections"]["compute"]["matched"] is True
    style = report["sections"]["extra"]["style_covariates"]
    assert set(style["models"]) == {"baseline", "trait", "base"}
    assert all(0 <= v <= 1 for v in style["values"]["first_letter_rate"] if v is not None)
    assert "Response style" in (run / "report.md").read_text()
    learning = report["sections"]["extra"]["learning"]["runs"]
    assert set(learning) == {"baseline", "trait"}
    for name, trend in learning.items():  # a 2-step run has no slope CI, so it cannot have learned: flagged
        assert trend["learned"] is False and f"arm {name} did not learn its reward" in report["headline"]
    html = (run / "report.html").read_text()
    assert "<img" in html or "<svg" in html
    assert (run / "manifest.json").is_file() and (run / "arms" / "trait" / "manifest.json").is_file()


def test_arms_are_compute_matched_and_dosed(study):
    run, _ = study
    budget = json.loads((run / "compute_budget.json").read_text())
    assert budget["baseline"] == budget["trait"]
    baseline = [json.loads(line) for line in (run / "arms" / "baseline" / "mix.jsonl").read_text().splitlines()]
    trait = [json.loads(line) for line in (run / "arms" / "trait" / "mix.jsonl").read_text().splitlines()]
    assert len(baseline) == len(trait) == 4
    assert sum(r["source"] == "trait" for r in baseline) == 0
    assert sum(r["source"] == "trait" for r in trait) == 2


def test_rerun_resumes_instead_of_retraining(study):
    run, config = study
    summary = run / "arms" / "trait" / "train" / "train_summary.json"
    stamp = summary.stat().st_mtime_ns
    traitrl("run", str(config), "--out", str(run))
    assert summary.stat().st_mtime_ns == stamp


def test_a_second_study_on_the_same_base_model_takes_its_eval_from_the_cache(study):
    run, config = study
    reuse = {m["model"]: m for m in json.loads((run / "report.json").read_text())["sections"]["extra"]["eval_reuse"]
             ["models"]}
    assert reuse["base"]["items"] == sum(EXPECTED.values()) and reuse["base"]["cache_hits"] == 0  # a fresh cache
    second = run.parent / "second_study"
    traitrl("run", str(config), "--out", str(second), eval_cache=run.parent / "eval_cache")
    reuse = {m["model"]: m for m in json.loads((second / "report.json").read_text())["sections"]["extra"]
             ["eval_reuse"]["models"]}
    cached = sum(n for name, n in EXPECTED.items() if not name.startswith("inspect_"))  # Inspect tasks re-run
    assert reuse["base"]["items"] == sum(EXPECTED.values()) and reuse["base"]["cache_hits"] == cached
    assert "Evaluation reuse" in (second / "report.md").read_text()


def test_bad_inputs_give_one_clear_error(tmp_path):
    bad_key = tmp_path / "bad.yaml"
    bad_key.write_text("train:\n  stepz: 1\n")
    proc = traitrl("run", str(bad_key), "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "unknown key `train.stepz`" in proc.stderr and "Traceback" not in proc.stderr

    unknown_model = tmp_path / "model.yaml"
    unknown_model.write_text("model: no-such-model\n")
    proc = traitrl("run", str(unknown_model), "--out", str(tmp_path / "o2"), check=False)
    assert proc.returncode == 2 and "unknown model 'no-such-model'" in proc.stderr and "Traceback" not in proc.stderr

    missing_data = tmp_path / "data.yaml"
    missing_data.write_text(f"model: {tiny_model_dir()}\nbenchmark_dir: {tmp_path / 'nowhere'}\n")
    proc = traitrl("run", str(missing_data), "--out", str(tmp_path / "o3"), check=False)
    assert proc.returncode == 2 and "benchmark data folder not found" in proc.stderr


def test_killed_training_resumes_from_its_last_checkpoint(tmp_path):
    import signal
    import time

    steps = 12
    config = tmp_path / "kill.yaml"
    config.write_text(yaml.safe_dump({**TINY_STUDY, "model": str(tiny_model_dir()),
                                      "train": {**TINY_STUDY["train"], "steps": steps, "save_steps": 2}}))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "traitrl.cli.main", "train", str(config), "--arm", "trait", "--out", str(out)]
    train_dir = out / "arms" / "trait" / "train"

    def complete_checkpoints():
        states = train_dir.glob("checkpoint-*/trainer_state.json")
        return sorted(int(state.parent.name.split("-")[-1]) for state in states)

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill at the first complete checkpoint, polled often: only two are kept, so a slow poll on a fast machine could
    # see a rotated one vanish, or the run end, before the kill.
    deadline = time.time() + 240
    while not complete_checkpoints() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = complete_checkpoints()
    assert left and not (train_dir / "train_summary.json").exists(), f"killed too late or never checkpointed: {left}"
    assert max(left) < steps
    subprocess.run(cmd, check=True, capture_output=True)
    summary = json.loads((train_dir / "train_summary.json").read_text())
    assert summary["steps"] == steps
    assert summary["resumed_from"] and int(summary["resumed_from"].split("-")[-1]) == max(left)
