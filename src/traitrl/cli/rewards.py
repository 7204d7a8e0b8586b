"""`traitrl rewards list|validate`: the grader registry and the grader validation report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """Registered graders (reward functions) and criterion checks."""
    from traitrl.rewards import CHECKS, list_graders
    from traitrl.rewards.registry import GRADERS

    for name in list_graders():
        factory, version, _ = GRADERS[name]
        print(f"{name} (v{version}): {(factory.__doc__ or '').strip().splitlines()[0]}")
    print(f"criterion checks: {', '.join(sorted(CHECKS))}")


def _print_report(report: dict) -> None:
    console = Console(width=None if sys.stdout.isatty() else 120)  # pipes and logs get full-width tables
    table = Table(title=f"Grader validation ({report['n_rows']} labeled responses): {report['metric']}")
    for col in ("trait", "grader", "n", "pairwise acc", "vs subtle", "vs bad", "spearman"):
        table.add_column(col)
    fmt = lambda x: "-" if x is None else f"{x:.2f}"
    for trait, entry in report["traits"].items():
        for grader, m in entry["graders"].items():
            best = " *" if grader == entry["best_grader"] else ""
            table.add_row(trait, grader + best, str(m["n"]), fmt(m["pairwise_accuracy"]), fmt(m["vs_subtle_bad"]),
                          fmt(m["vs_bad"]), fmt(m["spearman"]))
    console.print(table)
    probes = Table(title="Reward-hacking probes: share of scenarios where the probe scored >= the labeled good reply")
    graders = sorted({g for p in report["probes"].values() for g in p["fooled_rate"]})
    for col in ("probe", *graders):
        probes.add_column(col)
    for name, p in report["probes"].items():
        probes.add_row(name, *(fmt(p["fooled_rate"].get(g)) for g in graders))
    console.print(probes)
    if report["judge"] and report["n_judge_errors"]:
        console.print(f"judge errors: {report['n_judge_errors']} (labeled and probe rows scored without the judge)")


@app.command("validate")
def validate_command(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    judge: Path | None = typer.Option(None, help="YAML JudgeConfig for the rubric judge; omitted = no judge."),
    no_embedding: bool = typer.Option(False, "--no-embedding", help="Skip the embedding grader."),
    out: Path | None = typer.Option(None, help="Also write the JSON report here."),
    data: Path | None = typer.Option(None, help="Folder of labeled *.jsonl files (default: the packaged set)."),
) -> None:
    """Accuracy and Spearman of each grader on the labeled set, per trait, plus reward-hacking probes."""
    from traitrl._util.config import load_config
    from traitrl._util.io import write_json_atomic
    from traitrl.rewards import JudgeConfig, validate_graders

    judge_config = load_config(JudgeConfig, judge) if judge else None
    report = validate_graders(judge=judge_config, use_embedding=not no_embedding, folder=data)
    if out:
        write_json_atomic(out, report)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
        if out:
            print(f"report written to {out}")
