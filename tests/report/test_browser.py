"""Open report.html in headless Chromium: every image decodes, the sort script runs, the console stays clean.

A probe script is injected first into <head>; it records errors and console.error/warn calls, then on `load`
writes what it saw into the DOM, which `--dump-dom` returns. A broken page is probed too, so the check can fail.
Skipped when no Chromium is installed (Debian: apt-get install -y chromium).
"""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

from traitrl.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium installed")

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push("error: " + (e.message || e.target.src)); },
                        true);
["error", "warn"].forEach(function (k) {
  var orig = console[k];
  console[k] = function () {
    window.__errors.push(k + ": " + Array.from(arguments).join(" "));
    orig.apply(console, arguments);
  };
});
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var th = document.querySelector("table.sortable th:nth-child(4)");
  if (th) { th.click(); }
  var out = {n_images: imgs.length,
             loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
             sorted: th ? th.getAttribute("aria-sort") : null, errors: window.__errors};
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=5000"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


def probe(tmp_path, html: str) -> dict:
    page = tmp_path / "probe.html"
    page.write_text(html.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    out = chromium(tmp_path, "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', out.stdout, re.S)
    assert found, f"probe did not report; chromium stderr:\n{out.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_report_renders_in_chromium(tmp_path, study_comparison, persistence_and_methods):
    paths = write_report(study_comparison, tmp_path / "report", sections=persistence_and_methods)
    seen = probe(tmp_path, paths["html"].read_text(encoding="utf-8"))
    assert seen["n_images"] == 6 and seen["loaded"] == 6
    assert seen["sorted"] == "ascending"  # the inline sort script ran without error
    assert seen["errors"] == []
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--window-size=1200,2400", f"--screenshot={shot}", paths["html"].as_uri())
    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1200) and np.std(pixels) > 0.05  # a page was drawn, not a blank


def test_probe_catches_a_broken_page(tmp_path):
    broken = ('<html><head></head><body><img src="data:image/png;base64,AAAA">'
              "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    seen = probe(tmp_path, broken)
    assert seen["n_images"] == 1 and seen["loaded"] == 0
    assert any("boom" in e for e in seen["errors"]) and any("undefinedFunction" in e for e in seen["errors"])
