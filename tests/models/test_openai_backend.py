"""The openai: backend against a small real OpenAI-compatible server over the tiny model: the same per-item scores
as evaluating the weights directly, MC skipped with a reason where the server has no prompt log-probs."""

from __future__ import annotations

import pytest
from openai_server import ModelServer
from typer.testing import CliRunner

from helpers import tiny_model_dir
from traitrl._util.errors import ConfigError, ModelError
from traitrl.evals.record import list_benchmark_records, read_benchmark_record
from traitrl.evals.run import run_benchmarks
from traitrl.models import get_model

# One mc benchmark with a text context, one with an empty context (needs BOS), one gen benchmark.
SUITE = "truthfulqa_mc1,crows_pairs,capability_arithmetic"


@pytest.fixture(scope="module")
def tiny():
    from traitrl.models.store import load_model, load_tokenizer

    path = str(tiny_model_dir())
    return path, load_model(path), load_tokenizer(path)


def scores(out, name):
    return [(s.item_id, s.score, s.response, s.choice_scores) for s in read_benchmark_record(out, name)[1]]


def assert_same(direct, served, name):
    a, b = scores(direct, name), scores(served, name)
    assert [(x[0], x[2]) for x in a] == [(y[0], y[2]) for y in b], name  # the same items and replies
    # The same per-item scores; mc2-style scores are probabilities, equal up to float rounding of the two forwards.
    assert [y[1] for y in b] == pytest.approx([x[1] for x in a], abs=1e-4), name
    for x, y in zip(a, b, strict=True):
        assert (x[3] is None) == (y[3] is None)
        if x[3] is not None:
            assert y[3] == pytest.approx(x[3], abs=1e-3)


def test_endpoint_gives_the_same_item_scores_as_the_weights(tiny, tmp_path):
    path, model, tokenizer = tiny
    kw = {"limit": 4, "batch_size": 1, "model_obj": model, "tokenizer": tokenizer}
    run_benchmarks(path, SUITE, tmp_path / "direct", **kw)
    lines = []
    with ModelServer(model, tokenizer) as server:
        run_benchmarks("openai:test", SUITE, tmp_path / "served", limit=4, batch_size=1, log=lines.append,
                       model_options={"base_url": server.url, "api_key_env": None})
    assert_same(tmp_path / "direct", tmp_path / "served", "truthfulqa_mc1")
    assert_same(tmp_path / "direct", tmp_path / "served", "capability_arithmetic")
    # An empty context is scored after BOS, which cannot be sent as text: skipped, with the reason, no record.
    assert "crows_pairs" not in list_benchmark_records(tmp_path / "served")
    assert any(line.startswith("crows_pairs: skipped") and "empty context" in line for line in lines)
    assert "/v1/completions" in server.paths and "/v1/chat/completions" in server.paths


def test_endpoint_without_prompt_logprobs_skips_mc_but_generates(tiny, tmp_path):
    path, model, tokenizer = tiny
    lines = []
    with ModelServer(model, tokenizer, logprobs=False) as server:
        run_benchmarks("openai:test", "truthfulqa_mc1,capability_arithmetic", tmp_path, limit=2, log=lines.append,
                       model_options={"base_url": server.url, "api_key_env": None})
    assert list_benchmark_records(tmp_path) == ["capability_arithmetic"]
    assert any("truthfulqa_mc1: skipped" in line and "prompt log-probabilities" in line for line in lines)


@pytest.mark.slow
def test_cli_eval_openai_matches_the_weights_on_mc_and_gen(tiny, tmp_path):
    from traitrl.cli.main import cli

    path, model, tokenizer = tiny
    args = ["eval", "--suite", "mc,gen", "--limit", "4", "--batch-size", "1"]
    direct = CliRunner().invoke(cli, [*args, "--model", path, "--out", str(tmp_path / "direct")])
    assert direct.exit_code == 0, direct.output
    with ModelServer(model, tokenizer) as server:
        served = CliRunner().invoke(cli, [*args, "--model", "openai:test", "--base-url", server.url,
                                          "--out", str(tmp_path / "served")])
    assert served.exit_code == 0, served.output
    names = list_benchmark_records(tmp_path / "served")
    assert len(names) >= 20
    for name in names:
        assert_same(tmp_path / "direct", tmp_path / "served", name)


def test_model_specs_pick_backends_and_fail_clearly():
    assert type(get_model("hf:/nowhere")).__name__ == "HFModel"
    assert get_model("fast:/nowhere").engine == "fast" and get_model("/nowhere").engine == "auto"
    with pytest.raises(ConfigError, match="unknown backend 'opneai:'.*Did you mean 'openai:'"):
        get_model("opneai:gpt")
    with pytest.raises(ModelError, match="needs a base URL"):
        get_model("openai:gpt")
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ModelError, match="needs vLLM"):
            get_model("vllm:/nowhere")
