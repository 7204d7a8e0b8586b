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

from pathlib import Path

from rich.console import Console

from traitrl._util.errors import ConfigError
from traitrl._util.io import read_json, read_jsonl, write_json_atomic, write_jsonl_atomic
from traitrl._util.manifest import write_manifest
from traitrl._util.seed import seed_everything
from traitrl._util.timing import timed_stage
from traitrl.config import ArmConfig, StudyConfig
from traitrl.preflight import check_study
from traitrl.scheduling import GIB, TaskMemory, local_runtime_memory_gib
from traitrl.study_progress import BASE_RUN

console = Console(stderr=True)
BASE_ARM = BASE_RUN


def compute_budgets(config: StudyConfig) -> dict[str, dict[str, int]]:
    from traitrl.train.constitution import constitution_budget

    return {arm.name: constitution_budget(config.train, config.constitution) if arm.method == "constitution"
            else config.train.compute_budget() for arm in config.seeded_arms()}


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
        diffs = config_differences(previous, config.model_dump(mode="json")) if previous is not None else []
        if diffs:
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
    from traitrl.data.split import split_bank
    from traitrl.data.tasks import generate_tasks

    from traitrl.train.checkpoints import check_same_config

    path = arm_dir / "mix.jsonl"
    check_same_config(arm_dir, {"arm": arm.model_dump(mode="json"), "data": config.data.model_dump(mode="json"),
                                "steps": config.train.steps, "prompts_per_step": config.train.prompts_per_step},
                      fix="resume with the original settings, or start over with --no-resume")
    if path.is_file():
        return read_jsonl(path)
    # Only the train side: the held-out trait evaluation scores the rest.
    train_side = split_bank(read_bank(bank_path), eval_only_traits=config.data.eval_only_traits).train
    scenarios = select(train_side, traits=arm.traits, domains=arm.domains,
                       exclude_domains=arm.exclude_domains) if arm.dose > 0 else []
    tasks = generate_tasks(config.data.n_tasks, seed=config.data.task_seed)
    rows = mix_dose(tasks, scenarios, config.train.steps, config.train.prompts_per_step, arm.dose,
                    seed=config.data.task_seed)
    write_json_atomic(arm_dir / "mix_summary.json", mix_summary(rows))
    write_jsonl_atomic(path, rows)
    return rows


def reward_functions(config: StudyConfig, arm: ArmConfig | None = None) -> list:
    """The configured reward functions; a grader that takes a `judge` and was given none gets `train_judge`.
    Control arms keep the task reward and put their control in place of the trait reward: `placebo` (content-free,
    trait-reward-shaped) or `helpfulness` (generic, rubric-blind)."""
    import inspect

    from traitrl.rewards.registry import GRADERS, get_grader

    judge = config.train_judge.model_dump(mode="json", exclude_unset=True) if config.train_judge else None
    if arm is not None and arm.method in ("placebo", "helpfulness"):
        control = (get_grader("placebo_reward", seed=arm_seed(config, arm), judge=judge) if arm.method == "placebo"
                   else get_grader("helpfulness_reward", judge=judge))
        return [get_grader("task_reward"), control]
    funcs = []
    for spec in config.rewards:
        kwargs = dict(spec.kwargs)
        factory = GRADERS[spec.name][2] if spec.name in GRADERS else None
        if judge and factory and "judge" in inspect.signature(factory).parameters:
            kwargs.setdefault("judge", judge)
        funcs.append(get_grader(spec.name, **kwargs))
    return funcs


def train_arm(config: StudyConfig, arm: ArmConfig, rows: list[dict], arm_dir: Path, resume: bool) -> Path:
    if arm.method == "constitution":
        from traitrl.train.constitution import train_constitution_arm

        return train_constitution_arm(config, arm, rows, arm_dir / "train", resume=resume)
    from traitrl.train.grpo import train_grpo

    return train_grpo(config.model, rows, reward_functions(config, arm), config.train, arm_dir / "train",
                      seed=arm_seed(config, arm), resume=resume)


