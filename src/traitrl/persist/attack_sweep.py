"""Harmful fine-tuning over a grid of attack settings: the erosion measure of persist.harmful_ft at every
learning rate × step count, with the same attack data, scenarios and behaviours for every model.

Why: defences that look persistent at one attack setting can give no advantage once the attacker's hyperparameters
are swept (TamperBench). The report puts the worst case per model beside the default setting (report.persona).
One SFT run per (model, lr) measures every step count of the grid; step 0 is measured once per model.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from traitrl._util.io import read_json, write_json_atomic


class AttackSweepSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(False, description="Run the sweep (one SFT run per model and learning rate).")
    lrs: list[float] = Field(default_factory=lambda: [5e-5, 2e-4, 1e-3], description="Attack learning rates.")
    steps: list[int] = Field(default_factory=lambda: [0, 10, 25], description="Step counts measured in each run.")

    @model_validator(mode="after")
    def _check(self) -> AttackSweepSettings:
        if sorted(set(self.steps)) != self.steps or self.steps[0] != 0 or len(self.steps) < 2:
            raise ValueError(f"attack_sweep.steps must be increasing, distinct, start at 0 and go past it; "
                             f"got {self.steps}")
        if not self.lrs or any(lr <= 0 for lr in self.lrs):
            raise ValueError(f"attack_sweep.lrs must be positive learning rates, got {self.lrs}")
        return self


def run_attack_sweep(models: dict[str, str | Path], suite, out_dir: str | Path) -> list[dict]:
    """Sweep cells {model, lr, steps, trait_score, pref_score, asr} for every model over the grid plus the default
    attack, from `suite`'s shared attack inputs (a persist.run.Suite); DIR/sweep.json caches them, keyed by the settings, so a
    resumed study skips the sweep."""
    from traitrl.persist.harmful_ft import run_erosion
    from traitrl.models.store import load_model, load_tokenizer

    cfg, sweep = suite.cfg, suite.cfg.attack_sweep
    path = Path(out_dir) / "sweep.json"
    key = {"models": {k: str(v) for k, v in models.items()}, "settings": sweep.model_dump(),
           "harmful_ft": cfg.harmful_ft.model_dump(), "seed": suite.seed,
           "preference_items": [it.id for it in suite.pref_items]}
    if path.is_file() and read_json(path).get("key") == key:
        return read_json(path)["cells"]
    ft = cfg.harmful_ft
    # The default attack (harmful_ft's lr and step counts) is always a cell, so the worst case sits beside it.
    lrs, grid = sorted(set(sweep.lrs) | {ft.sft.lr}), sorted(set(sweep.steps) | set(ft.steps))
    cells = []
    for label, model_path in models.items():
        for k, lr in enumerate(lrs):
            steps = grid if k == 0 else grid[1:]  # step 0 does not depend on the lr
            tokenizer, model = load_tokenizer(str(model_path)), load_model(str(model_path), dtype="float32")
            points = run_erosion(model, tokenizer, suite.train_pairs, steps, ft.sft.model_copy(update={"lr": lr}),
                                 suite.heldout[:ft.n_eval_scenarios], suite.ft_behaviors, [], suite.scorer,
                                 suite.success, cfg.max_new_tokens, cfg.batch_size, cfg.n_boot, suite.seed,
                                 suite.pref_items)
            # The likelihood preference too: the rubric score can sit at the floor, where no attack can lower it.
            cells += [{"model": label, "lr": lr, "steps": p["step"], "trait_score": p["trait_score"],
                       "pref_score": p.get("pref_score"), "asr": p["asr"]} for p in points]
    write_json_atomic(path, {"key": key, "cells": cells})
    return cells
