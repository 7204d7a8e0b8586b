"""Data flows one way (docs/architecture.md): a stage imports _util and the stages to its left, never those to its
right; only traitrl.models talks HTTP or loads causal LMs."""

import ast
import re
from pathlib import Path

import traitrl

ORDER = ["_util", "models", "data", "rewards", "train", "evals", "persist", "stats", "report"]
TOP = {"cli", "study", "study_progress", "sweep", "config"}  # sit on top of every stage; no stage imports them
SRC = Path(traitrl.__file__).parent


def imported_traitrl_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("traitrl."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("traitrl.")}
    return names


def test_no_stage_imports_to_its_right_or_the_top():
    violations = []
    for stage in ORDER:
        allowed = set(ORDER[: ORDER.index(stage) + 1]) | {"_util"}
        for path in sorted((SRC / stage).rglob("*.py")):
            bad = imported_traitrl_modules(path) - allowed
            if bad:
                violations.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_every_package_is_placed():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages <= set(ORDER) | TOP


def test_only_models_talks_http_or_loads_causal_lms():
    """One HTTP client and one loader: the words themselves may appear nowhere else in the package."""
    pattern = re.compile(r"HTTP|httpx|AutoModelForCausalLM")
    hits = [f"{path.relative_to(SRC)}:{n}" for path in sorted(SRC.rglob("*.py"))
            if path.relative_to(SRC).parts[0] != "models"
            for n, line in enumerate(path.read_text().splitlines(), start=1) if pattern.search(line)]
    assert not hits, hits
