"""The learning section: a run whose reward rose is not flagged; a flat one is, after the smoke-test warning."""

from types import SimpleNamespace

from traitrl.report.learning_section import flag_learning, learning_section


def write_metrics(folder, rewards):
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(f'{{"step": {i + 1}, "reward": {r}}}\n'
                                                  for i, r in enumerate(rewards)))
    return folder


def test_rising_run_passes_and_flat_run_is_flagged_after_the_smoke_warning(tmp_path):
    rising = write_metrics(tmp_path / "trait", [0.1 + 0.02 * i + (0.005 if i % 2 else 0) for i in range(20)])
    flat = write_metrics(tmp_path / "baseline", [0.3, 0.1, 0.4, 0.2] * 5)
    section = learning_section({"trait": rising, "baseline": flat})
    assert section.runs["trait"].learned and section.runs["trait"].flag is None
    assert not section.runs["baseline"].learned and section.runs["baseline"].ci_low < 0
    smoke = "Smoke test: no effect smaller than 9 pp can be detected."
    arm = SimpleNamespace(name="trait", summary=SimpleNamespace(smoke=smoke, headline=smoke + " 1 better / 0 worse."))
    comparison = SimpleNamespace(arms=[arm], reference_name="baseline", headline="")
    flag_learning(comparison, section, {"trait": "trait", "baseline": "baseline"})
    assert comparison.headline == smoke + " arm baseline did not learn its reward. 1 better / 0 worse."
