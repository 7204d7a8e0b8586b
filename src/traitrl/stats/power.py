"""What a comparison can detect before anyone looks at its result: smallest attainable p and minimum detectable effect.

Both the exact McNemar test and the exact sign-flip test reach their smallest two-sided p when every one of the n
paired items moves the same way: 2 · 0.5^n. When that is above the corrected threshold, no benchmark of that size
can ever be significant, whatever the model does. The MDE is the normal-approximation effect with `power` at the
two-sided threshold, from the per-item difference's standard deviation (observed, or from a planning default).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

# Planning default when nothing was measured: a per-item 0/1 difference with 20 % discordant pairs has
# SD sqrt(0.2) = 0.447 (44.7 pp). The quick study's base-vs-baseline discordance was of this order.
DEFAULT_DISCORDANCE = 0.2


def smallest_p(n_items: int) -> float:
    """Smallest two-sided p that n paired items can give (all n discordant the same way)."""
    return 1.0 if n_items <= 0 else min(1.0, 2.0 * 0.5 ** n_items)


def family_threshold(alpha: float, m: int) -> float:
    """The threshold the most significant benchmark must beat: alpha / m for both Holm and BH (first step)."""
    return alpha / max(m, 1)


def z_mde(se: float, threshold: float, power: float = 0.8) -> float:
    """Effect detected with `power` by a two-sided z-test at `threshold` given its standard error."""
    return float((sps.norm.ppf(1 - threshold / 2) + sps.norm.ppf(power)) * se)


def t_mde(sd: float, k: int, threshold: float = 0.05, power: float = 0.8) -> float | None:
    """Effect a one-sample t-test over k replicates (seeds) detects with `power`; None below two replicates."""
    if k < 2:
        return None
    return float((sps.t.ppf(1 - threshold / 2, k - 1) + sps.t.ppf(power, k - 1)) * sd / math.sqrt(k))


def benchmark_mde(item_sd: float, n_items: int, threshold: float, power: float = 0.8) -> float | None:
    """MDE of one benchmark's Δ (same unit as item_sd); None when its smallest attainable p misses the threshold."""
    if smallest_p(n_items) > threshold:
        return None
    return z_mde(planning_se(item_sd, n_items), threshold, power)


def planning_se(item_sd: float, n_items: int) -> float:
    """SE of a benchmark's Δ for power purposes: an all-tied benchmark (SD 0) still has sampling noise."""
    return (item_sd if item_sd > 0 else math.sqrt(DEFAULT_DISCORDANCE) * 100) / math.sqrt(max(n_items, 1))


def pooled_se(ses: list[float]) -> float:
    """Standard error of the mean of independent benchmark Δs."""
    return float(np.sqrt(np.sum(np.square(ses))) / len(ses)) if ses else math.nan
