"""`traitrl persist run`: model resolution from a study folder or MODEL + --against."""

import json

import pytest
from typer.testing import CliRunner

from traitrl._util.errors import ConfigError
from traitrl.cli.persist import app, resolve_models


def _final(root, arm):
    folder = root / "arms" / arm / "train" / "final"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return str(folder)


def test_study_folder_uses_reference_arm_as_baseline(tmp_path):
    base, trait = _final(tmp_path, "base0"), _final(tmp_path, "trait")
    (tmp_path / "manifest.json").write_text(json.dumps({"config": {"reference_arm": "base0"}}))
    assert resolve_models(str(tmp_path), None, "x") == (base, {"trait": trait})
    assert resolve_models(str(tmp_path), "other-model", "x") == ("other-model", {"base0": base, "trait": trait})


def test_single_model_needs_against():
    with pytest.raises(ConfigError, match="--against"):
        resolve_models("smollm2-135m-instruct", None, "trait")
    assert resolve_models("m", "b", "mine") == ("b", {"mine": "m"})


def test_run_command_is_registered():
    result = CliRunner().invoke(app, ["run", "--help"])
    assert result.exit_code == 0 and "--against" in result.output
