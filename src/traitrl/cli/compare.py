"""`traitrl compare RUN_A RUN_B ... --out DIR`: paired statistics of every arm vs the first run, and the report.

How RUNs become a reference and arms: stats.load.resolve_runs (docs/report.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from traitrl.report import write_report
from traitrl.stats import compare_runs, resolve_runs


def compare_command(
    runs: Annotated[list[str], typer.Argument(help="Eval dirs or study run dirs; the first is the reference.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, report.json and report.md.")],
    reference: Annotated[str, typer.Option(help="Reference arm when the first RUN is a study run dir.")] = "baseline",
    seed: Annotated[int, typer.Option(help="Seed for bootstrap and permutation draws.")] = 0,
    n_boot: Annotated[int, typer.Option(min=100, help="Bootstrap resamples per benchmark.")] = 2000,
    n_perm: Annotated[int, typer.Option(min=99, help="Sign-flip permutations (non-binary scores).")] = 9999,
    alpha: Annotated[float, typer.Option(min=0.0, max=0.5, help="Significance level after adjustment.")] = 0.05,
) -> None:
    ref_label, ref_dir, arms = resolve_runs(runs, reference)
    base = arms["base"][0] if len(arms.get("base", [])) == 1 else None  # the untrained model marks floor/ceiling
    comparison = compare_runs(ref_dir, arms, seed=seed, n_boot=n_boot, n_perm=n_perm, alpha=alpha,
                              reference_name=ref_label, base=base)
    paths = write_report(comparison, out)
    console = Console()
    console.print(comparison.headline, highlight=False)
    for kind, path in paths.items():
        console.print(f"{kind}: {path}", highlight=False)
