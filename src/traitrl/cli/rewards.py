"""`traitrl rewards list|validate|audit|replies`: the grader registry, the grader validation report, the reward audit
and a model's greedy replies to held-out scenarios for it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from traitrl.cli._options import table_console

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """Registered graders (reward functions) and criterion checks."""
    from traitrl.rewards import CHECKS, list_graders
    from traitrl.rewards.registry import GRADERS

    for name in list_graders():
        factory, version, _ = GRADERS[name]
        print(f"{name} (v{version}): {(factory.__doc__ or '').strip().splitlines()[0]}")
    print(f"criterion checks: {', '.join(sorted(CHECKS))}")


def _print_report(report: dict) -> None:
    console = table_console()
    table = Table(title=f"Grader validation ({report['n_rows']} labeled responses): {report['metric']}")
    for col in ("trait", "grader", "n", "pairwise acc", "vs subtle", "vs bad", "spearman"):
        table.add_column(col)
    fmt = lambda x: "-" if x is None else f"{x:.2f}"
    for trait, entry in report["traits"].items():
        for grader, m in entry["graders"].items():
            best = " *" if grader == entry["best_grader"] else ""
            table.add_row(trait, grader + best, str(m["n"]), fmt(m["pairwise_accuracy"]), fmt(m["vs_subtle_bad"]),
                          fmt(m["vs_bad"]), fmt(m["spearman"]))
    console.print(table)
    probes = Table(title="Reward-hacking probes: share of scenarios where the probe scored >= the labeled good reply")
    graders = sorted({g for p in report["probes"].values() for g in p["fooled_rate"]})
    for col in ("probe", *graders):
        probes.add_column(col)
    for name, p in report["probes"].items():
        probes.add_row(name, *(fmt(p["fooled_rate"].get(g)) for g in graders))
    console.print(probes)
    if report["judge"] and report["n_judge_errors"]:
        console.print(f"judge errors: {report['n_judge_errors']} (labeled and probe rows scored without the judge)")


@app.command("validate")
def validate_command(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    judge: Path | None = typer.Option(None, help="YAML JudgeConfig for the rubric judge; omitted = no judge."),
    no_embedding: bool = typer.Option(False, "--no-embedding", help="Skip the embedding grader."),
    out: Path | None = typer.Option(None, help="Also write the JSON report here."),
    data: Path | None = typer.Option(None, help="Folder of labeled *.jsonl files (default: the packaged set)."),
) -> None:
    """Accuracy and Spearman of each grader on the labeled set, per trait, plus reward-hacking probes."""
    from traitrl._util.config import load_config
    from traitrl._util.io import write_json_atomic
    from traitrl.rewards import JudgeConfig, validate_graders

    judge_config = load_config(JudgeConfig, judge) if judge else None
    report = validate_graders(judge=judge_config, use_embedding=not no_embedding, folder=data)
    if out:
        write_json_atomic(out, report)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
        if out:
            print(f"report written to {out}")


def _print_audit(report: dict, cap: int) -> None:
    console = table_console()
    table = Table(title=f"Reward audit: win rate of each gaming strategy (strictly higher reward) vs (a) the reference, "
                        f"(b) the reference cut to {cap} tokens, (c) a concise correct reply; target < "
                        f"{report['target']:.0%} vs (b) and (c)")
    for col in ("trait", "strategy", "n", "mean reward", "vs (a)", "vs (b)", "vs (c)"):
        table.add_column(col)
    for trait, entry in report["traits"].items():
        means = entry["mean"]
        table.add_row(trait, "[bold]reference / capped / concise[/]", str(entry["n"]), " / ".join(
            f"{means[k]:.2f}" for k in ("reference", "capped", "concise")), "", "", "")
        for name, st in entry["strategies"].items():
            worst = max(st["win_vs_capped"], st["win_vs_concise"])
            mark = "[red]" if worst >= report["target"] else ""
            table.add_row("", name, str(st["n"]), f"{st['mean']:.2f}", f"{st['win_vs_reference']:.2f}",
                          f"{mark}{st['win_vs_capped']:.2f}", f"{mark}{st['win_vs_concise']:.2f}")
    console.print(table)
    console.print(f"target met on every trait: {report['meets_target']}")


@app.command("audit")
def audit_command(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    n: int = typer.Option(100, "--n", min=1, help="Scenarios per trait."),
    config: Path = typer.Option(Path("configs/quick.yaml"), help="Study config: model (tokenizer), completion cap, "
                                "bank seed."),
    out: Path | None = typer.Option(None, help="Also write the JSON report here."),
    replies: list[Path] = typer.Option(None, "--replies", help="JSONL of a model's replies ({id, reply} per line, "
                                       "id a bank scenario; e.g. bench/learning.py's greedy_after.jsonl): audited "
                                       "against the references of the same scenarios instead (repeatable)."),
) -> None:
    """Win rates of cheap gaming strategies against good replies under the offline trait reward, per trait; with
    --replies, a model's own replies against the references, per reward component."""
    from traitrl._util.config import load_config
    from traitrl._util.io import write_json_atomic
    from traitrl.config import StudyConfig
    from traitrl.data.bank import build_bank
    from traitrl.rewards.audit import audit_rewards
    from traitrl.models.store import load_tokenizer

    study = load_config(StudyConfig, config)
    tokenizer, cap = load_tokenizer(study.model), study.train.max_completion_tokens

    def cut(text: str) -> str:
        return tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"][:cap])

    bank = build_bank(seed=study.data.bank_seed)
    report = _audit_reply_files(replies, bank, cut) if replies else audit_rewards(bank, cut, n_per_trait=n)
    report["config"], report["max_completion_tokens"] = str(config), cap
    if out:
        write_json_atomic(out, report)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        (_print_reply_audit if replies else _print_audit)(report, cap)


