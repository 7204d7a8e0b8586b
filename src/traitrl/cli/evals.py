"""`traitrl eval` (run benchmarks on a model) and `traitrl evals list` (the registry)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="One JSON array of benchmark specs."),
                 custom: list[Path] = typer.Option([], help="Also list this custom benchmark spec (YAML).")) -> None:
    """Every registered benchmark with its category, format, metric, direction, source and license."""
    from traitrl.evals.benchmark import get_benchmark
    from traitrl.evals.custom import register_custom
    from traitrl.evals.run import select_benchmarks

    for spec in custom:
        register_custom(spec)
    specs = [get_benchmark(name).spec() for name in select_benchmarks("all")]
    if as_json:
        typer.echo(json.dumps(specs, indent=2))
        return
    # Plain aligned columns: full names, greppable, and no wrapping when piped.
    rows = [("name", "category", "format", "metric", "better", "labels", "license")]
    rows += [(s["name"], s["category"], s["format"], s["metric"], "higher" if s["higher_is_better"] else "lower",
              ",".join(s["labels"]) or "-", s["license"])
             for s in sorted(specs, key=lambda s: (s["category"], s["name"]))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])
    typer.echo(f"{len(specs)} benchmarks")


def eval_command(
    model: str = typer.Option(..., help="Model spec: built-in name, local folder or hub id (local weights), hf:PATH, "
                                        "fast:PATH, vllm:PATH, or openai:NAME with --base-url."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible API root for openai:NAME, e.g. "
                                                   "http://127.0.0.1:8000/v1."),
    api_key_env: str | None = typer.Option(None, help="Env var with the API key for openai:NAME (default: none "
                                                      "sent)."),
    suite: str = typer.Option("all", help="'all', 'mc', 'gen', a category, a label, a name, or a comma-separated mix."),
    out: Path = typer.Option(..., help="Folder for the per-benchmark records (re-running resumes)."),
    limit: int | None = typer.Option(None, help="Seeded sample of N items per benchmark."),
    data_dir: Path | None = typer.Option(None, help="Benchmark data folder (default: $TRAITRL_BENCHMARK_DIR)."),
    batch_size: int = typer.Option(16, help="Questions per forward pass (MC) or conversations per batch (gen)."),
    seed: int = typer.Option(0, help="Seed for the --limit sample."),
    custom: list[Path] = typer.Option([], help="Custom benchmark spec (YAML); repeat for several."),
    threads: int | None = typer.Option(None, help="torch CPU threads (default: torch's choice)."),
    log_format: str = typer.Option("traitrl", help="'inspect' also writes an Inspect eval log per benchmark into "
                                                  "OUT/inspect/ (needs inspect-ai)."),
    resume: bool = typer.Option(True, help="Reuse --out's complete records (default), or delete them and redo."),
    judge: Path | None = typer.Option(None, help="Evaluation judge settings (YAML, JudgeConfig fields): with "
                                                 "--suite traits, held-out traits are also graded by the judge."),
    bf16: str = typer.Option("", help="Comma-separated multiple-choice benchmarks to score with bf16 log-likelihoods "
                                      "(only those that kept fp32 accuracy in bench/mc_parity.py)."),
    device: str | None = typer.Option(None, help="Where local weights run, e.g. cpu, cuda, cuda:1 (default: the GPU "
                                                 "when there is one, else the CPU)."),
) -> None:
    """Run benchmarks on a model and write one record per benchmark into --out."""
    from traitrl._util.errors import ConfigError
    from traitrl.evals.run import run_benchmarks

    if (base_url is not None) != model.startswith("openai:"):
        raise ConfigError("--base-url goes with --model openai:NAME, and openai:NAME needs --base-url")
    if device is not None and model.startswith(("openai:", "vllm:")):
        raise ConfigError("--device is for local weights; an openai: or vllm: model runs where it is served")
    judge_config = None
    if judge is not None:  # checked before any benchmark runs
        from traitrl._util.config import load_yaml, validate_config
        from traitrl.models.judge import JudgeConfig

        judge_config = validate_config(JudgeConfig, load_yaml(judge), source=str(judge))

    if threads:
        import torch

        torch.set_num_threads(threads)
    summaries = run_benchmarks(model, suite, out, data_dir=data_dir, limit=limit, batch_size=batch_size, seed=seed,
                               custom=list(custom), log_format=log_format, resume=resume,
                               bf16_benchmarks=[n for n in bf16.split(",") if n],
                               model_options=({"base_url": base_url, "api_key_env": api_key_env} if base_url
                                              else {"device": device} if device else None),
                               log=lambda line: console.print(line, markup=False, highlight=False,
                                                                                     soft_wrap=True))
    if judge_config is not None and any(s.category == "trait_heldout" for s in summaries):
        from traitrl.evals.benchmarks.trait_heldout import run_judged_traits

        summaries += run_judged_traits(model, judge_config, out, limit=limit, seed=seed, batch_size=batch_size)
    console.print(f"{len(summaries)} benchmark records in {out}")
