"""The whole study: data → train every arm → evaluate base and arms → persistence → compare → report.

Each stage writes its own folder and is skipped when its output is complete, so re-running a killed study resumes
(training resumes from its last checkpoint). Layout of DIR:
    manifest.json            resolved config, versions, seeds, git sha
    data/bank.jsonl          the trait scenario bank used by every arm
    arms/<arm>/mix.jsonl     the ordered training rows of that arm
    arms/<arm>/train/        checkpoints, final/ (merged model), train_summary.json
    arms/<arm>/evals/        per-benchmark records; arms/base/evals for the untrained model
    persist/                 persistence suite results (if configured)
    report.{json,html,md}
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from traitrl._util.errors import ConfigError
from traitrl._util.io import read_json, read_jsonl, write_json_atomic, write_jsonl_atomic
from traitrl._util.manifest import write_manifest
from traitrl._util.seed import seed_everything
from traitrl._util.timing import timed_stage
from traitrl.config import ArmConfig, StudyConfig
from traitrl.preflight import check_study

console = Console(stderr=True)
BASE_ARM = "base"


def compute_budgets(config: StudyConfig) -> dict[str, dict[str, int]]:
    from traitrl.train.constitution import constitution_budget

    return {arm.name: constitution_budget(config.train, config.constitution) if arm.method == "constitution"
            else config.train.compute_budget() for arm in config.arms}


def assert_compute_matched(budgets: dict[str, dict[str, int]]) -> None:
    """Every arm must get the same optimizer steps, prompts, generations and token budget as the baseline."""
    keys = ("optimizer_steps", "prompts_per_step", "num_generations", "max_completion_tokens",
            "max_generated_tokens")
    reference_name, reference = next(iter(budgets.items()))
    for name, budget in budgets.items():
        mismatched = {k: (reference[k], budget[k]) for k in keys if budget[k] != reference[k]}
        if mismatched:
            raise ConfigError(f"arm {name!r} is not compute-matched with {reference_name!r}: {mismatched}")


# What a study writes into DIR: `--no-resume` deletes these, so nothing of the previous run is reused or mixed in.
STUDY_OUTPUTS = ["data", "arms", "persist", "comparison.json", "compute_budget.json", "timings.json",
                 "report.json", "report.html", "report.md"]


def _check_resumable(out: Path, config: StudyConfig) -> None:
    from traitrl.train.checkpoints import config_differences

    manifest = out / "manifest.json"
    if manifest.is_file():
        previous = read_json(manifest).get("config")
        if previous is not None and previous != config.model_dump(mode="json"):
            diffs = config_differences(previous, config.model_dump(mode="json"))
            raise ConfigError(f"{out} holds a study with a different config ({'; '.join(diffs[:5])}); "
                              "use a new --out, or --no-resume to start over")


def build_bank_file(config: StudyConfig, out: Path) -> Path:
    from traitrl.data.bank import build_bank, write_bank

    path = out / "data" / "bank.jsonl"
    if not path.is_file():
        write_bank(build_bank(seed=config.data.bank_seed), path)
    return path


def build_arm_mix(config: StudyConfig, arm: ArmConfig, bank_path: Path, arm_dir: Path) -> list[dict]:
    from traitrl.data.bank import read_bank, select
    from traitrl.data.mix import mix_dose, mix_summary
    from traitrl.data.tasks import generate_tasks

    from traitrl.train.checkpoints import check_same_config

    path = arm_dir / "mix.jsonl"
    check_same_config(arm_dir, {"arm": arm.model_dump(mode="json"), "data": config.data.model_dump(mode="json"),
                                "steps": config.train.steps, "prompts_per_step": config.train.prompts_per_step},
                      fix="resume with the original settings, or start over with --no-resume")
    if path.is_file():
        return read_jsonl(path)
    scenarios = select(read_bank(bank_path), traits=arm.traits, domains=arm.domains,
                       exclude_domains=arm.exclude_domains) if arm.dose > 0 else []
    tasks = generate_tasks(config.data.n_tasks, seed=config.data.task_seed)
    rows = mix_dose(tasks, scenarios, config.train.steps, config.train.prompts_per_step, arm.dose,
                    seed=config.data.task_seed)
    write_json_atomic(arm_dir / "mix_summary.json", mix_summary(rows))
    write_jsonl_atomic(path, rows)
    return rows


def reward_functions(config: StudyConfig) -> list:
    """The configured reward functions; a grader that takes a `judge` and was given none gets `train_judge`."""
    import inspect

    from traitrl.rewards.registry import GRADERS, get_grader

    funcs = []
    for spec in config.rewards:
        kwargs = dict(spec.kwargs)
        factory = GRADERS[spec.name][2] if spec.name in GRADERS else None
        if config.train_judge and factory and "judge" in inspect.signature(factory).parameters:
            kwargs.setdefault("judge", config.train_judge.model_dump(mode="json", exclude_unset=True))
        funcs.append(get_grader(spec.name, **kwargs))
    return funcs


def train_arm(config: StudyConfig, arm: ArmConfig, rows: list[dict], arm_dir: Path, resume: bool) -> Path:
    if arm.method == "constitution":
        from traitrl.train.constitution import train_constitution_arm

        return train_constitution_arm(config, arm, rows, arm_dir / "train", resume=resume)
    from traitrl.train.grpo import train_grpo

    return train_grpo(config.model, rows, reward_functions(config), config.train, arm_dir / "train",
                      seed=arm_seed(config, arm), resume=resume)


def arm_seed(config: StudyConfig, arm: ArmConfig) -> int:
    return config.seed if arm.seed is None else arm.seed


def evaluate(config: StudyConfig, model: str, out_dir: Path) -> None:
    from traitrl.evals.judge_protocols import JudgeConfig
    from traitrl.evals.run import run_benchmarks

    run_benchmarks(model, config.eval.suite, out_dir, data_dir=config.benchmark_dir, limit=config.eval.limit,
                   batch_size=config.eval.batch_size, seed=config.seed, custom=config.eval.custom or None,
                   log_format=config.eval.log_format,
                   log=lambda line: console.print(line),
                   judge=JudgeConfig.model_validate(config.judge) if config.judge else None)


def run_arm(config: StudyConfig, name: str, out: Path, resume: bool = True) -> Path:
    """Mix, train and evaluate one arm in DIR/arms/<name>/ (a self-contained run directory); return its model."""
    import torch

    torch.set_num_threads(config.threads)
    arm = config.arm(name)
    arm_dir = out / "arms" / name
    seed = arm_seed(config, arm)
    write_manifest(arm_dir, {"study": config.model_dump(mode="json"), "arm": arm.model_dump(mode="json")},
                   {"train": seed, "eval": config.seed}, stage="arm")
    seed_everything(seed)
    rows = build_arm_mix(config, arm, out / "data" / "bank.jsonl", arm_dir)
    console.rule(f"[bold]train · {name} (dose {arm.dose:.0%}, {arm.method})")
    with timed_stage(arm_dir, "train"):
        model_dir = train_arm(config, arm, rows, arm_dir, resume)
    console.rule(f"[bold]evals · {name}")
    with timed_stage(arm_dir, "eval"):
        evaluate(config, str(model_dir), arm_dir / "evals")
    return model_dir


def run_arms(config: StudyConfig, out: Path, resume: bool, ray_address: str | None, use_ray: bool) -> dict[str, Path]:
    names = [a.name for a in config.arms]
    if not use_ray:
        return {name: run_arm(config, name, out, resume) for name in names}
    import ray
    import torch

    ray.init(address=ray_address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=True)
    # One task per arm; declaring the threads as CPUs keeps Ray from oversubscribing a small machine.
    remote_arm = ray.remote(num_cpus=config.threads, num_gpus=1 if torch.cuda.is_available() else 0)(run_arm)
    paths = ray.get([remote_arm.remote(config, name, out.resolve(), resume) for name in names])
    return dict(zip(names, paths, strict=True))


def run_study(config: StudyConfig, out: str | Path, resume: bool = True, use_ray: bool = False,
              ray_address: str | None = None) -> dict[str, Path]:
    """Run (or resume) every stage; return the report files."""
    import torch

    torch.set_num_threads(config.threads)
    out = Path(out)
    check_study(config)  # fail before hours of training, not after
    if resume:
        _check_resumable(out, config)
    else:
        from traitrl.train.checkpoints import clear_outputs

        clear_outputs(out, STUDY_OUTPUTS)
    budgets = compute_budgets(config)
    assert_compute_matched(budgets)
    write_manifest(out, config.model_dump(mode="json"),
                   {"study": config.seed, **{a.name: arm_seed(config, a) for a in config.arms}}, stage="study")
    write_json_atomic(out / "compute_budget.json", budgets)

    console.rule("[bold]data")
    with timed_stage(out, "data"):
        build_bank_file(config, out)
    if config.eval.include_base:
        console.rule("[bold]evals · base model")
        with timed_stage(out, "eval_base"):
            evaluate(config, config.model, out / "arms" / BASE_ARM / "evals")
    with timed_stage(out, "arms"):
        models = run_arms(config, out, resume, ray_address, use_ray)

    sections = {}
    if config.persist is not None:
        console.rule("[bold]persistence")
        from traitrl.persist import run_persistence

        with timed_stage(out, "persist"):
            sections["persistence"] = run_persistence(
                models[config.reference_arm], {n: m for n, m in models.items() if n != config.reference_arm},
                config.persist, out / "persist", data_dir=config.benchmark_dir, seed=config.seed)

    console.rule("[bold]compare and report")
    with timed_stage(out, "report"):
        return compare_and_report(config, out, sections)


def arm_meta(arm: ArmConfig):
    from traitrl.data.scenario import Domain
    from traitrl.stats import ArmMeta

    domains = None
    if arm.domains or arm.exclude_domains:
        keep = arm.domains or list(Domain)
        domains = [d.value for d in keep if d not in (arm.exclude_domains or [])]
    method = "baseline" if arm.dose == 0 else ("trait_rl" if arm.method == "trait" else arm.method)
    return ArmMeta(dose_frac=arm.dose, domains=domains, method=method)


def seed_group(arm: ArmConfig) -> str:
    """Arms that differ only in seed form one label in the report ("trait-all-d0.05-s1" → "trait-all-d0.05")."""
    suffix = f"-s{arm.seed}"
    return arm.name.removesuffix(suffix) if arm.seed is not None and arm.name.endswith(suffix) else arm.name


def compare_and_report(config: StudyConfig, out: Path, sections: dict) -> dict[str, Path]:
    from traitrl.report import write_report
    from traitrl.stats import compare_runs

    arm_dirs: dict[str, list[Path]] = {}
    metas = {}
    for arm in config.arms:
        if arm.name == config.reference_arm:
            continue
        label = seed_group(arm)
        arm_dirs.setdefault(label, []).append(out / "arms" / arm.name / "evals")
        metas[label] = arm_meta(arm)
    if config.eval.include_base:
        arm_dirs[BASE_ARM] = [out / "arms" / BASE_ARM / "evals"]
    comparison = compare_runs(out / "arms" / config.reference_arm / "evals", arm_dirs, seed=config.seed,
                              n_boot=config.report.n_boot, meta=metas, reference_name=config.reference_arm)
    write_json_atomic(out / "comparison.json", comparison.model_dump(mode="json"))
    sections = {**sections, **method_section(config, comparison, metas, arm_dirs, sections.get("persistence"))}
    return write_report(comparison, out, sections={**sections, "compute": compute_section(config, out)})


def method_section(config: StudyConfig, comparison, metas: dict, arm_dirs: dict[str, list[Path]],
                   persistence: dict | None) -> dict:
    """The method side-by-side, when the study has one arm per method and one of them is a constitution arm."""
    methods = {label: meta.method for label, meta in metas.items()}
    if "constitution" not in methods.values() or len(set(methods.values())) != len(methods):
        return {}
    from traitrl.report.methods import method_comparison

    eval_dirs = {label: dirs[0] for label, dirs in arm_dirs.items() if len(dirs) == 1}
    return {"methods": method_comparison(comparison, persistence, {config.reference_arm: "baseline", **methods},
                                         eval_dirs=eval_dirs, seed=config.seed, n_boot=config.report.n_boot)}


def compute_section(config: StudyConfig, out: Path) -> dict:
    budgets = read_json(out / "compute_budget.json")
    arms = []
    for name, budget in budgets.items():
        summary = out / "arms" / name / "train" / "train_summary.json"
        generated = read_json(summary).get("generated_tokens") if summary.is_file() else None
        constitution = out / "arms" / name / "train" / "constitution_summary.json"
        if constitution.is_file():  # SL-stage generations count too
            generated = read_json(constitution)["generated_tokens"]["total"]
        arms.append({"arm": name, **budget, "generated_tokens": generated})
    try:
        assert_compute_matched(budgets)
        matched = True
    except ConfigError:
        matched = False
    return {"arms": arms, "matched": matched}
