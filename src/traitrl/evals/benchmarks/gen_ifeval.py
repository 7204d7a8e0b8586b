"""IFEval (Zhou et al. 2023): strict prompt-level instruction following, checked by lm-eval's IFEval checkers.

Departures: the 64 prompts whose checkers need NLTK's downloadable `punkt` tokenizer data
(length_constraints:number_sentences, change_case:capital_word_frequency) are left out on every machine, since that
data cannot be fetched offline; 477 of 541 prompts remain. Replies are capped at `max_new_tokens` (256), so long
length targets ("300+ words") are out of reach for every model alike.
"""

from __future__ import annotations

from pathlib import Path

from traitrl._util.errors import ConfigError, DataError
from traitrl._util.io import iter_jsonl
from traitrl.evals.benchmark import Benchmark, GenItem, benchmark
from traitrl.evals.benchmarks.gen_common import user_item
from traitrl.evals.data_dir import benchmark_file

NEEDS_PUNKT = frozenset({"length_constraints:number_sentences", "change_case:capital_word_frequency"})


def read_ifeval(data_dir: Path) -> list[GenItem]:
    path = benchmark_file(data_dir, "ifeval/input_data.jsonl")
    items = []
    for lineno, row in iter_jsonl(path):
        ids, kwargs = row.get("instruction_id_list"), row.get("kwargs")
        if not isinstance(row.get("prompt"), str) or not isinstance(ids, list) or not isinstance(kwargs, list) \
                or len(ids) != len(kwargs) or "key" not in row:
            raise DataError(f"{path}:{lineno}: need `key`, `prompt` and equally long `instruction_id_list`/`kwargs`")
        if NEEDS_PUNKT.isdisjoint(ids):
            items.append(user_item(f"ifeval-{row['key']}", row["prompt"], target={"ids": ids, "kwargs": kwargs}))
    return items


def score_ifeval(item: GenItem, response: str) -> float:
    try:
        from lm_eval.tasks.ifeval.utils import InputExample, test_instruction_following_strict
    except ImportError as e:
        raise ConfigError(f"ifeval needs lm-eval with its IFEval extras ({e}): pip install 'traitrl[lmeval]' "
                          "langdetect immutabledict") from None
    example = InputExample(key=0, instruction_id_list=item.target["ids"], prompt=item.messages[-1]["content"],
                           kwargs=item.target["kwargs"])
    return float(test_instruction_following_strict(example, response).follow_all_instructions)


@benchmark("ifeval")
def ifeval() -> Benchmark:
    return Benchmark(
        name="ifeval", category="overrefusal_steerability", format="gen", metric="prompt_strict_acc",
        higher_is_better=True, source="IFEval, Zhou et al. 2023; google-research instruction_following_eval",
        license="Apache-2.0", load_items=read_ifeval, score_response=score_ifeval, max_new_tokens=256,
        labels=("capability",), description="Share of prompts whose every verifiable instruction is followed.",
    )
