"""Local Hugging Face weights (CPU or GPU): `hf:PATH` (HF generate), `fast:PATH` (the fast CPU engine), or a plain
built-in name / folder / hub id (the fast engine where it applies, else HF generate). Weights load on the GPU where
there is one (option `device` to choose); log-likelihoods and replies then run there."""

from __future__ import annotations

from traitrl._util.errors import ConfigError
from traitrl.models.base import GenParams, Messages, register_model
from traitrl.models.loglik import PRECISIONS


class HFModel:
    """The model and tokenizer, loaded on first use (or given, e.g. a model being fine-tuned in memory)."""

    def __init__(self, path: str, name: str | None = None, engine: str = "auto", model_obj=None, tokenizer=None,
                 batch_size: int = 16, dtype: str = "float32", device: str | None = None) -> None:
        self.path, self.name, self.engine = path, name or path, engine
        self._model, self._tokenizer, self._fingerprint = model_obj, tokenizer, None
        self.batch_size, self.dtype = batch_size, dtype
        self.device = _pick_device(model_obj, device)

    @property
    def compute(self) -> str:
        """The device type the outputs are computed on ('cpu', 'cuda', ...), known before the weights load."""
        import torch

        return torch.device(self.device).type

    @property
    def model(self):
        if self._model is None:
            from traitrl.models.store import load_model

            self._model = load_model(self.path, dtype=self.dtype, device=self.device)
        return self._model

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from traitrl.models.store import load_tokenizer

            self._tokenizer = load_tokenizer(self.path)
        return self._tokenizer

    @property
    def fingerprint(self) -> str:
        """Hash of the weights themselves, never the path: a replaced model.safetensors is another model."""
        if self._fingerprint is None:
            from pathlib import Path

            from traitrl._util.fingerprint import module_fingerprint, weights_fingerprint
            from traitrl.models.store import resolve_model

            folder = Path(resolve_model(self.path)) if self._model is None else None
            if folder is not None and folder.is_dir():
                self._fingerprint = weights_fingerprint(folder)
            else:  # an in-memory model (e.g. being fine-tuned), or a hub id loaded through the HF cache
                self._fingerprint = module_fingerprint(self.model)
        return self._fingerprint

    def generate(self, conversations: list[Messages], params: GenParams) -> list[str]:
        from traitrl.models.generate import generate_responses

        if params.temperature != 0.0:
            raise ConfigError(f"model {self.name!r}: local weights generate greedily here (temperature 0); "
                              f"got temperature {params.temperature}")
        return generate_responses(self.model, self.tokenizer, conversations, params.max_new_tokens,
                                  params.batch_size, engine=self.engine)

    def render_chat(self, messages: Messages) -> str:
        from traitrl.models.loglik import render_context

        return render_context(self.tokenizer, messages)

    mc_precisions = PRECISIONS  # other backends score log-likelihoods in their own precision only

    def loglikelihood(self, contexts: list[str], continuations: list[list[str]],
                      precision: str = "fp32") -> list[list[float]]:
        from traitrl.models.loglik import encode_request, score_requests

        tok = self.tokenizer
        requests = [encode_request(tok, c, conts) for c, conts in zip(contexts, continuations, strict=True)]
        pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        return score_requests(self.model, requests, self.batch_size, pad_id, precision)


def _pick_device(model_obj, device: str | None) -> str:
    """A given model's own device; else `device`; else the GPU where there is one (CUDA_VISIBLE_DEVICES="" keeps a
    GPU machine's scoring on the CPU)."""
    import torch

    if model_obj is not None:
        own = str(next(model_obj.parameters()).device)
        if device is not None and torch.device(device).type != torch.device(own).type:
            raise ConfigError(f"device {device!r} given for a model that is already on {own!r}")
        return own
    if device is not None:
        try:
            kind = torch.device(device).type
        except RuntimeError as e:
            raise ConfigError(f"device: {e}") from None
        if kind == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"device {device!r}: no CUDA GPU is visible here")
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


@register_model("auto")
def _auto(path: str, **options) -> HFModel:
    return HFModel(path, engine="auto", **options)


@register_model("hf")
def _hf(path: str, **options) -> HFModel:
    return HFModel(path, engine="hf", **options)


@register_model("fast")
def _fast(path: str, **options) -> HFModel:
    return HFModel(path, engine="fast", **options)
