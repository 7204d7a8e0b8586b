"""traitrl: beneficial-trait RL (Jagadeesh et al. 2026) — dose trait data into GRPO, evaluate broadly, report honestly."""

__version__ = "0.1.0"
