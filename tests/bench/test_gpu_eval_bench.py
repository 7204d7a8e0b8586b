import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu_eval.py"


def _run(args: list[str], **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=300, check=False)


def test_gpu_eval_bench_skips_cleanly_without_a_gpu(tmp_path):
    done = _run(["--out", str(tmp_path / "gpu.json")], CUDA_VISIBLE_DEVICES="")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "gpu.json").read_text())["skipped"].startswith("skipped: no CUDA GPU")


def test_gpu_eval_bench_scores_every_way_alike_in_a_cpu_smoke_run(tmp_path):
    # The bench's speed figures mean something only if all three ways compute the same log-likelihoods.
    out = tmp_path / "cpu.json"
    done = _run(["--device", "cpu", "--layers", "1", "--models", "qwen2.5-0.5b", "--questions", "6", "--batch-size",
                 "4", "--preamble-tokens", "12", "--question-tokens", "5", "--choices", "3", "--choice-tokens", "3",
                 "--out", str(out)], OMP_NUM_THREADS="1")
    assert done.returncode == 0, done.stderr
    results = {r["way"]: r for r in json.loads(out.read_text())["results"]}
    assert set(results) == {"traitrl_fp32", "traitrl_bf16", "per_pair_fp32"}
    assert results["traitrl_fp32"]["max_abs_diff_vs_per_pair"] < 1e-3
    assert 0 < results["traitrl_bf16"]["max_abs_diff_vs_per_pair"] < 0.5  # bf16 really ran, and only rounds
    # The shared preamble runs once for traitrl and once per choice for the per-pair way.
    assert results["traitrl_fp32"]["fed_tokens"] == 12 + 6 * (5 + 3 * 2)
    assert results["per_pair_fp32"]["fed_tokens"] == 6 * 3 * (12 + 5 + 3)
