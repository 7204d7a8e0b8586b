"""Wall time per stage and peak RSS of the quick study, from a fresh run directory.

    python bench/study_time.py [--config configs/quick.yaml] [--out runs/study-time]

Runs `traitrl run` in a child process (so peak RSS is that of the whole study), then prints the per-stage timings
the study records in DIR/timings.json and DIR/arms/*/timings.json. Target (issue 8): ≤ 20 min, ≤ 8 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/quick.yaml")
    parser.add_argument("--out", default="runs/study-time")
    parser.add_argument("--keep", action="store_true", help="Resume an existing --out instead of starting fresh.")
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    started = time.time()
    subprocess.run([sys.executable, "-m", "traitrl.cli.main", "run", args.config, "--out", str(out)], check=True)
    wall = time.time() - started
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20

    rows = [(stage, t["seconds"]) for stage, t in json.loads((out / "timings.json").read_text()).items()]
    for arm_timings in sorted((out / "arms").glob("*/timings.json")):
        arm = arm_timings.parent.name
        rows += [(f"  {arm}: {stage}", t["seconds"]) for stage, t in json.loads(arm_timings.read_text()).items()]
    print(f"{'stage':<40}{'seconds':>10}")
    for stage, seconds in rows:
        print(f"{stage:<40}{seconds:>10.1f}")
    print(f"{'total wall time':<40}{wall:>10.1f}  ({wall / 60:.1f} min)")
    print(f"{'peak RSS (GiB)':<40}{peak_gib:>10.2f}")


if __name__ == "__main__":
    main()
