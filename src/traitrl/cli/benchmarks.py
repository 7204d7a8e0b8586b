"""`traitrl benchmarks fetch`: download the battery's benchmark data from its pinned upstreams."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("fetch")
def fetch_command(
    names: list[str] = typer.Argument(None, help="Benchmark data sets to fetch, or 'all' (default)."),
    target: Path | None = typer.Option(None, "--dir", help="Target folder (default: the folder the battery reads when "
                                                       "nothing is configured)."),
    mirror: str | None = typer.Option(None, help="Replace https://raw.githubusercontent.com/ with this URL (a "
                                                 "local copy laid out as OWNER/REPO/COMMIT/PATH)."),
) -> None:
    """Download, verify (sha256) and resume; prints each license and citation."""
    from traitrl.evals.data_dir import fetch_dir
    from traitrl.evals.fetch import fetch_benchmarks

    dest = target or fetch_dir()
    counts = fetch_benchmarks(list(names or ["all"]), dest, mirror=mirror,
                              log=lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True))
    console.print(f"{counts['fetched']} files downloaded, {counts['present']} already present and verified, "
                  f"{counts['no_url']} license notes without an upstream file; data in {dest}")
    if target is not None:
        console.print(f"point the battery at it: export TRAITRL_BENCHMARK_DIR={dest}")
