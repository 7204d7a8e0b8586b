import os
import signal
import subprocess
import sys
import time

import pytest

from traitrl._util.io import read_json
from traitrl._util.timing import finished_stage, timed_stage


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
    assert [a["status"] for a in timings["train"]["attempts"]] == ["done", "done"]
    assert finished_stage(timings, "train") == timings["train"]


KILLED_STAGE = """
import sys, time
from traitrl._util.timing import timed_stage
with timed_stage(sys.argv[1], "train", heartbeat_seconds=0.2):
    print("started", flush=True)
    time.sleep(60)
"""


def test_a_killed_attempt_keeps_its_time_up_to_the_last_heartbeat(tmp_path):
    """SIGKILL runs no cleanup: the stage's time so far must already be on disk, and the next attempt marks it."""
    proc = subprocess.Popen([sys.executable, "-c", KILLED_STAGE, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    timings = read_json(tmp_path / "timings.json")
    assert timings["train"]["attempts"][0]["status"] == "running"
    assert finished_stage(timings, "train") == {}  # partial: not a finished stage's cost
    assert 1.0 <= timings["train"]["seconds"] <= 2.0
    with timed_stage(tmp_path, "train"):
        pass
    timings = read_json(tmp_path / "timings.json")
    assert [a["status"] for a in timings["train"]["attempts"]] == ["killed", "done"]
    assert timings["train"]["killed_attempts"] == 1 and timings["train"]["seconds"] >= 1.0
    assert finished_stage(timings, "train")["seconds"] == timings["train"]["seconds"]


def test_a_stage_that_raised_is_recorded_as_failed(tmp_path):
    with pytest.raises(RuntimeError), timed_stage(tmp_path, "eval"):
        raise RuntimeError("boom")
    timings = read_json(tmp_path / "timings.json")
    assert timings["eval"]["attempts"][0]["status"] == "failed" and finished_stage(timings, "eval") == {}


def test_records_written_before_attempts_had_a_status_count_as_finished():
    old = {"train": {"seconds": 5.0, "peak_rss_gib": 1.0, "attempts": [{"seconds": 5.0, "peak_rss_gib": 1.0}]},
           "data": {"seconds": 1.0, "peak_rss_gib": 0.5}}
    assert finished_stage(old, "train")["seconds"] == 5.0 and finished_stage(old, "data")["seconds"] == 1.0
    assert finished_stage(old, "eval") == {}
