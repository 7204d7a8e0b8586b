from pathlib import Path

import typer
from rich.console import Console

from traitrl.cli._options import load_study_config

console = Console()
SET_HELP = "Override a config key, e.g. --set train.steps=10 (repeatable)."


def run_command(config: Path = typer.Argument(..., help="Study YAML, e.g. configs/quick.yaml."),
                out: Path = typer.Option(..., "--out", help="Run directory."),
                resume: bool = typer.Option(True, help="Continue a killed run in DIR (default) or start over."),
                ray: bool = typer.Option(False, "--ray", help="Train and evaluate each arm as one Ray task."),
                ray_address: str = typer.Option(None, "--ray-address", help="Address of an existing Ray cluster."),
                set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Data → train arms → evals → persistence → compare → report, resuming whatever DIR already holds."""
    from traitrl.study import run_study

    files = run_study(load_study_config(config, set_), out, resume=resume, use_ray=ray or bool(ray_address),
                      ray_address=ray_address)
    for name, path in files.items():
        console.print(f"{name}: {path}")


def sweep_command(config: Path = typer.Argument(..., help="Sweep YAML, e.g. configs/dose_response.yaml."),
                  out: Path = typer.Option(..., "--out", help="Sweep directory; each arm is a run directory."),
                  ray: bool = typer.Option(False, "--ray", help="One Ray task per arm on a local Ray runtime."),
                  ray_address: str = typer.Option(None, "--ray-address", help="Address of an existing Ray cluster."),
                  resume: bool = typer.Option(True, help="Continue a killed sweep in DIR (default) or start over."),
                  set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """A matrix of arms (dose × domain subset × seed × method), compute-matched and resumable."""
    from traitrl.sweep import load_sweep_config, run_sweep

    files = run_sweep(load_sweep_config(config, set_), out, ray=ray or bool(ray_address), ray_address=ray_address,
                      resume=resume)
    for name, path in files.items():
        console.print(f"{name}: {path}")
