"""Near-duplicate detection over scenario conversations: MinHash signatures of word 3-gram shingles, banded LSH for
candidates, exact Jaccard to confirm. Used by `data stats` (near-duplicate rate) and `data generate` (reject rows that
near-copy the bank)."""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

import numpy as np

from traitrl.data.scenario import Scenario

# Word 3-gram Jaccard at which two conversations count as near-copies (a changed persona or number stays above it).
NEAR_DUP_JACCARD = 0.7
_N_HASHES, _BANDS = 64, 16
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(0)
_A = _RNG.integers(1, _PRIME, _N_HASHES, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, _N_HASHES, dtype=np.uint64)


def conversation_text(scenario: Scenario) -> str:
    """The user and assistant turns: system prompts are shared by design and would make everything look alike."""
    return "\n".join(t.content for t in scenario.turns if t.role != "system")


def shingles(text: str, k: int = 3) -> frozenset[int]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    grams = [" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))]
    return frozenset(zlib.crc32(g.encode()) for g in grams)


def _signature(ids: frozenset[int]) -> np.ndarray:
    x = np.fromiter(ids, dtype=np.uint64, count=len(ids))[:, None]
    # Multiply-shift hashing in uint64 (wrapping is fine: only the per-row minimum matters and it is deterministic).
    return (x * _A + _B).min(axis=0) if len(ids) else np.zeros(_N_HASHES, dtype=np.uint64)


class NearDupIndex:
    """Add texts under keys; `match(text)` returns the most similar indexed key at Jaccard >= threshold, or None."""

    def __init__(self, threshold: float = NEAR_DUP_JACCARD) -> None:
        self.threshold = threshold
        self.sets: dict[str, frozenset[int]] = {}
        self.buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)

    def _bands(self, ids: frozenset[int]) -> list[tuple[int, bytes]]:
        sig = _signature(ids)
        rows = _N_HASHES // _BANDS
        return [(b, sig[b * rows:(b + 1) * rows].tobytes()) for b in range(_BANDS)]

    def add(self, key: str, text: str) -> None:
        ids = shingles(text)
        self.sets[key] = ids
        for band in self._bands(ids):
            self.buckets[band].append(key)

    def match(self, text: str) -> tuple[str, float] | None:
        ids = shingles(text)
        candidates = {k for band in self._bands(ids) for k in self.buckets.get(band, ())}
        best = max(((k, len(ids & self.sets[k]) / len(ids | self.sets[k])) for k in candidates),
                   key=lambda kv: kv[1], default=None)
        return best if best is not None and best[1] >= self.threshold else None


def near_duplicate_rate(scenarios: list[Scenario], threshold: float = NEAR_DUP_JACCARD) -> float:
    """Share of scenarios that near-copy an earlier one in the list."""
    index, n_dup = NearDupIndex(threshold), 0
    for s in scenarios:
        text = conversation_text(s)
        n_dup += index.match(text) is not None
        index.add(s.id, text)
    return n_dup / len(scenarios) if scenarios else 0.0


__all__ = ["NEAR_DUP_JACCARD", "NearDupIndex", "conversation_text", "near_duplicate_rate", "shingles"]
