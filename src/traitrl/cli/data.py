"""`traitrl data`: build, count, show and contamination-check the trait scenario bank."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from traitrl.data import bank
from traitrl.data.contamination import check_contamination
from traitrl.data.generate import generate_cell
from traitrl.data.scenario import Domain, Scenario, Trait
from traitrl.evals.data_dir import benchmark_dir
from traitrl.models.http import EndpointConfig

app = typer.Typer(no_args_is_help=True)
console = Console()

BANK_HELP = "Bank JSONL to read; omit to build the default bank in memory from --seed."


def split_names(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def load_or_build(path: Path | None, seed: int) -> list[Scenario]:
    return bank.read_bank(path) if path else bank.build_bank(seed)


@app.command("build")
def build(out: Path = typer.Option(bank.DEFAULT_BANK_PATH, help="Where to write the bank (JSONL)."),
          seed: int = typer.Option(0, help="Generator seed; the same seed gives the same bank."),
          traits: str = typer.Option(None, help="Comma-separated traits to keep (default all)."),
          domains: str = typer.Option(None, help="Comma-separated domains to keep, e.g. health."),
          exclude_domains: str = typer.Option(None, help="Comma-separated domains to drop, e.g. health,science."),
          ) -> None:
    """Generate the bank (parametric + hand-written), optionally subset it, and write it as JSONL."""
    scenarios = bank.select(bank.build_bank(seed), split_names(traits), split_names(domains),
                            split_names(exclude_domains))
    path = bank.write_bank(scenarios, out)
    console.print(f"{len(scenarios)} scenarios → {path}")


@app.command("stats")
def stats(path: Path = typer.Argument(None, help=BANK_HELP), seed: int = 0,
          as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON.")) -> None:
    """Counts per trait × domain, with totals and sources; --json adds core items per cell and turn counts."""
    counts = bank.bank_stats(load_or_build(path, seed))
    if as_json:
        print(json.dumps(counts, indent=2))
        return
    domains = list(counts["by_domain"])
    table = Table("trait", *domains, "total", title=f"{counts['total']} scenarios")
    for trait, row in counts["by_trait_domain"].items():
        table.add_row(trait, *(str(row[d]) for d in domains), str(counts["by_trait"][trait]))
    table.add_row("total", *(str(counts["by_domain"][d]) for d in domains), str(counts["total"]), style="bold")
    # Piped output defaults to 80 columns, which truncates the trait and domain names.
    (console if console.is_terminal else Console(width=110)).print(table)
    console.print(f"sources: {counts['by_source']}; multi-turn: {counts['multi_turn']}; "
                  f"smallest cell: {counts['min_cell']}; empty cells: {counts['empty_cells'] or 'none'}")
    console.print(f"distinct core items: fewest in a cell {counts['min_core_items_per_cell']}, cells under 30 "
                  f"{counts['cells_under_30_core_items']}; near-duplicate rate {counts['near_duplicate_rate']}")


@app.command("generate")
def generate(trait: str = typer.Option(..., help="Trait to write core items for."),
             domain: str = typer.Option(..., help="Domain to write core items for."),
             n: int = typer.Option(..., "--n", help="Core items wanted in the output (rows already there count)."),
             generator: str = typer.Option(..., help="OpenAI-compatible API root, e.g. http://localhost:8000/v1."),
             model: str = typer.Option("default", help="Model name sent in each request."),
             hard_case: str = typer.Option(None, help="One hard-case kind; default cycles through all four."),
             out: Path = typer.Option(Path("runs/data/generated.jsonl"), help="JSONL to append to (resumable)."),
             cache_dir: Path = typer.Option(Path("runs/data/generate_cache"), help="Reply cache folder."),
             api_key_env: str = typer.Option(None, help="Env var holding the API key (default: send none)."),
             temperature: float = typer.Option(0.9, help="Sampling temperature."),
             data_dir: Path = typer.Option(None, help="Benchmark folder for the contamination check "
                                                      "(default: $TRAITRL_BENCHMARK_DIR, else ../shared/benchmarks)."),
             seed: int = typer.Option(0, help="Seed of the bank to dedupe against.")) -> None:
    """Ask a generator model for new core items in one trait × domain cell; validated, deduped, appended to OUT."""
    config = EndpointConfig(base_url=generator, model=model, api_key_env=api_key_env, temperature=temperature,
                         max_tokens=1024, cache_dir=cache_dir)
    bank.check_names([trait], Trait, "trait")
    bank.check_names([domain], Domain, "domain")
    report = generate_cell(Trait(trait), Domain(domain), n, config, out, bank.build_bank(seed), hard_case,
                           data_dir=benchmark_dir(data_dir))
    console.print(f"{report['written']} new core items ({report['already']} already) → {out}; "
                  f"{report['requests']} requests, {len(report['rejected'])} rejected, "
                  f"{len(report['contamination_hits'])} contamination hits", highlight=False)
    for reason in report["rejected"]:
        console.print(f"  rejected: {reason}", highlight=False)
    if report["contamination_hits"]:
        raise typer.Exit(1)


@app.command("show")
def show(path: Path = typer.Argument(None, help=BANK_HELP), seed: int = 0,
         trait: str = typer.Option(None, help="Only this trait."),
         domain: str = typer.Option(None, help="Only this domain."),
         scenario_id: str = typer.Option(None, "--id", help="Show the scenario with this id."),
         n: int = typer.Option(3, "-n", help="How many scenarios to show."),
         as_json: bool = typer.Option(False, "--json", help="Print raw JSON records.")) -> None:
    """Print example scenarios: the conversation, the rubric and the reference responses."""
    scenarios = bank.select(load_or_build(path, seed), split_names(trait), split_names(domain))
    if scenario_id:
        scenarios = [s for s in scenarios if s.id == scenario_id]
        if not scenarios:
            raise typer.BadParameter(f"no scenario with id {scenario_id!r}", param_hint="--id")
    for s in scenarios[:n]:
        if as_json:
            print(s.model_dump_json())
            continue
        console.rule(f"{s.id}  [{s.trait} × {s.domain}, {s.source}]", style="cyan")
        for turn in s.turns:
            console.print(f"[bold]{turn.role}:[/bold] {turn.content}", highlight=False)
        for c in s.rubric.criteria:
            console.print(f"  {c.weight:+.1f} {c.description}" + (f"  ({c.check})" if c.check else ""), highlight=False)
        console.print(f"[green]good:[/green] {s.rubric.good_response}", highlight=False)
        for failure in s.rubric.failure_responses:
            console.print(f"[red]failure:[/red] {failure}", highlight=False)


@app.command("check-contamination")
def check_contamination_command(
        path: Path = typer.Argument(None, help=BANK_HELP), seed: int = 0,
        data_dir: Path = typer.Option(
            None, help="Benchmark data folder (default: $TRAITRL_BENCHMARK_DIR, else the fetch folder)."),
        n: int = typer.Option(13, help="Word n-gram length."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        all_text: bool = typer.Option(False, "--all", help="All training text (bank, task pool, constitution) vs "
                                                           "all eval text (benchmarks, packaged eval tables, "
                                                           "persistence data), exact and near duplicates.")) -> None:
    """Word n-gram overlap between every scenario and every benchmark file; exits 1 if there is any hit."""
    folder = benchmark_dir(data_dir)
    scenarios = load_or_build(path, seed)
    if all_text:
        check_all_text(scenarios, folder, as_json)
        return
    start = time.perf_counter()
    hits = check_contamination(scenarios, folder, n=n)
    elapsed_s = round(time.perf_counter() - start, 2)
    if as_json:
        print(json.dumps({"n": n, "data_dir": str(folder), "n_scenarios": len(scenarios), "n_hits": len(hits),
                          "elapsed_s": elapsed_s, "hits": hits}, indent=2))
    else:
        for hit in hits:
            console.print(f"{hit['file']}:{hit['line']}  {hit['scenario_id']}  ({hit['n_shared_ngrams']} shared "
                          f"{n}-grams)", highlight=False)
        verdict = "clean" if not hits else f"{len(hits)} hits"
        console.print(f"{len(scenarios)} scenarios vs {folder}: {verdict} ({n}-grams, {elapsed_s} s)")
    if hits:
        raise typer.Exit(1)


def eval_text_files(folder: Path) -> list[tuple[Path, str]]:
    """Every eval text file: the shared benchmark folder, the packaged eval tables and the persistence data."""
    from importlib.resources import files

    from traitrl.evals.benchmarks.gen_common import project_data_path
    from traitrl.evals.refusal import reply_set_path

    return [(folder, "benchmarks"), (project_data_path(""), "evals/benchmarks/data"),
            (reply_set_path().parent, "evals/data"), (Path(str(files("traitrl.persist"))) / "data", "persist/data")]


def check_all_text(scenarios: list[Scenario], folder: Path, as_json: bool) -> None:
    from traitrl.data.overlap import eval_units, find_overlaps, training_units
    from traitrl.rewards.constitution import DEFAULT_CONSTITUTION

    hits = find_overlaps(training_units(scenarios, DEFAULT_CONSTITUTION), eval_units(eval_text_files(folder)))
    counts = {kind: sum(h["kind"] == kind for h in hits) for kind in ("exact", "near")}
    if as_json:
        print(json.dumps({"data_dir": str(folder), "n_exact": counts["exact"], "n_near": counts["near"],
                          "hits": hits}, indent=2))
    else:
        for hit in hits:
            console.print(f"{hit['kind']}: {hit['eval']}  ~  {hit['training']}", highlight=False)
        console.print(f"all training vs all eval text: {counts['exact']} exact, {counts['near']} near duplicates")
    if hits:
        raise typer.Exit(1)
