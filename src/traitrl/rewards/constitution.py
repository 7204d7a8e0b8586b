"""The constitution reward (RLAIF): a judge scores each reply against the principles of a constitution.

Departs from Bai et al. 2022 (Constitutional AI): they trained a preference model on AI-labeled comparisons and used
it as the reward; here the feedback model scores replies directly. Offline, the feedback model is a local causal LM
asked "Does the response follow the principle …? Answer Yes or No." and the reward is P(" Yes") / (P(" Yes") +
P(" No")), averaged over the principles (a log-likelihood read-out, so it always parses). With an OpenAI-compatible
endpoint, the judge sees every principle and answers `SCORE: <0-10>` (parsed by `models.judge`). Scenario rubrics are
never used: that is the point of the comparison with the trait arm. The constitution file format is described in
constitutions/default.md; parse errors name file:line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitrl._util.errors import DataError
from traitrl._util.io import read_text_checked
from traitrl.models.judge import JudgeConfig, Messages, judge_client
from traitrl.rewards.registry import Grader, grader, text_of

# Package data, so an installed (non-editable) traitrl finds it; constitutions/default.md links here.
DEFAULT_CONSTITUTION = Path(__file__).resolve().parent / "constitutions" / "default.md"
FIELDS = {"principle": "statement", "critique": "critique_request", "revision": "revision_request"}
_HEADING = re.compile(r"^##\s+(\S.*?)\s*$")
_ID = re.compile(r"^[a-z0-9_]+$")
_KEY = re.compile(r"^(principle|critique|revision)\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Principle:
    id: str
    statement: str
    critique_request: str
    revision_request: str


@dataclass(frozen=True)
class Constitution:
    path: str
    principles: tuple[Principle, ...]

    def principle(self, principle_id: str) -> Principle:
        return next(p for p in self.principles if p.id == principle_id)


def parse_constitution(text: str, path: str = "<constitution>") -> Constitution:
    """Principles from the markdown format of constitutions/default.md; DataError naming path:line otherwise."""
    principles: list[Principle] = []
    current: dict[str, Any] | None = None
    key: str | None = None

    def close(lineno: int) -> None:
        if current is None:
            return
        missing = [k.capitalize() for k, f in FIELDS.items() if not current.get(f)]
        if missing:
            raise DataError(f"{path}:{current['line']}: principle {current['id']!r} has no "
                            f"{', '.join(m + ':' for m in missing)} field; add it before line {lineno}")
        principles.append(Principle(id=current["id"], **{f: " ".join(current[f]) for f in FIELDS.values()}))

    lines = text.splitlines()
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("<!--"):
            continue
        heading = _HEADING.match(line)
        if heading:
            close(lineno)
            pid = heading.group(1)
            if not _ID.match(pid):
                raise DataError(f"{path}:{lineno}: principle id {pid!r} must be lowercase letters, digits and _")
            if any(p.id == pid for p in principles):
                raise DataError(f"{path}:{lineno}: principle {pid!r} is defined twice; give each a unique id")
            current, key = {"id": pid, "line": lineno}, None
            continue
        if current is None:
            continue  # preamble before the first principle
        field = _KEY.match(line)
        if field:
            key = FIELDS[field.group(1).lower()]
            if key in current:
                raise DataError(f"{path}:{lineno}: principle {current['id']!r} has a second "
                                f"{field.group(1).capitalize()}: field; keep one")
            current[key] = [field.group(2)] if field.group(2) else []
        elif key is None:
            raise DataError(f"{path}:{lineno}: text {line[:40]!r} in principle {current['id']!r} comes before any "
                            "field; start it with Principle:, Critique: or Revision:")
        else:
            current[key].append(line)
    close(len(lines) + 1)
    if not principles:
        raise DataError(f"{path}:1: no principles found; each starts with a `## <id>` heading")
    return Constitution(path=path, principles=tuple(principles))


def read_constitution(path: str | Path | None = None) -> Constitution:
    """Read a constitution file (None = constitutions/default.md)."""
    path = Path(path) if path is not None else DEFAULT_CONSTITUTION
    if not path.is_file():
        raise DataError(f"{path}: constitution file not found; set `constitution.path` to a markdown file in the "
                        "format of constitutions/default.md")
    return parse_constitution(read_text_checked(path), str(path))


def render_conversation(messages: Messages) -> str:
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)


# A judge maps (conversations, replies, principles) to one score in [0, 1] per reply, or None when it failed.
ConstitutionJudge = Callable[[Sequence[Messages], Sequence[str], Sequence[Principle]], list[float | None]]


def principle_question(conversation: Messages, reply: str, principle: Principle) -> Messages:
    user = (f"<conversation>\n{render_conversation(conversation)}\n</conversation>\n\n"
            f"<response>\n{reply}\n</response>\n\n"
            f"Principle: {principle.statement}\n\n"
            "Does the response follow the principle? Answer Yes or No.")
    return [{"role": "user", "content": user}]


class LogitJudge:
    """Offline judge: P(" Yes") vs P(" No") for each principle from a local causal LM, averaged over principles."""

    def __init__(self, model: str, batch_size: int = 8, max_length: int = 2048) -> None:
        import torch

        from traitrl.models.store import load_model, load_tokenizer

        self.tokenizer = load_tokenizer(model)
        self.tokenizer.padding_side = "left"
        self.model = load_model(model, device="cuda" if torch.cuda.is_available() else None).eval()
        self.batch_size, self.max_length = batch_size, max_length
        self.yes_no = [self._first_token(w) for w in (" Yes", " No", "Yes", "No")]

    def _first_token(self, word: str) -> int:
        return self.tokenizer(word, add_special_tokens=False)["input_ids"][0]

    def prob_yes(self, questions: Sequence[Messages]) -> list[float]:
        """P(yes) / (P(yes) + P(no)), summing the spaced and unspaced forms; one forward pass per batch."""
        import torch

        out: list[float] = []
        for start in range(0, len(questions), self.batch_size):
            texts = [self.tokenizer.apply_chat_template(q, add_generation_prompt=True, tokenize=False)
                     for q in questions[start:start + self.batch_size]]
            # Truncate from the left: the question and the reply sit at the end of the prompt.
            self.tokenizer.truncation_side = "left"
            batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                   max_length=self.max_length, add_special_tokens=False).to(self.model.device)
            with torch.no_grad():
                logits = self.model(**batch).logits[:, -1, :].float()
            probs = torch.softmax(logits, dim=-1)[:, self.yes_no]
            yes, no = probs[:, 0] + probs[:, 2], probs[:, 1] + probs[:, 3]
            out += (yes / (yes + no).clamp_min(1e-12)).tolist()
        return out

    def __call__(self, conversations: Sequence[Messages], replies: Sequence[str],
                 principles: Sequence[Principle]) -> list[float | None]:
        questions = [principle_question(c, r, p) for c, r in zip(conversations, replies, strict=True)
                     for p in principles]
        probs = self.prob_yes(questions)
        k = len(principles)
        return [sum(probs[i * k:(i + 1) * k]) / k for i in range(len(replies))]


ENDPOINT_SYSTEM_PROMPT = (
    "You grade one assistant reply against a constitution: a list of principles the assistant should follow. Judge "
    "substance, not length or keywords; refusing a reasonable request does not follow the principles. Think briefly, "
    "then end with a final line exactly of the form `SCORE: <integer 0-10>`.")


def endpoint_messages(conversation: Messages, reply: str, principles: Sequence[Principle]) -> Messages:
    listed = "\n".join(f"- {p.id}: {p.statement}" for p in principles)
    user = (f"<conversation>\n{render_conversation(conversation)}\n</conversation>\n\n"
            f"<principles>\n{listed}\n</principles>\n\n<reply>\n{reply}\n</reply>\n\n"
            "How well does the reply, as the assistant's next turn, follow the principles? 10 = follows every "
            "relevant principle; 0 = clearly violates them. End with `SCORE: <0-10>`.")
    return [{"role": "system", "content": ENDPOINT_SYSTEM_PROMPT}, {"role": "user", "content": user}]


class EndpointJudge:
    """OpenAI-compatible judge (0-10 score via JudgeClient); a reply that fails after retries scores None."""

    def __init__(self, config: JudgeConfig) -> None:
        self.client = judge_client(config)
        self.n_errors = 0

    def __call__(self, conversations: Sequence[Messages], replies: Sequence[str],
                 principles: Sequence[Principle]) -> list[float | None]:
        results = self.client.score_many_sync([endpoint_messages(c, r, principles)
                                               for c, r in zip(conversations, replies, strict=True)])
        self.n_errors += sum(r.score is None for r in results)
        return [r.score for r in results]


def make_judge(judge: str | dict | JudgeConfig, batch_size: int = 8) -> ConstitutionJudge:
    """A local model folder / hub id → LogitJudge; a JudgeConfig (or its dict) → EndpointJudge."""
    if isinstance(judge, str):
        return LogitJudge(judge, batch_size=batch_size)
    return EndpointJudge(JudgeConfig.model_validate(judge) if isinstance(judge, dict) else judge)


def make_constitution_reward(constitution: Constitution, judge: ConstitutionJudge) -> Grader:
    """The reward callable for any judge object (tests pass a scripted one): None on rows that are not trait rows."""

    def grade(prompts: list, completions: list, *, source: list[str], **_: Any) -> list[float | None]:
        if len(source) != len(completions):
            raise DataError(f"dataset column `source` has {len(source)} rows for {len(completions)} completions")
        index = [i for i, s in enumerate(source) if s == "trait"]
        out: list[float | None] = [None] * len(completions)
        if not index:
            return out
        scores = judge([prompts[i] for i in index], [text_of(completions[i]) for i in index],
                       constitution.principles)
        # A failed judge call stays None (not 0.0) and is counted, like trait_reward's judge errors.
        grade.n_judge_errors += sum(s is None for s in scores)
        for i, s in zip(index, scores, strict=True):
            out[i] = s
        return out

    grade.n_judge_errors = 0
    return grade


@grader("constitution_reward", version=1)
def constitution_reward(judge: str | dict, path: str | None = None, batch_size: int = 8) -> Grader:
    """Constitution judge score in [0, 1] on trait rows, None on task rows. `judge`: a local model folder or hub id
    (log-likelihood Yes/No judge) or an OpenAI-compatible JudgeConfig dict; `path`: constitution file."""
    return make_constitution_reward(read_constitution(path), make_judge(judge, batch_size=batch_size))
