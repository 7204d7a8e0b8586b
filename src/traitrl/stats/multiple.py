"""Multiple-comparison adjustment over one arm's benchmark family: Holm (family-wise) and Benjamini–Hochberg (FDR)."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (controls the family-wise error rate under any dependence)."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    m = p.size
    # Step-down: the k-th smallest p is multiplied by (m - k), then a running max keeps adjusted p monotone.
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, stepped)
    return adjusted


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (controls the false discovery rate for independent tests)."""
    p = np.asarray(p_values, dtype=float)
    return p if p.size == 0 else sps.false_discovery_control(p, method="bh")