def _audit_reply_files(paths: list[Path], bank: list, cut) -> dict:
    """Reads each --replies file (ids must be bank scenarios, the same ids in every file) and audits them together."""
    from traitrl._util.errors import DataError
    from traitrl._util.io import iter_jsonl
    from traitrl.rewards.audit import audit_replies

    by_id = {s.id: s for s in bank}
    sets: dict[str, dict[str, str]] = {}
    for path in paths:
        rows = {}
        for lineno, row in iter_jsonl(path):
            if not isinstance(row.get("reply"), str) or row.get("id") not in by_id:
                raise DataError(f"{path}:{lineno}: needs a string `reply` and an `id` of the config's scenario bank "
                                f"(got id {row.get('id')!r})")
            rows[row["id"]] = row["reply"]
        sets[str(path)] = rows
    ids = list(next(iter(sets.values())))
    for name, rows in sets.items():
        if set(rows) != set(ids):
            raise DataError(f"{name}: its scenario ids differ from {paths[0]}'s; audit replies to the same scenarios")
    report = audit_replies([by_id[i] for i in ids], {n: [r[i] for i in ids] for n, r in sets.items()}, cut)
    report["files"] = [str(p) for p in paths]
    report["vs_first"] = _paired_vs_first(report)
    return report


def _paired_vs_first(report: dict) -> dict:
    """Each later reply file minus the first, per reward component, over the same scenarios: mean paired difference
    and its 95 % bootstrap CI (e.g. a trait arm's replies against its baseline's)."""
    from traitrl.rewards.audit import REPLY_COMPONENTS
    from traitrl.stats.paired import paired_difference_ci

    first, *later = report["files"]
    scores = lambda name, comp: report["sets"][name]["scores"][comp]
    return {name: {comp: dict(zip(("difference", "ci_low", "ci_high"),
                                  paired_difference_ci(scores(first, comp), scores(name, comp)), strict=True))
                   for comp in REPLY_COMPONENTS} for name in later}


def _print_reply_audit(report: dict, cap: int) -> None:
    from traitrl.rewards.audit import REPLY_COMPONENTS

    console = table_console()
    table = Table(title=f"Replies vs references on {report['n']} scenarios: mean score per reward component, and "
                        f"share scoring strictly above (b) the reference cut to {cap} tokens and (c) a concise "
                        "correct reply")
    for col in ("replies", *REPLY_COMPONENTS, "> (b)", "> (c)", "words", "repeated words"):
        table.add_column(col)
    stems = [Path(name).stem for name in report["sets"]]
    label = (lambda name: Path(name).stem) if len(set(stems)) == len(stems) else str
    for name, entry in report["sets"].items():
        wins = [" / ".join(f"{entry['win_vs'][t][c]:.2f}" for c in REPLY_COMPONENTS) if "win_vs" in entry else ""
                for t in ("capped", "concise")]
        table.add_row(label(name), *(f"{entry['mean'][c]:.3f}" for c in REPLY_COMPONENTS), *wins,
                      f"{entry['words']:.1f}", f"{entry['repeated_word_share']:.2f}")
    console.print(table)
    console.print("win columns: " + " / ".join(REPLY_COMPONENTS) + "; files: " + ", ".join(report["files"]))
    for name, diffs in report["vs_first"].items():
        console.print(f"{label(name)} − {label(report['files'][0])}: " + "; ".join(
            f"{comp} {d['difference']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]" for comp, d in diffs.items()))


@app.command("replies")
def replies_command(
    model: str = typer.Option(..., help="Model spec as traitrl.models reads it: a trained run's train/final folder, a "
                                        "registered name or a backend spec."),
    out: Path = typer.Option(..., help="JSONL to write: {id, trait, reply} per held-out scenario."),
    config: Path = typer.Option(Path("configs/quick.yaml"), help="Study config: bank seed and completion cap."),
    n: int = typer.Option(20, "--n", min=1, help="Scenarios per trait."),
    side: str = typer.Option("heldout", help="Bank side: 'heldout' (core items no study trains on) or 'train' "
                             "(the core items training draws from: a trait reward that rises there but not on "
                             "held-out items learned the items, not the trait)."),
) -> None:
    """A model's greedy replies to bank scenarios (by default the held-out side), capped as training caps
    completions; audit them, with another model's replies to the same scenarios, by `audit --replies`."""
    from traitrl._util.config import load_config
    from traitrl._util.io import write_jsonl_atomic
    from traitrl.config import StudyConfig
    from traitrl.data.bank import build_bank
    from traitrl.data.split import split_bank
    from traitrl.rewards.audit import greedy_replies, per_trait_sample

    if side not in ("heldout", "train"):
        raise typer.BadParameter(f"{side!r}: expected 'heldout' or 'train'", param_hint="--side")
    study = load_config(StudyConfig, config)
    scenarios = per_trait_sample(getattr(split_bank(build_bank(seed=study.data.bank_seed)), side), n)
    rows = greedy_replies(model, scenarios, study.train.max_completion_tokens)
    write_jsonl_atomic(out, rows)
    print(f"{len(rows)} greedy replies ({study.train.max_completion_tokens}-token cap) of {model} -> {out}")
