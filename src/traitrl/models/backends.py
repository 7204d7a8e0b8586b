"""Imports every built-in backend module so that its @register_model runs (heavy libraries load lazily inside)."""

from traitrl.models import hf, openai_api, vllm_offline  # noqa: F401
