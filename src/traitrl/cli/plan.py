from pathlib import Path

import typer
from rich.console import Console

from traitrl.cli._options import load_study_config
from traitrl.cli.study import SET_HELP

console = Console()


def planned_benchmarks(cfg, sds: dict[str, tuple[float, bool]]) -> list:
    """One PlannedBenchmark per selected benchmark: items = min(limit, available); SD from the pilot if measured."""
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.data_dir import benchmark_dir
    from traitrl.evals.run import select_benchmarks
    from traitrl.stats.plan import PlannedBenchmark

    data = benchmark_dir(cfg.benchmark_dir)
    out = []
    for name in select_benchmarks(cfg.eval.suite):
        bench = get_benchmark(name)
        available = len(bench.load_items(data))
        n = available if cfg.eval.limit is None else min(cfg.eval.limit, available)
        sd, binary = sds.get(name, (None, True))
        out.append(PlannedBenchmark(name, bench.category, n, binary=binary, **({"item_sd": sd} if sd else {})))
    return out


def plan_command(config: Path = typer.Argument(..., help="Study YAML, e.g. configs/quick.yaml."),
                 pilot: Path = typer.Option(None, "--pilot", help="A finished study directory whose timings, "
                                                                  "records and seeds replace the defaults."),
                 set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Power (smallest attainable p, MDE per benchmark, category and primary endpoint) and predicted cost."""
    from traitrl.stats.plan import cost_table, format_plan, pilot_costs, pilot_item_sds, plan_power, predict_costs

    cfg = load_study_config(config, set_)
    costs, sds, run_sd = cost_table(), {}, None
    if pilot is not None:
        costs = pilot_costs(pilot, costs)
        sds, run_sd = pilot_item_sds(pilot)
    benchmarks = planned_benchmarks(cfg, sds)
    n_seeds = len(cfg.seeds or [0])
    s = cfg.stats
    power = plan_power(benchmarks, n_seeds, s.alpha, s.power, s.correction, s.smoke_mde_pp,
                       **({"run_sd": run_sd} if run_sd else {}))
    t = cfg.train
    stages = predict_costs(sum(b.n_items for b in benchmarks), len(cfg.seeded_arms()),
                           {"prompts_per_step": t.prompts_per_step, "num_generations": t.num_generations,
                            "max_completion_tokens": t.max_completion_tokens}, t.steps,
                           (cfg.persist or {}).get("preset", "default") if cfg.persist is not None else None,
                           cfg.eval.include_base, costs)
    title = (f"Plan for {cfg.name} ({config}): {len(cfg.arms)} arms × {n_seeds} seed(s), {len(benchmarks)} "
             f"benchmarks, primary endpoint {s.primary_endpoint}"
             + ("" if pilot is None else f"; item SDs and costs from pilot {pilot}"))
    console.print(format_plan(title, power, stages, costs["source"]), highlight=False, markup=False,
                  soft_wrap=True)