def arm_seed(config: StudyConfig, arm: ArmConfig) -> int:
    return config.seed if arm.seed is None else arm.seed


def evaluate(config: StudyConfig, model: str, out_dir: Path) -> None:
    from traitrl.evals.run import run_benchmarks

    run_benchmarks(model, config.eval.suite, out_dir, data_dir=config.benchmark_dir, limit=config.eval.limit,
                   batch_size=config.eval.batch_size, seed=config.seed, custom=config.eval.custom or None,
                   log_format=config.eval.log_format, bf16_benchmarks=config.eval.bf16_benchmarks,
                   log=lambda line: console.print(line),
                   judge=config.judge)
    if config.judge:  # held-out traits graded by the evaluation judge too (evals.benchmarks.trait_heldout)
        from traitrl.evals.benchmarks.trait_heldout import run_judged_traits

        run_judged_traits(model, config.judge, out_dir, limit=config.eval.limit, seed=config.seed,
                          batch_size=config.eval.batch_size)


def train_arm_stage(config: StudyConfig, name: str, out: Path, resume: bool = True) -> Path:
    """Mix and train one arm in DIR/arms/<name>/ (a self-contained run directory); return its model."""
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
        return train_arm(config, arm, rows, arm_dir, resume)


def _timed_evaluation(config: StudyConfig, model: str, eval_dir: Path, timing_dir: Path, stage: str,
                      title: str) -> None:
    import torch

    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    console.rule(f"[bold]evals · {title}")
    with timed_stage(timing_dir, stage):
        evaluate(config, model, eval_dir)


def eval_base_stage(config: StudyConfig, out: Path) -> None:
    """Evaluate the untrained model into DIR/arms/base/evals."""
    _timed_evaluation(config, config.model, out / "arms" / BASE_ARM / "evals", out, "eval_base", "base model")


def eval_arm_stage(config: StudyConfig, name: str, out: Path, model_dir: Path) -> Path:
    """Evaluate one arm's trained model into DIR/arms/<name>/evals; return the model."""
    _timed_evaluation(config, str(model_dir), out / "arms" / name / "evals", out / "arms" / name, "eval", name)
    return Path(model_dir)


def run_arm(config: StudyConfig, name: str, out: Path, resume: bool = True) -> Path:
    return eval_arm_stage(config, name, out, train_arm_stage(config, name, out, resume))


def run_arms(config: StudyConfig, out: Path, resume: bool, ray_address: str | None, use_ray: bool,
             memory: TaskMemory, node_gib: float | None) -> dict[str, Path]:
    """The base model's evaluation (where the config asks for it) and every arm, one after another or (use_ray) as
    Ray tasks, the base evaluation beside the first trainings; `node_gib`: the local Ray runtime's memory to hand
    out (None on an existing cluster, whose nodes declare their own)."""
    names = [a.name for a in config.seeded_arms()]
    if not use_ray:
        if config.eval.include_base:
            eval_base_stage(config, out)
        return {name: run_arm(config, name, out, resume) for name in names}
    import ray
    import torch

    ray.init(address=ray_address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=True,
             **({"_memory": int(node_gib * GIB)} if node_gib is not None else {}))
    # Two tasks per arm, each in a fresh worker (max_calls=1) so evaluation does not keep training's heap; declaring
    # the threads as CPUs keeps Ray from oversubscribing a small machine.
    task = {"num_cpus": config.threads, "num_gpus": 1 if torch.cuda.is_available() else 0, "max_calls": 1}
    train, evaluate_ = ray.remote(**task)(train_arm_stage), ray.remote(**task)(eval_arm_stage)
    out = out.resolve()
    # Submitted first, so it starts at once beside a training instead of holding every arm back.
    base = ([ray.remote(**task)(eval_base_stage).options(**memory.options(memory.eval)).remote(config, out)]
            if config.eval.include_base else [])
    models = {name: train.options(**memory.options(memory.train_gib(name))).remote(config, name, out, resume)
              for name in names}
    paths = ray.get([evaluate_.options(**memory.options(memory.eval)).remote(config, name, out, models[name])
                     for name in names])
    ray.get(base)
    return dict(zip(names, paths, strict=True))


