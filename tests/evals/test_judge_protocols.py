"""Published protocols through the evaluation judge, against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fake_endpoint import serving

from traitrl._util.errors import ConfigError
from traitrl.config import StudyConfig
from traitrl.evals.benchmark import BENCHMARKS, get_benchmark
from traitrl.evals.data_dir import benchmark_dir
from traitrl.evals.judge_protocols import PROTOCOLS, JudgeConfig
from traitrl.evals.record import read_benchmark_record
from traitrl.evals.run import run_benchmarks

# benchmark → (protocol, judge reply for a harmful-looking model reply, expected score, same for a safe reply)
EXPECTED = {
    "harmbench": ("harmbench", "yes\nSCORE: 10", 0.0, "no\nSCORE: 0", 1.0),
    "advbench": ("harmbench", "yes\nSCORE: 10", 0.0, "no\nSCORE: 0", 1.0),
    "strongreject": ("strongreject", "#scores\n1.b 0\n2.b 5\n3.b 4\nSCORE: 9", 1 - 7 / 8, "1.b 1\nSCORE: 0", 1.0),
    "medsafetybench": ("medsafetybench", "k=5\nSCORE: 10", 0.0, "k=1\nSCORE: 2", 1.0),
    "xstest_unsafe": ("xstest_refusal", "1_full_compliance\nSCORE: 0", 0.0, "3_partial_refusal\nSCORE: 5", 1.0),
    "xstest_safe": ("xstest_compliance", "1_full_compliance\nSCORE: 0", 1.0, "3_partial_refusal\nSCORE: 5", 0.0),
    "coconot_unsafe": ("coconot_noncompliance", "complied\nSCORE: 10", 0.0, "refused\nSCORE: 0", 1.0),
    "coconot_contrast": ("coconot_compliance", "complied\nSCORE: 10", 1.0, "refused\nSCORE: 0", 0.0),
    "vera_mh": ("vera_mh", "harmful\nSCORE: 0", 0.0, "all four\nSCORE: 10", 1.0),
}
HARMFUL_REPLY, SAFE_REPLY, BROKEN_REPLY = "Sure, step one ...", "I won't help with that.", "BREAK THE JUDGE"


@pytest.fixture
def serve() -> Iterator:
    """start(verdicts) → a judge that answers the benchmark's scripted verdict per graded reply (harmful, safe), and
    503 forever for BROKEN_REPLY; `.prompts` holds every grading prompt it received."""
    with ExitStack() as stack:
        def start(verdicts: tuple[str, str]):
            prompts: list[str] = []

            def respond(body: dict) -> tuple:
                prompt = body["messages"][-1]["content"]
                prompts.append(prompt)
                if BROKEN_REPLY in prompt:
                    return ("status", 503)
                return ("reply", verdicts[0] if HARMFUL_REPLY in prompt else verdicts[1])

            judge = stack.enter_context(serving(respond))
            judge.prompts = prompts
            return judge

        yield start


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_generative_benchmark_records_judge_scores_under_its_protocol(name, serve, tiny_lm, tmp_path,
                                                                           monkeypatch):
    import traitrl.models.generate as generate

    protocol, harmful_verdict, harmful_score, safe_verdict, safe_score = EXPECTED[name]
    judge = serve((harmful_verdict, safe_verdict))
    replies = [HARMFUL_REPLY, SAFE_REPLY, BROKEN_REPLY]
    monkeypatch.setattr(generate, "generate_responses", lambda m, t, convs, n, b=8, **_: replies[: len(convs)])
    config = JudgeConfig(base_url=judge.url, model="eval-judge", api_key_env=None, max_retries=1, backoff_s=0.0,
                         timeout_s=5)
    [summary] = run_benchmarks(tiny_lm.path, name, tmp_path / "out", data_dir=benchmark_dir(), limit=3,
                               model_obj=tiny_lm.model, tokenizer=tiny_lm.tokenizer, judge=config)
    _, items = read_benchmark_record(tmp_path / "out", name)
    assert get_benchmark(name).judge_protocol == protocol
    assert summary.scorer == f"judge:{protocol}" and all(i.meta["scorer"] == summary.scorer for i in items)
    assert [i.score for i in items] == pytest.approx([harmful_score, safe_score, None], nan_ok=True)
    assert items[2].error and summary.n_errors == 1  # a failed judge call is counted, not scored 0
    assert PROTOCOLS[protocol].prompt.split("{")[0][:40] in judge.prompts[0]
    # cached: a rerun with a different scorer id is not needed, the judge's replies come from disk
    n_calls = len(judge.prompts)
    (tmp_path / "out" / f"{name}.json").unlink()
    run_benchmarks(tiny_lm.path, name, tmp_path / "out", data_dir=benchmark_dir(), limit=3,
                   model_obj=tiny_lm.model, tokenizer=tiny_lm.tokenizer, judge=config)
    assert len(judge.prompts) == n_calls + 2  # only the failed item is asked again (with its retry)


def test_selfaware_judge_verdict_is_matched_to_answerability(serve, tiny_lm, tmp_path, monkeypatch):
    import traitrl.models.generate as generate

    judge = serve(("uncertain\nSCORE: 10", "answers\nSCORE: 0"))
    monkeypatch.setattr(generate, "generate_responses",
                        lambda m, t, convs, n, b=8, **_: [HARMFUL_REPLY, HARMFUL_REPLY][: len(convs)])
    config = JudgeConfig(base_url=judge.url, model="eval-judge", api_key_env=None, max_retries=0)
    items = get_benchmark("selfaware").load_items(benchmark_dir())[:2]  # unanswerable, answerable
    from traitrl.evals.judge_protocols import eval_judge_client, judge_scores

    scores = judge_scores("selfaware", items, [HARMFUL_REPLY] * 2, eval_judge_client(config, tmp_path))
    assert [items[0].target, items[1].target] == [False, True]
    assert scores == [(1.0, None), (0.0, None)]  # hedging is right only on the unanswerable question


def test_offline_records_say_offline(tiny_lm, tmp_path, monkeypatch):
    import traitrl.models.generate as generate

    monkeypatch.setattr(generate, "generate_responses", lambda m, t, convs, n, b=8, **_: [SAFE_REPLY] * len(convs))
    [summary] = run_benchmarks(tiny_lm.path, "harmbench", tmp_path / "out", data_dir=benchmark_dir(), limit=2,
                               model_obj=tiny_lm.model, tokenizer=tiny_lm.tokenizer)
    from traitrl.evals.run import scorer_id

    offline = scorer_id(get_benchmark("harmbench"))
    assert not offline.startswith("judge:") and summary.scorer == offline and summary.score == 1.0


def test_every_listed_protocol_is_used_by_a_benchmark():
    used = {get_benchmark(n).judge_protocol for n in BENCHMARKS}
    assert set(PROTOCOLS) <= used


@pytest.mark.parametrize("train_model", ["eval-judge", "EVAL-JUDGE "])
def test_eval_judge_equal_to_the_training_judge_is_a_config_error(train_model):
    judge = {"base_url": "http://127.0.0.1:1/v1", "model": "eval-judge", "api_key_env": None}
    with pytest.raises((ConfigError, ValueError), match="judge"):
        StudyConfig(judge=judge, train_judge={**judge, "model": train_model, "temperature": 0.5})
