from pathlib import Path

import typer
from rich.console import Console

from traitrl.cli._options import load_study_config
from traitrl.cli.study import SET_HELP

console = Console()


def train_command(config: Path = typer.Argument(..., help="Study YAML."),
                      arm: str = typer.Option(..., help="Arm name from the config's `arms`."),
                      out: Path = typer.Option(..., "--out", help="Study directory (writes DIR/arms/ARM/)."),
                      resume: bool = typer.Option(True, help="Resume from the last checkpoint."),
                      set_: list[str] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Train one arm of a study: build its dosed mix, then GRPO (or the constitution pipeline)."""
    from traitrl._util.errors import ConfigError
    from traitrl.study import build_arm_mix, build_bank_file, train_arm

    cfg = load_study_config(config, set_)
    if arm not in {a.name for a in cfg.arms}:
        raise ConfigError(f"unknown arm {arm!r}; the config has {[a.name for a in cfg.arms]}")
    arm_cfg = cfg.arm(arm)
    arm_dir = out / "arms" / arm
    if not resume:  # the mix and its recorded settings are redone too, not only the training
        from traitrl.train.checkpoints import clear_outputs

        clear_outputs(arm_dir, ["mix.jsonl", "mix_summary.json", "run_config.json"])
    rows = build_arm_mix(cfg, arm_cfg, build_bank_file(cfg, out), arm_dir)
    console.print(f"final model: {train_arm(cfg, arm_cfg, rows, arm_dir, resume)}")
