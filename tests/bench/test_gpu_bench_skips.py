import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu_grpo.py"


def test_gpu_bench_skips_cleanly_without_a_gpu(tmp_path):
    # An empty CUDA_VISIBLE_DEVICES hides any GPU, so this also checks the skip path on a machine that has one.
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = tmp_path / "gpu.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], env=env, capture_output=True, text=True,
                          timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    assert "skipped: no CUDA GPU" in done.stdout
    assert json.loads(out.read_text())["skipped"].startswith("skipped: no CUDA GPU")
