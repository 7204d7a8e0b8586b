"""`traitrl persist run MODEL_OR_RUN [--against BASELINE] --config CFG --out DIR`: the persistence suite."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


def resolve_models(model_or_run: str, against: str | None, label: str) -> tuple[str, dict[str, str]]:
    """(baseline, arms) from a model name/folder plus --against, or from a study run folder."""
    from traitrl._util.errors import ConfigError
    from traitrl._util.io import read_json

    run = Path(model_or_run)
    if (run / "arms").is_dir():
        finals = {p.parents[2].name: str(p.parent) for p in sorted(run.glob("arms/*/train/final/config.json"))}
        if not finals:
            raise ConfigError(f"{run}: a study folder but no arms/<arm>/train/final model yet; train the arms first")
        manifest = run / "manifest.json"
        reference = (read_json(manifest).get("config") or {}).get("reference_arm", "baseline") \
            if manifest.is_file() else "baseline"
        baseline = against or finals.pop(reference, None)
        if baseline is None:
            raise ConfigError(f"{run}: reference arm {reference!r} has no trained model; pass --against BASELINE")
        return baseline, finals
    if against is None:
        raise ConfigError("--against BASELINE is required when MODEL_OR_RUN is a single model (or pass a study folder)")
    return against, {label: model_or_run}


@app.command("run")
def run_command(model_or_run: str = typer.Argument(..., help="Model name/folder/hub id, or a study run folder."),
                against: str = typer.Option(None, "--against", help="Baseline model (default: the run's reference "
                                                                    "arm)."),
                config: Path = typer.Option(None, "--config", help="YAML: a `persist:` mapping, or a study config "
                                                                   "with a `persist:` key."),
                out: Path = typer.Option(..., "--out", help="Output folder."),
                preset: str = typer.Option(None, "--preset", help="quick (default) or paper."),
                data_dir: str = typer.Option(None, "--data-dir", help="Benchmark data folder."),
                seed: int = typer.Option(None, "--seed", help="Seed (default: the study's, else 0)."),
                label: str = typer.Option("trait", "--label", help="Name of MODEL in the results."),
                set_: list[str] = typer.Option(None, "--set", help="Override a persist key, e.g. "
                                                                   "--set harmful_ft.steps=[0,10]")) -> None:
    """Attack a trait model and its baseline; write the erosion curve, ASR bars, pressure drops and the index."""
    from traitrl._util.config import apply_overrides, load_yaml, parse_overrides
    from traitrl.persist import load_persist_config, run_persistence

    raw = load_yaml(config) if config else {}
    study = "persist" in raw or "arms" in raw
    persist_raw = dict(raw.get("persist") or {}) if study else raw
    if preset:
        persist_raw["preset"] = preset
    persist_raw = apply_overrides(persist_raw, parse_overrides(set_))
    cfg = load_persist_config(persist_raw, source=str(config or "--set"))
    baseline, arms = resolve_models(model_or_run, against, label)
    section = run_persistence(baseline, arms, cfg, out, data_dir=data_dir or (raw.get("benchmark_dir") if study
                                                                              else None),
                              seed=seed if seed is not None else int(raw.get("seed", 0) if study else 0))
    for row in section["selective_persistence"]:
        console.print(f"{row['model']}: SPI {row['index']:+.1f} pp [{row['ci_low']:+.1f}, {row['ci_high']:+.1f}]")
    console.print(f"persistence results: {out}/persistence.json, index.json, erosion.png, asr.png, pressure_drops.md")
