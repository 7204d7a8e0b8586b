"""Fixtures for the eval tests: one tiny random-init model per session, loaded once."""

from dataclasses import dataclass

import pytest

from helpers import tiny_model_dir


@dataclass
class TinyLM:
    path: str
    model: object
    tokenizer: object

    def kwargs(self) -> dict:
        """run_benchmarks arguments that reuse the loaded model instead of loading it again."""
        return {"model_obj": self.model, "tokenizer": self.tokenizer}


@pytest.fixture(scope="session")
def tiny_lm() -> TinyLM:
    from traitrl.models.store import load_model, load_tokenizer

    path = str(tiny_model_dir())
    return TinyLM(path, load_model(path), load_tokenizer(path))
