from pathlib import Path

import typer
from rich.console import Console

from traitrl.cli._options import load_study_config
from traitrl.cli.study import SET_HELP

console = Console()


def planned_benchmarks(cfg, sds: dict[str, tuple[float, bool]]) -> tuple[list, int]:
    """One PlannedBenchmark per tested benchmark (items = min(limit, available); SD from the pilot if measured), and
    the items evaluated per model (diagnostic benchmarks are evaluated but never tested)."""
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.benchmarks.trait_heldout import LABEL as TRAIT_LABEL
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.evals.run import select_benchmarks
    from traitrl.stats.plan import PlannedBenchmark

    data = benchmark_dir(cfg.benchmark_dir)
    out, n_items = [], 0
    for name in select_benchmarks(cfg.eval.suite):
        bench = get_benchmark(name)
        available = len(bench.load_items(data))
        n = available if cfg.eval.limit is None else min(cfg.eval.limit, available)
        n_items += n
        if "diagnostic" in bench.labels:  # shown in the report, never tested as better/worse
            continue
        sd, binary = sds.get(name, (None, True))
        out.append(PlannedBenchmark(name, bench.category, n, binary=binary,
                                    trait_evaluation=TRAIT_LABEL in bench.labels, **({"item_sd": sd} if sd else {})))
    return out, n_items


def plan_command(config: Path = typer.Argument(..., help="Study YAML, e.g. configs/quick.yaml."),
                 pilot: Path = typer.Option(None, "--pilot", help="A finished study directory whose timings, "
                                                                  "records and seeds replace the defaults."),
                 workers: int = typer.Option(1, "--workers", min=1,
                                             help="Runs trained and evaluated at once (`traitrl run --ray`: "
                                                  "cores ÷ threads on one machine, more on a cluster)."),
                 set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Power (smallest attainable p, MDE per benchmark, category and primary endpoint) and predicted cost."""
    from traitrl.stats.plan import (cost_table, format_plan, pilot_costs, pilot_item_sds, pilot_run_sds, plan_power,
                                    predict_costs)

    from traitrl._util.config import load_yaml
    from traitrl.sweep import load_sweep_config

    if "matrix" in load_yaml(config):  # a sweep: its seeds are the matrix's
        cfg, matrix = load_sweep_config(config, set_)
        n_seeds = len(matrix.seeds)
    else:
        cfg = load_study_config(config, set_)
        n_seeds = len(cfg.seeds or [0])
    costs, sds, run_sd, trait_run_sd = cost_table(), {}, None, None
    if pilot is not None:
        costs = pilot_costs(pilot, costs)
        sds = pilot_item_sds(pilot)
        run_sd, trait_run_sd = pilot_run_sds(pilot)
    benchmarks, n_eval_items = planned_benchmarks(cfg, sds)
    s = cfg.stats
    power = plan_power(benchmarks, n_seeds, s.alpha, s.power, s.correction, s.smoke_mde_pp,
                       **({"run_sd": run_sd} if run_sd else {}), trait_run_sd=trait_run_sd)
    t = cfg.train
    stages = predict_costs(n_eval_items, len(cfg.seeded_arms()),
                           {"prompts_per_step": t.prompts_per_step, "num_generations": t.num_generations,
                            "max_completion_tokens": t.max_completion_tokens}, t.steps,
                           cfg.persist, cfg.eval.include_base, costs,
                           n_persist_models=len(cfg.arms))  # persistence runs on one seed's arms (study.py)
    title = (f"Plan for {cfg.name} ({config}): {len(cfg.seeded_arms())} trained runs, {n_seeds} seed(s), "
             f"{len(benchmarks)} "
             f"benchmarks, primary endpoint {s.primary_endpoint}"
             + ("" if pilot is None else f"; item SDs and costs from pilot {pilot}")
             + ("" if pilot is not None or (cfg.model, cfg.threads) == ("smollm2-135m-instruct", 2) else
                f". WARNING: costs were measured on smollm2-135m-instruct with 2 threads, not {cfg.model} with "
                f"{cfg.threads}; pass --pilot"))
    console.print(format_plan(title, power, stages, costs["source"], len(cfg.seeded_arms()), workers),
                  highlight=False, markup=False, soft_wrap=True)
