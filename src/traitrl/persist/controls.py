"""The persistence suite's control measures, run after the main suite: persona persistence (persist.persona) and
the harmful fine-tuning attack sweep (persist.attack_sweep). Outputs: DIR/persona/<model>/ eval records and
DIR/attack_sweep/sweep.json, read by the report (report.persona); wall time and peak RSS of each in DIR/timings.json."""

from __future__ import annotations

from pathlib import Path

from traitrl._util.timing import timed_stage
from traitrl.persist.attack_sweep import run_attack_sweep
from traitrl.persist.config import PersistConfig, load_persist_config
from traitrl.persist.persona import run_persona
from traitrl.persist.run import BASELINE, Suite


def run_persist_controls(baseline_model: Path | str, arms: dict[str, Path | str], config: dict | PersistConfig | None,
                         out_dir: Path, data_dir: str | None = None, seed: int = 0) -> None:
    """Persona persistence and the attack sweep for the baseline and every arm, each when enabled in `config`."""
    from traitrl.evals.data_dir import benchmark_dir

    cfg = load_persist_config(config)
    models = {BASELINE: baseline_model, **arms}
    data = benchmark_dir(data_dir)
    if cfg.persona.enabled:  # wall times go to DIR/timings.json, to compare with `traitrl plan` per stage
        with timed_stage(Path(out_dir), "persona"):
            run_persona(models, cfg.persona, Path(out_dir) / "persona", data, cfg.bank_seed, seed, cfg.batch_size)
    if cfg.attack_sweep.enabled:
        with timed_stage(Path(out_dir), "attack_sweep"):
            run_attack_sweep(models, Suite(cfg, data, list(models.values()), seed), Path(out_dir) / "attack_sweep")