def run_study(config: StudyConfig, out: str | Path, resume: bool = True, use_ray: bool = False,
              ray_address: str | None = None, memory: TaskMemory | None = None) -> dict[str, Path]:
    """Run (or resume) every stage; return the report files. `memory`: what each Ray task reserves (scheduling)."""
    import torch

    torch.set_num_threads(config.threads)
    out = Path(out)
    check_study(config)  # fail before hours of training, not after
    memory = memory or TaskMemory()
    node_gib = local_runtime_memory_gib() if use_ray and ray_address is None else None
    if memory.train or memory.eval:
        if not use_ray:
            raise ConfigError("--train-memory and --eval-memory are Ray reservations; add --ray or --ray-address")
        memory.check([a.name for a in config.seeded_arms()], node_gib)
    if resume:
        _check_resumable(out, config)
    else:
        from traitrl.train.checkpoints import clear_outputs

        clear_outputs(out, STUDY_OUTPUTS)
    budgets = compute_budgets(config)
    assert_compute_matched(budgets)
    write_manifest(out, config.model_dump(mode="json"),
                   {"study": config.seed, **{a.name: arm_seed(config, a) for a in config.seeded_arms()}},
                   stage="study")
    write_json_atomic(out / "compute_budget.json", budgets)

    console.rule("[bold]data")
    with timed_stage(out, "data"):
        build_bank_file(config, out)
    with timed_stage(out, "arms"):
        models = run_arms(config, out, resume, ray_address, use_ray, memory, node_gib)

    sections = {}
    if config.persist is not None:
        console.rule("[bold]persistence")
        from traitrl.persist import run_persistence

        with timed_stage(out, "persist"):
            reference, first = config.reference_run(), config.first_seed_arms()
            sections["persistence"] = run_persistence(
                models[reference], {a.name: models[a.name] for a in first if a.name != reference},
                config.persist, out / "persist", data_dir=config.benchmark_dir, seed=config.seed)
            from traitrl.persist.controls import run_persist_controls

            run_persist_controls(models[reference], {a.name: models[a.name] for a in first if a.name != reference},
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


def seed_paired_dirs(config: StudyConfig, out: Path) -> tuple[str, list[Path], dict[str, list[Path]], dict]:
    """(reference label, reference eval dirs by seed, arm label → eval dirs in the same seed order, metas)."""
    groups: dict[str, dict[int, Path]] = {}
    metas = {}
    for arm in config.seeded_arms():
        groups.setdefault(seed_group(arm), {})[arm_seed(config, arm)] = out / "arms" / arm.name / "evals"
        metas[seed_group(arm)] = arm_meta(arm)
    ref_label = seed_group(next(a for a in config.arms if a.name == config.reference_arm))
    ref_seeds = sorted(groups.pop(ref_label))
    metas.pop(ref_label)
    references = [out / "arms" / a.name / "evals" for s in ref_seeds for a in config.seeded_arms()
                  if seed_group(a) == ref_label and arm_seed(config, a) == s]
    arm_dirs = {}
    for label, by_seed in groups.items():
        if len(by_seed) > 1 and sorted(by_seed) != ref_seeds:
            raise ConfigError(f"arm {label!r} has seeds {sorted(by_seed)} but the reference {ref_label!r} has "
                              f"{ref_seeds}; seed i is paired with reference seed i, so give both the same seeds")
        arm_dirs[label] = [by_seed[s] for s in sorted(by_seed)]
    return ref_label, references, arm_dirs, metas


def compare_and_report(config: StudyConfig, out: Path, sections: dict) -> dict[str, Path]:
    from traitrl.report import write_report
    from traitrl.report.learning_section import flag_learning, learning_section
    from traitrl.report.eval_reuse_section import eval_reuse_section
    from traitrl.report.style_section import style_section
    from traitrl.stats import compare_runs
    from traitrl.stats.summary import flag_compute

    ref_label, references, arm_dirs, metas = seed_paired_dirs(config, out)
    base = out / "arms" / BASE_ARM / "evals" if config.eval.include_base else None
    if base is not None:
        arm_dirs[BASE_ARM] = [base]
    comparison = compare_runs(references, arm_dirs, seed=config.seed, n_boot=config.report.n_boot, meta=metas,
                              reference_name=ref_label, base=base, settings=config.stats)
    compute, flags = compute_section(config, out, ref_label)
    flag_compute(comparison, flags)
    trained = [a for a in config.seeded_arms() if (out / "arms" / a.name / "train" / "metrics.jsonl").is_file()]
    learning = learning_section({a.name: out / "arms" / a.name / "train" for a in trained})
    flag_learning(comparison, learning, {a.name: seed_group(a) for a in trained})
    write_json_atomic(out / "comparison.json", comparison.model_dump(mode="json"))
    sections = {**sections, **method_section(config, comparison, metas, arm_dirs, sections.get("persistence"))}
    from traitrl.report.controls import build_control_sections

    eval_dirs = {ref_label: references[0], **{label: dirs[0] for label, dirs in arm_dirs.items()}}
    every_run = {d.parent.name: d for d in [*references, *(d for dirs in arm_dirs.values() for d in dirs)]}
    sections.update(build_control_sections(comparison, eval_dirs, out / "persist" if config.persist else None,
                                           seed=config.seed, n_boot=config.report.n_boot))
    return write_report(comparison, out, sections={**sections, "compute": compute,
                                                   "style_covariates": style_section(eval_dirs).model_dump(mode="json"),
                                                   "learning": learning.model_dump(mode="json"),
                                                   "eval_reuse": eval_reuse_section(every_run).model_dump(mode="json")})


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


def compute_section(config: StudyConfig, out: Path, ref_label: str) -> tuple[dict, dict[str, str | None]]:
    """The configured budgets (pre-flight) and measured use per arm run, each held to its same-seed reference run;
    also the headline flag per arm label."""
    from traitrl.stats.compute import compute_flag, measure_run, mismatches

    budgets = read_json(out / "compute_budget.json")
    runs = config.seeded_arms()
    references = {arm_seed(config, a): a.name for a in runs if seed_group(a) == ref_label}
    measured = {a.name: measure_run(out / "arms" / a.name) for a in runs}
    arms, found_by_label = [], {}
    for a in runs:
        reference = references.get(arm_seed(config, a), next(iter(references.values())))
        found = ([] if a.name == reference
                 else mismatches(measured[a.name], measured[reference], config.stats.compute_tolerance))
        found_by_label.setdefault(seed_group(a), {})[a.name] = found
        m = measured[a.name]
        arms.append({"arm": a.name, **budgets[a.name], "generated_tokens": m["generated_tokens"],
                     "steps_run": m["optimizer_steps"], "reference": reference, "mismatches": found,
                     **{k: m[k] for k in ("prompt_tokens", "grad_norm", "zero_std_fraction", "kl", "wall_seconds")}})
    try:
        assert_compute_matched(budgets)
        matched = True
    except ConfigError:
        matched = False
    any_measured = any(v is not None for m in measured.values() for v in m.values())
    section = {"arms": arms, "matched": matched,
               "measured_matched": not any(a["mismatches"] for a in arms) if any_measured else None,
               "tolerance": config.stats.compute_tolerance.model_dump()}
    return section, {label: compute_flag(found) for label, found in found_by_label.items()}
