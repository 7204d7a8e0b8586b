"""The generator-model path: an OpenAI-compatible model writes core items for one trait × domain cell, conditioned on
the trait's and the domain's descriptions and steered to a kind of hard case, as in the paper.

Each reply must be one JSON core item in the schema of the hand-written tables (`generators.items.Item`); it is
validated (schema, own-rubric agreement, reply length), near-deduplicated against the bank and the rows already
written, rendered into scenarios, and appended to the output JSONL. Re-running with the same output file resumes: rows
already there count toward `n`, and cached replies are not requested again. The finished file is checked for n-gram
overlap with all eval text; hits are reported, not silently dropped. The offline bank stays the default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from traitrl._util.errors import DataError
from traitrl._util.io import iter_jsonl
from traitrl.data.contamination import check_contamination
from traitrl.data.dedupe import NearDupIndex, conversation_text
from traitrl.data.generators.items import HARD_CASES, Item, TraitTable, render, validate_item
from traitrl.data.scenario import Domain, Scenario, Trait
from traitrl.data.traits import DOMAINS, TRAITS
from traitrl.models.http import Call, EndpointClient, EndpointConfig, chat_body, chat_text

SCHEMA_HINT = """Reply with ONE JSON object and nothing else:
{"key": "short-slug", "domain": "<domain>", "hard": "<hard case kind>", "system": null or "system prompt",
 "turns": ["user turn", "earlier assistant reply that reads like a real answer", "user follow-up", ...],
 "need": "what THIS conversation needs the reply to name or do (the specific risk, person, loophole or fact)",
 "names": ["phrases a good reply would use to name it"], "wrong": "the specific failure, as a rubric line",
 "avoid": ["phrases the failure reply uses"], "good": "a good reply, at most 60 words",
 "fail": "a reply that does the wrong thing while sounding right"}
Turns alternate user/assistant and end with a user turn; prefer 3 or 5 turns."""


def generation_messages(trait: Trait, domain: Domain, hard_case: str, taken: list[str], attempt: int) -> list[dict]:
    """The request for one core item; earlier keys are listed so the model writes a new item, not a variant."""
    info, (domain_name, domain_desc) = TRAITS[trait], DOMAINS[domain]
    system = ("You write evaluation scenarios that test one trait of an AI assistant. Each scenario is a realistic "
              "conversation in which the trait matters, with a rubric specific to that conversation.")
    user = (f"Trait: {info.paper_name} ({trait.value}). {info.description}\n"
            f"Domain: {domain_name} ({domain.value}): {domain_desc}.\n"
            f"Hard case ({hard_case}): {HARD_CASES[hard_case]}.\n"
            f"Already written (do not repeat their core item): {', '.join(taken) or 'none'}.\n"
            f"Request #{attempt}.\n{SCHEMA_HINT}")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_item(reply: str, domain: Domain, hard_case: str) -> Item:
    """The reply's JSON object as an Item (fenced or bare); DataError naming what is wrong otherwise."""
    match = re.search(r"\{.*\}", reply, flags=re.DOTALL)
    if match is None:
        raise DataError("reply holds no JSON object")
    try:
        obj = json.loads(match.group())
    except json.JSONDecodeError as e:
        raise DataError(f"reply is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise DataError("reply JSON is not an object")
    obj.update(domain=domain.value, hard=hard_case)  # the cell is ours to choose, not the model's
    return validate_item(obj, "generated item")


def ask(client: EndpointClient, messages: list[dict]) -> str:
    """One reply, cached by (model, temperature, messages) so a rerun asks nothing it already asked."""
    config = client.config
    call = Call("chat/completions", chat_body(config, messages), chat_text,
                cache_key=(config.model, config.temperature, messages))
    [reply] = client.call_many_sync([call])
    if reply.error is not None:
        raise DataError(reply.error)
    return reply.value


def generate_cell(trait: Trait, domain: Domain, n: int, config: EndpointConfig, out: Path, bank: list[Scenario],
                  hard_case: str | None = None, max_requests: int | None = None,
                  data_dir: Path | None = None) -> dict:
    """Write up to `n` new core items for (trait, domain) to `out` (appending, resumable); returns counts, the reason
    for every rejected reply, and the contamination hits of the whole file against `data_dir` (None: not checked)."""
    hard_cases = [hard_case] if hard_case else sorted(HARD_CASES)
    if hard_case is not None and hard_case not in HARD_CASES:
        raise DataError(f"--hard-case {hard_case!r} is not one of {', '.join(sorted(HARD_CASES))}")
    index = NearDupIndex()
    for s in bank:
        index.add(s.id, conversation_text(s))
    done = [Scenario.model_validate(row) for _, row in iter_jsonl(out)] if out.is_file() else []
    for s in done:
        index.add(s.id, conversation_text(s))
    taken = sorted({s.meta["core_item"].rsplit("/", 1)[-1] for s in done
                    if s.trait == trait and s.domain == domain})
    table = TraitTable(trait=trait, virtue=TRAITS[trait].description, vice="Fails the trait as described", items=[])
    report: dict = {"already": len(taken), "written": 0, "requests": 0, "rejected": []}
    limit = max_requests if max_requests is not None else 3 * n

    client = EndpointClient(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    while len(taken) < n and report["requests"] < limit:
        kind = hard_cases[report["requests"] % len(hard_cases)]
        messages = generation_messages(trait, domain, kind, taken, report["requests"])
        report["requests"] += 1
        try:
            item = parse_item(ask(client, messages), domain, kind)
            if item.key in taken:
                raise DataError(f"key {item.key!r} already written")
            rows = render(item, table, generator=f"model:{config.model}", source="generated")
            near = index.match(conversation_text(rows[0]))
            if near is not None:
                raise DataError(f"near-duplicate of {near[0]} (Jaccard {near[1]:.2f})")
        except DataError as e:
            report["rejected"].append(str(e))
            continue
        with out.open("a") as f:  # one write per item, so an interrupted run leaves whole rows
            f.write("".join(s.model_dump_json() + "\n" for s in rows))
        for s in rows:
            index.add(s.id, conversation_text(s))
        taken.append(item.key)
        report["written"] += 1
    if data_dir is not None and out.is_file():
        report["contamination_hits"] = check_contamination(
            [Scenario.model_validate(row) for _, row in iter_jsonl(out)], data_dir)
    return report


__all__ = ["generate_cell", "generation_messages", "parse_item"]
