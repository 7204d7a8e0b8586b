"""`traitrl` command line: one thin typer module per stage, plus `run` (whole study) and `sweep`."""

from __future__ import annotations

import os
import sys

# Before torch loads OpenMP: spinning worker threads turn any contention for the cores into 10× slowdowns.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer
from rich.console import Console

from traitrl._util.errors import TraitrlError
from traitrl.cli import benchmarks, compare, data, evals, models, persist, plan, rewards, study, train

cli = typer.Typer(help="Beneficial-trait RL: data → rewards → train → evals → persist → stats → report.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
cli.add_typer(models.app, name="models", help="Prepare and inspect models (embedded default, local, hub).")
cli.add_typer(data.app, name="data", help="Build, inspect and check the trait scenario bank.")
cli.add_typer(rewards.app, name="rewards", help="List and validate graders.")
cli.command("train", help="Train one arm of a study (GRPO on its dosed task mix).")(train.train_command)
cli.add_typer(evals.app, name="evals", help="The benchmark battery registry.")
cli.command("eval", help="Run benchmarks on a model.")(evals.eval_command)
cli.add_typer(benchmarks.app, name="benchmarks", help="Download the benchmark data from its pinned upstreams.")
cli.add_typer(persist.app, name="persist", help="Persistence suite: attacks, harmful fine-tuning, steerability.")
cli.command("compare", help="Compare eval runs: deltas, CIs, paired tests, report.")(compare.compare_command)
cli.command("run", help="The whole study from one config.")(study.run_command)
cli.command("status", help="Where a study folder stands: steps, benchmarks, time spent and left.")(
    study.status_command)
cli.command("plan", help="Before a study: what it can detect (MDE, smallest p) and what it costs.")(plan.plan_command)
cli.command("sweep", help="A matrix of study arms (dose × domains × seed × method).")(study.sweep_command)


def app() -> None:
    try:
        cli()
    except TraitrlError as e:
        Console(stderr=True).print(f"error: {e}", style="bold red", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    app()
