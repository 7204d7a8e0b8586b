"""`vllm:PATH`: vLLM's offline engine (GPU). vLLM is imported only when such a model is used, so traitrl installs
and runs without it; without it the spec fails with one line naming the install command."""

from __future__ import annotations

from typing import Any

from traitrl._util.errors import ModelError
from traitrl._util.io import stable_hash
from traitrl.models.base import GenParams, Messages, register_model


class VLLMModel:
    compute = "vllm"  # its outputs differ from HF's on the same weights by kernels and rounding: cached apart

    def __init__(self, path: str, name: str | None = None, batch_size: int = 16, **engine_args: Any) -> None:
        try:
            import vllm
        except ImportError:
            raise ModelError(f"model vllm:{path} needs vLLM (a GPU and `pip install vllm`)") from None
        from traitrl.models.store import resolve_model

        self.name, self._vllm = name or f"vllm:{path}", vllm
        self.source = resolve_model(path)
        self.llm = vllm.LLM(model=self.source, **engine_args)
        self.tokenizer = self.llm.get_tokenizer()

    @property
    def fingerprint(self) -> str:
        from pathlib import Path

        from traitrl._util.fingerprint import weights_fingerprint

        if Path(self.source).is_dir():
            return weights_fingerprint(self.source)
        return stable_hash(self.name)  # a hub id vLLM downloads itself: its name is the only identity at hand

    def generate(self, conversations: list[Messages], params: GenParams) -> list[str]:
        sampling = self._vllm.SamplingParams(temperature=params.temperature, max_tokens=params.max_new_tokens)
        outputs = self.llm.chat(conversations, sampling, use_tqdm=False)
        return [o.outputs[0].text.strip() for o in outputs]

    def render_chat(self, messages: Messages) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def loglikelihood(self, contexts: list[str], continuations: list[list[str]]) -> list[list[float]]:
        from traitrl.models.loglik import encode_request

        requests = [encode_request(self.tokenizer, c, conts) for c, conts in zip(contexts, continuations, strict=True)]
        prompts = [{"prompt_token_ids": r.context + cont} for r in requests for cont in r.continuations]
        sampling = self._vllm.SamplingParams(max_tokens=1, prompt_logprobs=0, temperature=0.0)
        outputs = self.llm.generate(prompts, sampling, use_tqdm=False)
        out, at = [], 0
        for r in requests:
            scores = []
            for cont in r.continuations:
                ids, logprobs = prompts[at]["prompt_token_ids"], outputs[at].prompt_logprobs
                start = len(r.context)
                scores.append(sum(logprobs[i][ids[i]].logprob for i in range(start, len(ids))))
                at += 1
            out.append(scores)
        return out


@register_model("vllm")
def _vllm(path: str, **options: Any) -> VLLMModel:
    return VLLMModel(path, **options)
