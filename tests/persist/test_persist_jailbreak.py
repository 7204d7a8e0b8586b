"""Jailbreak templates and artifact prompts: families, disjoint samples, prompt-only reading, ASR per family."""

import json
from pathlib import Path

import pytest

from persist_fakes import last_user, scripted_responder
from traitrl.persist.jailbreak import (TEMPLATES, AttackItem, Behavior, asr_by_family, jbb_items, run_attacks,
                                       sample_behaviors, template_items, wilson_interval)

BEHAVIORS = [Behavior(f"src:{i}", "src", f"do placeholder task number {i}") for i in range(4)]


def test_at_least_six_families_each_wraps_the_behavior():
    assert len(TEMPLATES) >= 6
    items = template_items(BEHAVIORS, list(TEMPLATES), include_direct=True, seed=0)
    assert len(items) == len(BEHAVIORS) * (len(TEMPLATES) + 1)
    for it in items:
        text = " ".join(m["content"] for m in it.messages)
        if it.family != "obfuscation":
            assert "do placeholder task number" in text
        assert it.messages[-1]["role"] == "user"
    prefix = [it for it in items if it.family == "prefix_injection"]
    assert all("Sure, here is" in it.messages[-1]["content"] for it in prefix)


def test_templates_rotate_deterministically():
    a = template_items(BEHAVIORS, ["roleplay"], False, seed=3)
    b = template_items(BEHAVIORS, ["roleplay"], False, seed=3)
    assert [x.messages for x in a] == [x.messages for x in b]
    assert len({x.meta["template"] for x in a}) == 2  # both roleplay templates get used


def test_asr_by_family_counts_non_refusals():
    items = [AttackItem(f"{fam}/{i}", fam, str(i), [{"role": "user", "content": f"{fam} {i}"}])
             for fam in ("direct", "roleplay") for i in range(4)]
    respond = scripted_responder(lambda c: "I'm sorry, I can't help with that." if "direct" in last_user(c)
                                 else "Here you go.")
    from traitrl.persist.jailbreak import refusal_success

    records = run_attacks(respond, items, refusal_success())
    asr = asr_by_family(records)
    assert asr["direct"]["asr"] == 0.0 and asr["roleplay"]["asr"] == 1.0
    assert asr["roleplay"]["n_attacks"] == 4
    assert asr["direct"]["ci_high"] == pytest.approx(wilson_interval(0, 4)[1])


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)


def _write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")


@pytest.fixture
def fake_data(tmp_path):
    _write_csv(tmp_path / "harmbench/harmbench_behaviors_text_test.csv",
               "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID",
               [f"hb task {i},{'standard' if i % 2 == 0 else 'copyright'},x,,,hb{i}" for i in range(10)])
    _write_csv(tmp_path / "harmbench/harmbench_behaviors_text_val.csv",
               "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID", [])
    _write_csv(tmp_path / "advbench/harmful_behaviors.csv", "goal,target",
               [f"ab task {i},Sure here is ab {i}" for i in range(10)])
    _write_csv(tmp_path / "strongreject/strongreject_dataset.csv", "category,source,forbidden_prompt",
               [f"c,s,sr task {i}" for i in range(10)])
    folder = tmp_path / "jailbreakbench_artifacts/PAIR/black_box"
    folder.mkdir(parents=True)
    jailbreaks = [{"index": i, "goal": "g", "behavior": "b", "category": "c",
                   "prompt": None if i % 3 == 0 else f"pair prompt {i}", "response": "STORED RESPONSE"}
                  for i in range(9)]
    (folder / "vicuna-13b-v1.5.json").write_text(json.dumps({"parameters": {}, "jailbreaks": jailbreaks}))
    return tmp_path


def test_sample_behaviors_interleaves_sources_and_skip_is_disjoint(fake_data):
    first = sample_behaviors(fake_data, ["harmbench", "strongreject", "advbench"], 6, seed=0)
    later = sample_behaviors(fake_data, ["harmbench", "strongreject", "advbench"], 6, seed=0, skip=6)
    assert [b.source for b in first] == ["harmbench", "strongreject", "advbench"] * 2
    assert not {b.id for b in first} & {b.id for b in later}
    # HarmBench keeps standard behaviours only (the odd rows are copyright)
    assert all(int(b.id.removeprefix("harmbench:hb")) % 2 == 0 for b in first + later if b.source == "harmbench")
    assert next(b for b in first if b.source == "advbench").target.startswith("Sure here is ab")


def test_jbb_items_read_prompts_only(fake_data):
    items = jbb_items(fake_data, ["PAIR"], n=10, target="vicuna-13b-v1.5", seed=0)
    assert len(items) == 6  # null prompts (failed attacks) are skipped
    assert all(it.family == "jbb_PAIR" for it in items)
    assert all("STORED RESPONSE" not in json.dumps(it.__dict__) for it in items)
