import os

# Before torch loads OpenMP: spinning worker threads turn any contention for the 2 cores into 10× slowdowns.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("TRAITRL_TEST_THREADS", "2")))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_eval_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own content-keyed eval cache: tests that fake a model's replies must not share them."""
    monkeypatch.setenv("TRAITRL_EVAL_CACHE", str(tmp_path_factory.mktemp("eval_cache")))


@pytest.fixture(autouse=True)
def _restore_benchmark_registry():
    """Custom benchmarks a test registers (directly or through a study's `eval.custom`) do not leak into the next."""
    import traitrl.evals.benchmarks  # noqa: F401  (built-ins registered before the snapshot)
    from traitrl.evals.benchmark import BENCHMARKS

    before = dict(BENCHMARKS)
    yield
    BENCHMARKS.clear()
    BENCHMARKS.update(before)
