"""Eval records and caches keyed by what produced them: weights fingerprint, benchmark version, item, scorer."""

import shutil

import pytest

import traitrl.models.loglik as loglik
from traitrl._util.errors import ConfigError, DataError
from traitrl._util.fingerprint import scorer_fingerprint, weights_fingerprint
from traitrl.evals.benchmark import BENCHMARKS, Benchmark, MCItem
from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import OutputCache, run_benchmarks
from traitrl.stats import compare_runs
from tests.helpers import tiny_model_dir


def _items():
    return [MCItem(id=f"q{i}", context=f"Q: number {i}?\nA:", choices=[" yes", " no"], gold=[i % 2])
            for i in range(4)]


@pytest.fixture
def fake_mc(monkeypatch):
    monkeypatch.setitem(BENCHMARKS, "fake_mc", lambda: Benchmark(
        name="fake_mc", category="corrigibility", format="mc", metric="acc", higher_is_better=True, source="test",
        license="none", load_items=lambda _: _items()))


@pytest.fixture
def model_copy(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir(), folder)
    return folder


def _other_weights(folder, seed):
    """Same architecture, same path, different values: what a user gets by overwriting model.safetensors."""
    import torch

    from traitrl.models.store import load_model

    torch.manual_seed(seed)
    model = load_model(str(folder))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    model.save_pretrained(folder, safe_serialization=True)


def test_replaced_weights_are_not_taken_for_the_old_record(fake_mc, model_copy, tmp_path):
    # Case 3: a second eval at the same path with new weights said "complete record found" and kept the old score.
    out = tmp_path / "out"
    [first] = run_benchmarks(str(model_copy), "fake_mc", out, data_dir=tmp_path)
    old_items = read_benchmark_record(out, "fake_mc")[1]
    old_fp = weights_fingerprint(model_copy)
    _other_weights(model_copy, 1)
    assert weights_fingerprint(model_copy) != old_fp
    with pytest.raises(ConfigError, match="other weights"):
        run_benchmarks(str(model_copy), "fake_mc", out, data_dir=tmp_path)
    [second] = run_benchmarks(str(model_copy), "fake_mc", out, data_dir=tmp_path, resume=False)
    assert second.weights_fingerprint == weights_fingerprint(model_copy) != first.weights_fingerprint
    assert second.cache_hits == 0
    new_items = read_benchmark_record(out, "fake_mc")[1]
    assert all(a.choice_scores != b.choice_scores for a, b in zip(old_items, new_items, strict=True))


def test_second_eval_of_the_same_weights_reuses_every_item(fake_mc, model_copy, tmp_path, monkeypatch):
    # Issue 21 item 3: keyed by content, so a copy of the same weights elsewhere (another study) is a cache hit.
    [first] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "study1", data_dir=tmp_path)
    assert first.cache_hits == 0 and first.weights_fingerprint

    def fail(*args, **kwargs):
        raise AssertionError("the model was asked again")

    monkeypatch.setattr(loglik, "score_requests", fail)
    elsewhere = tmp_path / "copy"
    shutil.copytree(model_copy, elsewhere)
    [second] = run_benchmarks(str(elsewhere), "fake_mc", tmp_path / "study2", data_dir=tmp_path)
    assert (second.cache_hits, second.score) == (4, first.score)
    assert read_benchmark_record(tmp_path / "study2", "fake_mc")[1] == read_benchmark_record(
        tmp_path / "study1", "fake_mc")[1]


def test_a_new_benchmark_version_or_scorer_recomputes_items(fake_mc, model_copy, tmp_path, monkeypatch):
    [first] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "a", data_dir=tmp_path)
    monkeypatch.setitem(BENCHMARKS, "fake_mc", lambda: Benchmark(
        name="fake_mc", category="corrigibility", format="mc", metric="acc", higher_is_better=True, source="test",
        license="none", load_items=lambda _: _items(), version=2))
    [second] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "a", data_dir=tmp_path)
    assert (second.version, second.cache_hits) == (2, 0)  # the v1 record and v1 item results are not reused


def test_scorer_fingerprint_follows_code_and_closed_over_settings():
    def make(threshold):
        def score(item, reply):
            return float(len(reply) > threshold)
        return score

    assert scorer_fingerprint(make(3)) == scorer_fingerprint(make(3))
    assert scorer_fingerprint(make(3)) != scorer_fingerprint(make(4))
    assert scorer_fingerprint(make(3)) != scorer_fingerprint(lambda item, reply: float(len(reply) > 3))


def test_one_out_folder_holds_one_models_records(fake_mc, model_copy, tmp_path, monkeypatch):
    # Case 7: two evals of different models into one --out left a mixed folder.
    other = tmp_path / "other"
    shutil.copytree(model_copy, other)
    _other_weights(other, 2)
    out = tmp_path / "out"
    run_benchmarks(str(model_copy), "fake_mc", out, data_dir=tmp_path)
    manifest_before = (out / "manifest.json").read_text()
    with pytest.raises(ConfigError, match=r"holds eval records of other weights.*--no-resume"):
        run_benchmarks(str(other), "fake_mc", out, data_dir=tmp_path)
    assert (out / "manifest.json").read_text() == manifest_before  # refused before touching anything
    # A folder mixed by hand (or by an older version) is refused by `traitrl compare`.
    monkeypatch.setitem(BENCHMARKS, "fake_mc2", BENCHMARKS["fake_mc"])
    run_benchmarks(str(other), "fake_mc", tmp_path / "other_out", data_dir=tmp_path)
    for suffix in (".json", ".jsonl"):
        shutil.copy(tmp_path / "other_out" / f"fake_mc{suffix}", out / f"fake_mc2{suffix}")
    with pytest.raises(DataError, match="records of different models"):
        compare_runs(tmp_path / "other_out", {"mixed": [out]})


