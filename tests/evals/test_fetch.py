"""`traitrl benchmarks fetch` against a loopback server that mirrors the pinned upstream files: byte-identical
copies, resumed partial downloads, and a corrupted file refused by name."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from loopback import LoopbackServer
from typer.testing import CliRunner

from traitrl._util.errors import DataError
from traitrl.evals.data_dir import benchmark_dir, fetch_dir
from traitrl.evals.fetch import GITHUB_RAW, fetch_benchmarks, source_table

FEW = ["xstest", "crows_pairs", "advbench"]


@pytest.fixture(scope="module")
def data() -> Path:
    try:
        return benchmark_dir()
    except DataError:
        pytest.skip("no local benchmark data to mirror")


class Mirror(LoopbackServer):
    """Serves each table file at OWNER/REPO/COMMIT/PATH from the local data; honours Range (206)."""

    def __init__(self, data: Path) -> None:
        self.files = {f["url"].removeprefix(GITHUB_RAW): data / name / f["path"]
                      for name, entry in source_table().items() for f in entry["files"] if f["url"]}
        self.corrupt: set[str] = set()
        self.ranges: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                key = self.path.lstrip("/")
                if key not in mirror.files:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = mirror.files[key].read_bytes()
                if key in mirror.corrupt:
                    body = body[:-1] + bytes([body[-1] ^ 1])
                start = 0
                if "Range" in self.headers:
                    mirror.ranges.append(self.headers["Range"])
                    start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def assert_identical(data: Path, dest: Path, names: list[str]) -> int:
    n = 0
    for name in names:
        for f in source_table()[name]["files"]:
            if f["url"]:
                assert (dest / name / f["path"]).read_bytes() == (data / name / f["path"]).read_bytes(), f["path"]
                n += 1
    return n


def test_fetch_gives_byte_identical_files_and_skips_verified_ones(data, tmp_path):
    lines = []
    with Mirror(data) as mirror:
        counts = fetch_benchmarks(FEW, tmp_path, mirror=mirror.url, log=lines.append, progress=False)
        again = fetch_benchmarks(FEW, tmp_path, mirror=mirror.url, log=lines.append, progress=False)
    assert counts["fetched"] == assert_identical(data, tmp_path, FEW) > 0 and counts["present"] == 0
    assert again["fetched"] == 0 and again["present"] == counts["fetched"]
    assert any(line.startswith("xstest: license CC-BY-4.0; cite:") for line in lines)


def test_partial_download_resumes_with_a_range_request(data, tmp_path):
    f = next(f for f in source_table()["crows_pairs"]["files"] if f["url"])
    source = (data / "crows_pairs" / f["path"]).read_bytes()
    part = tmp_path / "crows_pairs" / (f["path"] + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(source[:1000])
    with Mirror(data) as mirror:
        fetch_benchmarks(["crows_pairs"], tmp_path, mirror=mirror.url, progress=False, log=lambda _: None)
    assert mirror.ranges == ["bytes=1000-"]
    assert (tmp_path / "crows_pairs" / f["path"]).read_bytes() == source and not part.exists()


def test_corrupted_file_is_refused_by_name(data, tmp_path):
    f = next(f for f in source_table()["xstest"]["files"] if f["url"] and f["path"].endswith(".csv"))
    with Mirror(data) as mirror:
        mirror.corrupt.add(f["url"].removeprefix(GITHUB_RAW))
        with pytest.raises(DataError, match=f"{f['path']}: checksum mismatch"):
            fetch_benchmarks(["xstest"], tmp_path, mirror=mirror.url, progress=False, log=lambda _: None)
    assert not (tmp_path / "xstest" / f["path"]).exists()
    assert not (tmp_path / "xstest" / (f["path"] + ".part")).exists()


def test_cli_fetch_and_the_default_data_folder(data, tmp_path, monkeypatch):
    from traitrl.cli.main import cli

    monkeypatch.setenv("TRAITRL_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TRAITRL_BENCHMARK_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/benchmarks here
    with pytest.raises(DataError, match="traitrl benchmarks fetch all"):
        benchmark_dir()
    with Mirror(data) as mirror:
        result = CliRunner().invoke(cli, ["benchmarks", "fetch", "xstest", "--mirror", mirror.url])
    assert result.exit_code == 0, result.output
    assert benchmark_dir() == fetch_dir() == tmp_path / "cache" / "benchmarks"
    assert assert_identical(data, fetch_dir(), ["xstest"]) >= 1


@pytest.mark.slow
def test_fetch_all_gives_byte_identical_files(data, tmp_path):
    with Mirror(data) as mirror:
        counts = fetch_benchmarks(["all"], tmp_path, mirror=mirror.url, progress=False, log=lambda _: None)
    assert counts["fetched"] == assert_identical(data, tmp_path, list(source_table())) >= 100
