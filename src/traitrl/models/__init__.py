"""Models: one interface (`generate`, `loglikelihood`) over local weights, the fast CPU engine, vLLM and any
OpenAI-compatible endpoint; the model store; the one HTTP client and the judge spec."""

from traitrl.models.base import MODEL_BACKENDS, GenParams, LoglikelihoodUnsupported, Model, get_model, register_model

__all__ = ["MODEL_BACKENDS", "GenParams", "LoglikelihoodUnsupported", "Model", "get_model", "register_model"]
