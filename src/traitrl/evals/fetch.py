"""`traitrl benchmarks fetch`: download each benchmark's files from its pinned upstream and verify them.

The source table (benchmark_sources.json, package data) lists per benchmark: upstream repository, commit, license,
citation, and per file its raw URL at that commit, sha256 and size. A few files have no URL (license notes written
for this collection where the upstream has none); they are listed, not fetched. `mirror` replaces the
`https://raw.githubusercontent.com/` prefix, for a local copy laid out as OWNER/REPO/COMMIT/PATH.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from traitrl._util.errors import ConfigError

GITHUB_RAW = "https://raw.githubusercontent.com/"


def source_table() -> dict[str, dict[str, Any]]:
    return json.loads(resources.files("traitrl.evals").joinpath("benchmark_sources.json").read_text("utf-8"))


def select_sources(names: list[str]) -> list[str]:
    table = source_table()
    if not names or names == ["all"]:
        return list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ConfigError(f"unknown benchmark data set(s) {', '.join(unknown)}; known: {', '.join(table)}")
    return names


def fetch_benchmarks(names: list[str], dest: Path, mirror: str | None = None,
                     log: Callable[[str], None] = print, progress: bool = True) -> dict[str, int]:
    """Download and verify the files of `names` into dest/NAME/; returns counts of fetched and present files."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from traitrl.models.http import download

    table, chosen = source_table(), select_sources(names)
    files = [(n, f) for n in chosen for f in table[n]["files"] if f["url"]]
    counts = {"fetched": 0, "present": 0, "no_url": sum(1 for n in chosen for f in table[n]["files"] if not f["url"])}
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task("benchmark data", total=sum(f["size"] for _, f in files))
        for name, f in files:
            url = f["url"] if mirror is None else mirror.rstrip("/") + "/" + f["url"].removeprefix(GITHUB_RAW)
            bar.update(task, description=f"{name}/{f['path']}")
            fetched = download(url, dest / name / f["path"], f["sha256"], f["size"], lambda n: bar.advance(task, n))
            counts["fetched" if fetched else "present"] += 1
    for name in chosen:
        entry = table[name]
        log(f"{name}: license {entry['license']}; cite: {entry['citation']} ({entry['repo']} @ {entry['commit'][:12]})")
    return counts
