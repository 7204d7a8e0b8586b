from pathlib import Path

import typer
from rich.console import Console

from traitrl.cli._options import EVAL_MEMORY, TRAIN_MEMORY, load_study_config, table_console, task_memory

console = Console()
SET_HELP = "Override a config key, e.g. --set train.steps=10 (repeatable)."


def run_command(config: Path = typer.Argument(..., help="Study YAML, e.g. configs/quick.yaml."),
                out: Path = typer.Option(..., "--out", help="Run directory."),
                resume: bool = typer.Option(True, help="Continue a killed run in DIR (default) or start over."),
                ray: bool = typer.Option(False, "--ray", help="Train and evaluate each arm as Ray tasks."),
                ray_address: str = typer.Option(None, "--ray-address", help="Address of an existing Ray cluster."),
                train_memory: list[str] = TRAIN_MEMORY, eval_memory: float = EVAL_MEMORY,
                set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Data → train arms → evals → persistence → compare → report, resuming whatever DIR already holds."""
    from traitrl.study import run_study

    files = run_study(load_study_config(config, set_), out, resume=resume, use_ray=ray or bool(ray_address),
                      ray_address=ray_address, memory=task_memory(train_memory, eval_memory))
    for name, path in files.items():
        console.print(f"{name}: {path}")


def status_command(out: Path = typer.Argument(..., help="A study folder (the --out of `traitrl run`)."),
                   workers: int = typer.Option(1, "--workers", min=1, help="Runs at once when it resumes (--ray: "
                                                                           "cores ÷ threads on one machine)."),
                   as_json: bool = typer.Option(False, "--json", help="Print the progress as JSON.")) -> None:
    """Per run: steps and benchmarks done, time spent (killed attempts included) and time left, priced from what
    this study has measured. Reads files only; safe while the study runs."""
    from rich.table import Table

    from traitrl.study_progress import study_progress

    progress = study_progress(out)
    wide = table_console()
    if as_json:
        print(progress.model_dump_json(indent=2))
        return
    hours = lambda s: f"{s / 3600:.2f} h"
    table = Table(title=f"{progress.study} study in {out}")
    for col in ("run", "steps", "benchmarks", "time spent", "time left", "killed attempts", "peak GiB train/eval"):
        table.add_column(col)
    gib = lambda value: "–" if value is None else f"{value:.1f}"
    for r in progress.runs:
        steps = "–" if r.steps_total is None else f"{r.steps_done}/{r.steps_total}"
        rss = r.peak_rss_gib
        peaks = f"{gib(rss.get('train'))} / {gib(rss.get('eval', rss.get('eval_base')))}"
        table.add_row(r.run, steps, f"{r.benchmarks_done}/{r.benchmarks_total}", hours(r.seconds_spent),
                      hours(r.seconds_left), str(r.killed_attempts), peaks)
    wide.print(table)
    step = "the cost table's price" if progress.step_seconds is None else f"{progress.step_seconds:.1f} s (median)"
    wide.print(f"Training step: {step}. Time left with {workers} run(s) at once: "
               f"{hours(progress.seconds_left(workers))}; report written: {progress.report_written}.")


def sweep_command(config: Path = typer.Argument(..., help="Sweep YAML, e.g. configs/dose_response.yaml."),
                  out: Path = typer.Option(..., "--out", help="Sweep directory; each arm is a run directory."),
                  ray: bool = typer.Option(False, "--ray", help="Train and evaluate each arm as Ray tasks on a local "
                                                                "Ray runtime."),
                  ray_address: str = typer.Option(None, "--ray-address", help="Address of an existing Ray cluster."),
                  resume: bool = typer.Option(True, help="Continue a killed sweep in DIR (default) or start over."),
                  train_memory: list[str] = TRAIN_MEMORY, eval_memory: float = EVAL_MEMORY,
                  set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """A matrix of arms (dose × domain subset × seed × method), compute-matched and resumable."""
    from traitrl.sweep import load_sweep_config, run_sweep

    files = run_sweep(load_sweep_config(config, set_), out, ray=ray or bool(ray_address), ray_address=ray_address,
                      resume=resume, memory=task_memory(train_memory, eval_memory))
    for name, path in files.items():
        console.print(f"{name}: {path}")
