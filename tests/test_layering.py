"""Data flows one way (STYLE.md): a stage imports _util and the stages to its left, never those to its right."""

import ast
from pathlib import Path

import traitrl

ORDER = ["_util", "data", "rewards", "train", "evals", "persist", "stats", "report"]
TOP = {"cli", "study", "sweep", "config"}  # sit on top of every stage; no stage imports them
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
