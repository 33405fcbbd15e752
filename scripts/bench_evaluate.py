#!/usr/bin/env python3
"""Time `classifier evaluate` (metrics, plots, report) of a model on the bundled test split.

usage: python scripts/bench_evaluate.py [--model RUN_DIR] [--repeat N] [--train FILE] [--test FILE]
Without --model it first trains one on --train (default: the bundled training split; not timed).
--test is the labeled data evaluated (default: the bundled test split, 1,675 articles). Target: < 30 s.
Quick run on the test fixture: --train tests/fixtures/mini_fr.jsonl --test tests/fixtures/mini_fr.jsonl --repeat 1
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

from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN

ROOT = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).parent / "classifier")]  # the installed console script, as a user runs it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="run folder to evaluate (default: train one on --train first)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--train", default=str(DEFAULT_TRAIN), help="training data when no --model is given")
    ap.add_argument("--test", default=str(DEFAULT_TEST), help="labeled data to evaluate on")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CLASSIFIER_ARTIFACTS": tmp}
        model = args.model
        if model is None:
            model = str(Path(tmp) / "run")
            subprocess.run(CLI + ["train", args.train, "--out", model, "--quiet"], check=True, cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL)
        times = []
        for i in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(CLI + ["evaluate", args.test, "--model", model, "--out", str(Path(tmp) / f"eval{i}"),
                                  "--quiet"], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
            if not (Path(tmp) / f"eval{i}" / "report.html").is_file():
                sys.exit(f"classifier evaluate wrote no report.html under {Path(tmp) / f'eval{i}'}")
    print(f"classifier evaluate on {args.test}, plots and report included: median {statistics.median(times):.1f} s, "
          f"max {max(times):.1f} s over {len(times)} runs (target < 30 s on the bundled test split)")


if __name__ == "__main__":
    main()
