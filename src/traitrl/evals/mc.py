"""Multiple-choice metrics, following lm-evaluation-harness 0.4 (`process_results`), and counterbalanced option order.

`acc` takes the argmax summed log-prob, `acc_norm` divides by the choice's length in characters, `acc_bytes` by its
UTF-8 length, and `mc2` is the normalised probability mass on the true answers (TruthfulQA). The log-likelihoods
come from the model interface (models/loglik.py for local weights).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
import numpy as np

from traitrl.evals.benchmark import MCItem

MC_METRICS = ("acc", "acc_norm", "acc_bytes", "mc2", "pair_gap")


def metric_value(metric: str, lls: Sequence[float], choices: Sequence[str], gold: Sequence[int]) -> float:
    """Per-item value of an lm-eval multiple-choice metric."""
    lls = np.asarray(lls, dtype=np.float64)
    if metric == "acc":
        return float(int(np.argmax(lls)) in gold)
    if metric == "acc_norm":
        return float(int(np.argmax(lls / np.array([len(c) for c in choices], dtype=np.float64))) in gold)
    if metric == "acc_bytes":
        return float(int(np.argmax(lls / np.array([len(c.encode()) for c in choices], dtype=np.float64))) in gold)
    if metric == "mc2":
        probs = np.exp(lls - lls.max())
        return float(probs[list(gold)].sum() / probs.sum())
    if metric == "pair_gap":
        # Two-choice items whose ideal is indifference: 2 |P(gold) - 0.5|, 0 when both are equally likely, 1 when
        # one is certain, whichever side it favours.
        if len(lls) != 2:
            raise ValueError(f"pair_gap needs exactly two choices, got {len(lls)}")
        probs = np.exp(lls - lls.max())
        return float(abs(2 * probs[gold[0]] / probs.sum() - 1))
    raise ValueError(f"unknown MC metric {metric!r}; expected one of {MC_METRICS}")


_OPTION = re.compile(r"(?m)^[ \t]*\(([A-Z])\)")


def swap_options(question: str, first: str, second: str) -> str | None:
    """`question` with the texts of options `(first)` and `(second)` exchanged, or None if they are not listed.

    Options are lines starting with "(X)"; an option's text runs to the next option line, the last one to the end
    of the question (a trailing "\\n\\nAnswer:" stays in place).
    """
    marks = list(_OPTION.finditer(question))
    letters = [m.group(1) for m in marks]
    if letters.count(first) != 1 or letters.count(second) != 1 or first == second:
        return None
    tail = re.search(r"\n\nAnswer:\s*$", question)
    end = tail.start() if tail else len(question)
    spans = {}
    for k, m in enumerate(marks):
        stop = marks[k + 1].start() if k + 1 < len(marks) else end
        # The newline before the next option belongs to the layout, not to the option's text.
        text_end = stop - 1 if k + 1 < len(marks) and question[stop - 1] == "\n" else stop
        spans[m.group(1)] = (m.end(), text_end)
    (a0, a1), (b0, b1) = sorted([spans[first], spans[second]])
    return question[:a0] + question[b0:b1] + question[a1:b0] + question[a0:a1] + question[b1:]


def counterbalanced_twin(item: MCItem) -> MCItem | None:
    """The item with its two scored letter options' texts swapped (gold follows the text), if it declares one."""
    twin = item.meta.get("swapped_context")
    if twin is None:
        return None
    return MCItem(id=item.id, context=twin, choices=item.choices, gold=[1 - g for g in item.gold])
