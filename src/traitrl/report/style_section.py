"""Report section "Response style": the style covariates (evals.style) of every evaluated model, side by side.

A benchmark gain that comes with a jump in, say, the Yes rate or the benign refusal rate may be a change of answer
style rather than of the trait; this table lets the reader check. Rows are covariates, columns models. The model
and the two renderers have the shape of a registered report section (a pydantic model; html(model) -> str;
markdown(model) -> lines, both without the heading), registered as "style_covariates" and filled by the study from
every arm's eval folder (`style_section`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from traitrl.evals.style import COVARIATES, style_covariates
from traitrl.report.registry import SectionSpec, html_text_table, markdown_text_table, register_section

LABELS = {
    "benign_refusal_rate": "refusal rate, benign prompts",
    "bbq_unknown_rate": "BBQ 'unknown' rate (0.5 = right)",
    "bbq_s_dis": "BBQ bias s_DIS (0 = none)",
    "bbq_s_amb": "BBQ bias s_AMB (0 = none)",
    "persona_yes_rate": "persona Yes rate (0.5 = no bias)",
    "first_letter_rate": "A/B first-letter rate (0.5 = no bias)",
    "stated_confidence_rate": "stated-confidence rate",
    "crows_pct_stereotype": "CrowS-Pairs % stereotype (0.5 = none)",
    "mean_reply_words": "mean reply length (words)",
    "repeated_word_share": "repeated-word share of replies (0 = none)",
}


class StyleSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[str] = Field(min_length=1)
    values: dict[str, list[float | None]] = Field(description="Covariate → one value per model (None: not run).")


def style_section(eval_dirs: dict[str, Path]) -> StyleSection:
    """Covariates of each model (name → its eval records folder); a model without records gives None values."""
    per_model = {name: style_covariates(path) if path.is_dir() else dict.fromkeys(COVARIATES)
                 for name, path in eval_dirs.items()}
    return StyleSection(models=list(per_model), values={c: [per_model[m][c] for m in per_model] for c in COVARIATES})


def _rows(section: StyleSection) -> list[list[str]]:
    return [[LABELS[c]] + ["–" if v is None else f"{v:.2f}" for v in section.values[c]] for c in COVARIATES]


def style_html(section: StyleSection) -> str:
    return html_text_table(["covariate", *section.models], _rows(section),
                           'Read benchmark gains against these: a change of answer style (refusing, "unknown", Yes, the '
                           "first letter, length) moves many benchmarks at once; repetition marks degeneration.")


def style_markdown(section: StyleSection) -> list[str]:
    return markdown_text_table(["covariate", *section.models], _rows(section))


register_section(SectionSpec("style_covariates", "Response style", StyleSection, html=style_html,
                             markdown=style_markdown))
