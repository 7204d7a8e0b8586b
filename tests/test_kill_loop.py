"""kill -9 at random moments of a tiny `traitrl run`, resume each time: same report numbers, nothing unreadable."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml

from helpers import tiny_model_dir
from traitrl.train.checkpoints import checkpoint_problem

STUDY = {
    "name": "killed", "seed": 0, "threads": 1,
    "arms": [{"name": "baseline", "dose": 0.0}, {"name": "trait", "dose": 0.5}],
    "data": {"n_tasks": 32},
    "train": {"steps": 4, "prompts_per_step": 2, "num_generations": 2, "max_completion_tokens": 8, "lr": 1e-3,
              "save_steps": 1, "lora": {"r": 4, "alpha": 8}},
    "eval": {"suite": ["truthfulqa_mc1", "caa_sycophancy_ab"], "limit": 4, "batch_size": 8},
    "report": {"n_boot": 200},
}


def start(config, out, cache):
    env = {**os.environ, "TRAITRL_EVAL_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "traitrl.cli.main", "run", str(config), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)


def finish(proc) -> None:
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]


def report_numbers(out) -> dict:
    """The comparison with run-specific paths taken out: what a reader of the report sees."""
    return json.loads((out / "comparison.json").read_text().replace(str(out), "<out>"))


def assert_all_readable(out) -> None:
    for path in out.rglob("*"):
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".jsonl":
            for line in path.read_text().splitlines():
                json.loads(line)
        elif path.name.startswith("checkpoint-") and path.is_dir():
            assert checkpoint_problem(path) is None, path
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".staging"))


def kill_loop(tmp_path, n_kills: int, seed: int = 0):
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump({**STUDY, "model": str(tiny_model_dir())}))
    started = time.monotonic()
    finish(start(config, tmp_path / "clean", tmp_path / "cache_clean"))
    full_s = time.monotonic() - started
    rng = random.Random(seed)
    out, cache = tmp_path / "killed", tmp_path / "cache_killed"
    kills = 0
    while kills < n_kills:
        proc = start(config, out, cache)
        try:
            # Early in each attempt: startup is part of every attempt, and later attempts have little left to do.
            proc.wait(timeout=rng.uniform(0.05, 0.3) * full_s)
            break  # finished before this kill: the remaining kills have nothing left to interrupt
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
    finish(start(config, out, cache))
    assert_all_readable(out)
    assert report_numbers(out) == report_numbers(tmp_path / "clean")
    return kills


@pytest.mark.slow
def test_ten_random_kills_end_with_the_same_report(tmp_path):
    kills = kill_loop(tmp_path, n_kills=10)
    print(f"{kills} kills before the run completed")
    assert kills == 10
