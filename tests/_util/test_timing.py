from traitrl._util.io import read_json
from traitrl._util.timing import timed_stage


def test_a_resumed_stage_adds_an_attempt_instead_of_overwriting(tmp_path):
    with timed_stage(tmp_path, "train"):
        pass
    with timed_stage(tmp_path, "train"):
        pass
    with timed_stage(tmp_path, "report"):
        pass
    timings = read_json(tmp_path / "timings.json")
    assert len(timings["train"]["attempts"]) == 2 and len(timings["report"]["attempts"]) == 1
    assert timings["train"]["seconds"] == round(sum(a["seconds"] for a in timings["train"]["attempts"]), 2)
    assert timings["train"]["peak_rss_gib"] == max(a["peak_rss_gib"] for a in timings["train"]["attempts"]) > 0
