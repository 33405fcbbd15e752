#!/usr/bin/env python3
"""Time `classifier evaluate` (metrics, plots, report) of a model on the bundled test split.

usage: python scripts/bench_evaluate.py [--model RUN_DIR] [--repeat N]
Without --model it first trains one on the bundled training split (not timed). Target: < 30 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "classifier"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CLASSIFIER_ARTIFACTS": tmp}
        model = args.model
        if model is None:
            model = str(Path(tmp) / "run")
            subprocess.run(CLI + ["train", "--out", model, "--quiet"], check=True, cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL)
        times = []
        for i in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(CLI + ["evaluate", "--model", model, "--out", str(Path(tmp) / f"eval{i}"), "--quiet"],
                           check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    print(f"classifier evaluate on the bundled test split (1,675 articles), plots and report included: "
          f"median {statistics.median(times):.1f} s, max {max(times):.1f} s over {len(times)} runs (target < 30 s)")


if __name__ == "__main__":
    main()