def test_cache_cuts_a_torn_last_line_so_appends_stay_parseable(tmp_path):
    # Case 5: after a kill mid-write, the resumed run appended onto the half-written line.
    path = tmp_path / "cache.jsonl"
    path.write_text('{"key": "a", "value": 1}\n{"key": "b", "val')
    cache = OutputCache(path)
    assert cache.values == {"a": 1}
    cache.add({"b": 2})
    assert OutputCache(path).values == {"a": 1, "b": 2}
    assert path.read_text() == '{"key": "a", "value": 1}\n{"key": "b", "value": 2}\n'


def test_code_benchmarks_are_counted_as_not_run_without_a_sandbox(model_copy, tmp_path, monkeypatch):
    import traitrl.models.generate as generate
    from traitrl._util.io import read_json
    from traitrl.evals import sandbox
    from traitrl.evals.benchmark import GenItem

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._probe.cache_clear()
    monkeypatch.setattr(generate, "generate_responses", lambda m, t, convs, *a, **k: ["def f(): pass"] * len(convs))
    monkeypatch.setitem(BENCHMARKS, "fake_code", lambda: Benchmark(
        name="fake_code", category="reward_hacking", format="gen", metric="gaming_rate", higher_is_better=False,
        source="test", license="none", score_response=lambda item, reply: float(sandbox.run_python(reply).ok),
        load_items=lambda _: [GenItem(id="c0", messages=[{"role": "user", "content": "write f"}])]))
    try:
        logged = []
        assert run_benchmarks(str(model_copy), "fake_code", tmp_path / "out", data_dir=tmp_path,
                              log=logged.append) == []
    finally:
        sandbox._probe.cache_clear()
    assert "bubblewrap" in read_json(tmp_path / "out" / "not_run.json")["fake_code"]
    assert not (tmp_path / "out" / "fake_code.json").exists() and "NOT RUN" in logged[0]


def test_cache_skips_an_unreadable_middle_line_with_a_warning(tmp_path):
    path = tmp_path / "cache.jsonl"
    path.write_text('{"key": "a", "value": 1}\n{"key": "b", "va{"key": "c", "value": 3}\n{"key": "d", "value": 4}\n')
    with pytest.warns(UserWarning, match="1 unreadable cache line.*line 2"):
        assert OutputCache(path).values == {"a": 1, "d": 4}


def test_bf16_scores_are_their_own_cache_entries(fake_mc, model_copy, tmp_path):
    [fp32] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "a", data_dir=tmp_path)
    [bf16] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "b", data_dir=tmp_path, bf16_benchmarks=["fake_mc"])
    assert (fp32.scorer, bf16.scorer, bf16.cache_hits) == ("mc:acc", "mc:acc:bf16", 0)
    fp32_lls = [s.choice_scores for s in read_benchmark_record(tmp_path / "a", "fake_mc")[1]]
    assert fp32_lls != [s.choice_scores for s in read_benchmark_record(tmp_path / "b", "fake_mc")[1]]
    [again] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "c", data_dir=tmp_path, bf16_benchmarks=["fake_mc"])
    assert again.cache_hits == 4


@pytest.mark.parametrize(("names", "message"), [(["truthfulqa_mc1"], "not among the selected"),
                                                (["ifeval"], "generative")])
def test_bf16_benchmarks_must_be_selected_multiple_choice(model_copy, tmp_path, names, message):
    from traitrl.evals.run import check_bf16_benchmarks

    with pytest.raises(ConfigError, match=message):
        check_bf16_benchmarks(names, ["ifeval"] if message == "generative" else ["bbq"])


def test_bf16_needs_a_backend_that_scores_in_bf16():
    from types import SimpleNamespace

    from traitrl.evals.run import check_bf16_benchmarks

    with pytest.raises(ConfigError, match="openai:judge-model"):
        check_bf16_benchmarks(["truthfulqa_mc1"], ["truthfulqa_mc1"], SimpleNamespace(name="openai:judge-model"))
    hf = SimpleNamespace(name="local", mc_precisions=("fp32", "bf16"))
    assert check_bf16_benchmarks(["truthfulqa_mc1"], ["truthfulqa_mc1"], hf) == {"truthfulqa_mc1"}


def test_outputs_computed_on_a_gpu_are_their_own_cache_entries_and_records(fake_mc, model_copy, tmp_path,
                                                                           monkeypatch):
    # A GPU's log-likelihoods and replies differ from the CPU's by rounding: neither may stand in for the other.
    from traitrl.models.hf import HFModel

    cache, on_cpu = tmp_path / "cache", HFModel.compute
    [cpu] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "cpu", data_dir=tmp_path, cache_dir=cache)
    monkeypatch.setattr(HFModel, "compute", property(lambda self: "cuda"))  # scores on the CPU, labelled as a GPU's
    # In the CPU run's own folder: its complete record is not taken for the GPU's, and no cached item either.
    [gpu] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "cpu", data_dir=tmp_path, cache_dir=cache)
    assert (cpu.scorer, gpu.scorer, gpu.cache_hits) == ("mc:acc", "mc:acc@cuda", 0)
    assert read_benchmark_record(tmp_path / "cpu", "fake_mc")[0].scorer == "mc:acc@cuda"
    assert sorted(p.name for p in cache.iterdir()) == [cpu.weights_fingerprint, cpu.weights_fingerprint + "@cuda"]
    monkeypatch.setattr(HFModel, "compute", on_cpu)
    [cpu_again] = run_benchmarks(str(model_copy), "fake_mc", tmp_path / "cpu2", data_dir=tmp_path, cache_dir=cache)
    assert (cpu_again.scorer, cpu_again.cache_hits) == ("mc:acc", 4)
