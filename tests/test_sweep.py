"""Sweeps: matrix expansion, compute matching, a CPU mini-sweep with its report sections, and Ray = local."""

import json

import pytest
import yaml

from helpers import tiny_model_dir
from traitrl._util.errors import ConfigError
from traitrl.study import assert_compute_matched, compute_budgets
from traitrl.sweep import load_sweep_config, run_sweep

TINY = {
    "seed": 0, "threads": 1,
    "data": {"n_tasks": 32},
    "train": {"steps": 2, "prompts_per_step": 2, "num_generations": 2, "max_completion_tokens": 6, "lr": 1e-3,
              "save_steps": 2, "lora": {"r": 4, "alpha": 8}},
    "eval": {"suite": ["truthfulqa_mc1", "caa_sycophancy_ab"], "limit": 5, "batch_size": 8, "include_base": False},
    "report": {"n_boot": 200},
}


def sweep_file(tmp_path, matrix, eval_overrides=None):
    path = tmp_path / "sweep.yaml"
    evals = {**TINY["eval"], **(eval_overrides or {})}
    path.write_text(yaml.safe_dump({**TINY, "eval": evals, "model": str(tiny_model_dir()), "matrix": matrix}))
    return path


def test_matrix_expands_to_arms_with_one_baseline_per_seed(tmp_path):
    config, _ = load_sweep_config(sweep_file(tmp_path, {
        "doses": [0.25, 0.5], "seeds": [0, 1],
        "domain_subsets": [{"name": "all"}, {"name": "health-only", "domains": ["health"]}]}))
    names = [a.name for a in config.arms]
    assert names[:2] == ["baseline-s0", "baseline-s1"] and len(names) == 2 + 2 * 2 * 2
    assert "trait-health-only-d0.5-s1" in names and config.reference_arm == "baseline-s0"
    assert_compute_matched(compute_budgets(config))


def test_zero_dose_in_matrix_and_explicit_arms_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="doses"):
        load_sweep_config(sweep_file(tmp_path, {"doses": [0.0, 0.1]}))
    path = tmp_path / "arms.yaml"
    path.write_text(yaml.safe_dump({"matrix": {"doses": [0.1]}, "arms": [{"name": "x"}]}))
    with pytest.raises(ConfigError, match="derived from `matrix`"):
        load_sweep_config(path)


def test_mismatched_budgets_fail_the_assertion():
    budgets = {"baseline": {"optimizer_steps": 10, "prompts_per_step": 4, "num_generations": 4,
                            "max_completion_tokens": 64, "max_generated_tokens": 10240},
               "trait": {"optimizer_steps": 12, "prompts_per_step": 4, "num_generations": 4,
                         "max_completion_tokens": 64, "max_generated_tokens": 12288}}
    with pytest.raises(ConfigError, match="not compute-matched.*optimizer_steps"):
        assert_compute_matched(budgets)


def test_cpu_mini_sweep_renders_dose_and_transfer_sections(tmp_path):
    path = sweep_file(tmp_path, {"doses": [0.25, 0.5],
                                 "domain_subsets": [{"name": "all"}, {"name": "health-only", "domains": ["health"]}]})
    run_sweep(load_sweep_config(path), tmp_path / "run")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["sections"]["dose_response"] is not None
    assert report["sections"]["transfer_matrix"] is not None
    assert report["sections"]["compute"]["matched"] is True
    assert len(report["comparison"]["arms"]) == 4
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Dose–response" in html and "Domain transfer" in html


def per_arm_scores(run_dir):
    scores = {}
    for record in sorted(run_dir.glob("arms/*/evals/*.jsonl")):
        arm = record.parent.parent.name
        scores[(arm, record.stem)] = [json.loads(line)["score"] for line in record.read_text().splitlines()]
    return scores


def test_ray_gives_the_same_per_arm_metrics_as_local_and_reservations_keep_trainings_apart(tmp_path):
    pytest.importorskip("ray")
    from traitrl.scheduling import TaskMemory, local_runtime_memory_gib

    path = sweep_file(tmp_path, {"doses": [0.5]}, {"include_base": True})
    run_sweep(load_sweep_config(path), tmp_path / "local")
    # Each training reserves 60 % of the runtime's memory, so the two (2 CPUs, one thread each) cannot overlap.
    memory = TaskMemory(train=[("*", 0.6 * local_runtime_memory_gib())], eval=0.1)
    run_sweep(load_sweep_config(path), tmp_path / "ray", ray=True, memory=memory)
    local, on_ray = per_arm_scores(tmp_path / "local"), per_arm_scores(tmp_path / "ray")
    assert local and local == on_ray and ("base", "truthfulqa_mc1") in on_ray  # the base evaluation: a Ray task
    spans = []
    for arm in ("baseline-s0", "trait-all-d0.5-s0"):
        metrics = [json.loads((tmp_path / r / "arms" / arm / "train" / "metrics.jsonl").read_text().splitlines()[0])
                   for r in ("local", "ray")]
        assert metrics[0]["loss"] == metrics[1]["loss"] and metrics[0]["reward"] == metrics[1]["reward"]
        train = json.loads((tmp_path / "ray" / "arms" / arm / "timings.json").read_text())["train"]["attempts"][-1]
        spans.append((train["started_unix"], train["started_unix"] + train["seconds"]))
    first, second = sorted(spans)
    assert first[1] <= second[0], f"trainings overlapped: {spans}"


def test_reservations_are_checked_before_any_work(tmp_path):
    from traitrl.scheduling import TaskMemory

    path = sweep_file(tmp_path, {"doses": [0.5]})
    with pytest.raises(ConfigError, match="'trait-s\\*' matches no run of this study"):
        run_sweep(load_sweep_config(path), tmp_path / "typo", ray=True, memory=TaskMemory(train=[("trait-s*", 9)]))
    with pytest.raises(ConfigError, match="more than this machine's Ray runtime can grant"):
        run_sweep(load_sweep_config(path), tmp_path / "huge", ray=True, memory=TaskMemory(train=[("*", 1e6)]))
    with pytest.raises(ConfigError, match="add --ray"):
        run_sweep(load_sweep_config(path), tmp_path / "local", memory=TaskMemory(eval=2))
    assert not any((tmp_path / d).exists() for d in ("typo", "huge", "local"))


@pytest.mark.parametrize("flags, use_ray, address", [([], False, None), (["--ray"], True, None),
                                                     (["--ray-address", "ray://head:10001"], True, "ray://head:10001")])
def test_the_run_command_hands_ray_to_the_study(monkeypatch, tmp_path, flags, use_ray, address):
    from typer.testing import CliRunner

    import traitrl.study
    from traitrl.cli.main import cli

    seen = {}
    monkeypatch.setattr(traitrl.study, "run_study", lambda config, out, **kw: seen.update(kw, name=config.name) or {})
    result = CliRunner().invoke(cli, ["run", "configs/standard.yaml", "--out", str(tmp_path), *flags])
    assert result.exit_code == 0, result.output
    memory = seen.pop("memory")
    assert seen == {"name": "standard", "resume": True, "use_ray": use_ray, "ray_address": address}
    assert memory.train == [] and memory.eval is None
