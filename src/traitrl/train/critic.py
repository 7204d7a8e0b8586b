"""SL-CAI data (Bai et al. 2022, §3): the policy answers, a critic critiques against a sampled principle, then revises.

A generator is any callable mapping a batch of chat conversations to one reply each (None when a remote call failed
after retries): `LocalGenerator` samples from a local causal LM (the fast rollout engine on CPU, else HF `generate`),
`EndpointGenerator` asks an OpenAI-compatible endpoint. Tests pass scripted callables. Departure from the paper: the
critic is whatever model is configured (offline, the 135M embedded model), so critiques are far weaker than a
52B feedback model's; the pipeline and the compute accounting are the same either way.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from traitrl.models.judge import JudgeConfig, Messages
from traitrl.rewards.constitution import Constitution, Principle, render_conversation

Generator = Callable[[Sequence[Messages]], list[str | None]]
CountTokens = Callable[[str], int]

CRITIC_PREAMBLE = ("Below is a conversation between a user and an AI assistant. The last [assistant] turn is the "
                   "reply under review.")
REVISION_SUFFIX = "Write only the revised reply, with no preamble."
_LABEL = re.compile(r"(?:^|\n)\s*(?:here(?:'s| is) (?:the |my )?)?(?:revised (?:reply|response)|revision|rewritten "
                    r"(?:reply|response))\s*:\s*", re.IGNORECASE)


class LocalGenerator:
    """Sample replies from a local causal LM: chat template, `batch_size` conversations per engine call."""

    def __init__(self, model, tokenizer, max_new_tokens: int, temperature: float = 1.0, batch_size: int = 8,
                 seed: int = 0) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.temperature, self.batch_size, self.seed = max_new_tokens, temperature, batch_size, seed
        self.n_calls = 0
        self.generated_tokens = 0  # exact count of sampled tokens (up to and including EOS)
        self.last_token_counts: list[int] = []  # per reply of the latest call

    def __call__(self, conversations: Sequence[Messages]) -> list[str | None]:
        from traitrl.models.rollout_engine import SamplingParams, eos_token_ids, local_engine

        tok = self.tokenizer
        eos = eos_token_ids(self.model, tok)
        # On CPU the fast engine samples (bf16, ~4x HF generate); elsewhere HF generate does.
        fast = local_engine(self.model)
        params = SamplingParams(self.max_new_tokens, eos, do_sample=self.temperature > 0,
                                temperature=self.temperature or 1.0)
        out: list[str | None] = []
        self.last_token_counts = []
        for start in range(0, len(conversations), self.batch_size):
            texts = [tok.apply_chat_template(list(c), add_generation_prompt=True, tokenize=False)
                     for c in conversations[start:start + self.batch_size]]
            # Seeded per call and batch, so a resumed run samples the same replies.
            torch_seed = self.seed * 1_000_003 + self.n_calls * 1_009 + start
            rows = (fast.generate_ids(tok(texts, add_special_tokens=False)["input_ids"], params, seed=torch_seed)
                    ["completion_ids"] if fast else self._hf_generate(texts, torch_seed))
            for row in rows:
                n = next((i + 1 for i, t in enumerate(row) if t in eos), len(row))
                self.generated_tokens += n
                self.last_token_counts.append(n)
                out.append(tok.decode(row[:n], skip_special_tokens=True).strip())
        self.n_calls += 1
        return out

    def _hf_generate(self, texts: list[str], seed: int) -> list[list[int]]:
        import torch

        tok = self.tokenizer
        side, tok.padding_side = tok.padding_side, "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        was_training = self.model.training
        self.model.eval()
        try:
            batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
            torch.manual_seed(seed)
            sample = self.temperature > 0
            with torch.no_grad():
                ids = self.model.generate(
                    **batch, max_new_tokens=self.max_new_tokens, do_sample=sample, pad_token_id=tok.pad_token_id,
                    **({"temperature": self.temperature, "top_p": 1.0, "top_k": 0} if sample else {}))
        finally:
            tok.padding_side = side
            self.model.train(was_training)
        return ids[:, batch["input_ids"].shape[1]:].tolist()


class EndpointGenerator:
    """Replies from an OpenAI-compatible endpoint; `max_tokens` is capped at the generation budget per call."""

    def __init__(self, config: JudgeConfig, max_new_tokens: int) -> None:
        from traitrl.models.chat import ChatClient

        self.client = ChatClient(config.model_copy(update={"max_tokens": min(config.max_tokens, max_new_tokens)}))
        self.n_errors = 0

    def __call__(self, conversations: Sequence[Messages]) -> list[str | None]:
        results = self.client.complete_many_sync(list(conversations))
        self.n_errors += sum(r.text is None for r in results)
        return [r.text for r in results]


def critique_messages(prompt: Messages, reply: str, principle: Principle) -> Messages:
    conversation = render_conversation([*prompt, {"role": "assistant", "content": reply}])
    return [{"role": "user", "content": f"{CRITIC_PREAMBLE}\n\n<conversation>\n{conversation}\n</conversation>\n\n"
                                        f"{principle.critique_request}"}]


def revision_messages(prompt: Messages, reply: str, principle: Principle, critique: str) -> Messages:
    return [*critique_messages(prompt, reply, principle), {"role": "assistant", "content": critique},
            {"role": "user", "content": f"{principle.revision_request} {REVISION_SUFFIX}"}]


def clean_revision(text: str) -> str:
    """Keep what follows the last 'Revision:' / "Here's the revised response:" label the critic may add."""
    labels = list(_LABEL.finditer(text))
    return (text[labels[-1].end():] if labels else text).strip()


def sample_principle(constitution: Constitution, seed: int, example: int, round_: int) -> Principle:
    # Keyed by (seed, example, round), not draw order, so a subset or a resumed run samples the same principles.
    return random.Random(f"{seed}:{example}:{round_}").choice(constitution.principles)


def token_counts(generator: Generator, texts: list[str | None], count_tokens: CountTokens) -> list[int]:
    """Exact sampled-token counts when the generator reports them (LocalGenerator), else `count_tokens` of the text."""
    exact = getattr(generator, "last_token_counts", None)
    if isinstance(exact, list) and len(exact) == len(texts):
        return exact
    return [count_tokens(t or "") for t in texts]


def critique_and_revise(prompts: Sequence[Messages], policy: Generator, critic: Generator,
                        constitution: Constitution, rounds: int, count_tokens: CountTokens,
                        seed: int = 0) -> tuple[list[dict], dict]:
    """One record per prompt (initial reply, each round's principle/critique/revision, final reply) and counts.

    Each round critiques the latest revision against a freshly sampled principle. A critic call that failed after
    retries (None) leaves the reply unchanged for that round and is counted, never hidden. Token counts are exact
    for a LocalGenerator, else `count_tokens` of the returned text.
    """
    initial = policy(prompts)
    counts = {"prompts": len(prompts), "generations": len(prompts), "critic_errors": sum(r is None for r in initial),
              "generated_tokens": {"policy": sum(token_counts(policy, initial, count_tokens)), "critique": 0,
                                   "revision": 0}}
    records = [{"prompt": list(prompt), "initial": reply or "", "rounds": [], "final": reply or ""}
               for prompt, reply in zip(prompts, initial, strict=True)]
    for round_ in range(rounds):
        principles = [sample_principle(constitution, seed, i, round_) for i in range(len(records))]
        critiques = critic([critique_messages(r["prompt"], r["final"], p) for r, p in zip(records, principles)])
        counts["generated_tokens"]["critique"] += sum(token_counts(critic, critiques, count_tokens))
        revisions = critic([revision_messages(r["prompt"], r["final"], p, c or "")
                            for r, p, c in zip(records, principles, critiques, strict=True)])
        counts["generated_tokens"]["revision"] += sum(token_counts(critic, revisions, count_tokens))
        counts["generations"] += 2 * len(records)
        for r, p, c, v in zip(records, principles, critiques, revisions, strict=True):
            failed = c is None or v is None
            counts["critic_errors"] += failed
            revised = r["final"] if failed else clean_revision(v) or r["final"]
            r["rounds"].append({"principle": p.id, "critique": c, "revision": v, "failed": failed})
            r["final"] = revised
    counts["generated_tokens"]["total"] = sum(counts["generated_tokens"].values())
    return records, counts
