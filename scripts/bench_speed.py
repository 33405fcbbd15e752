#!/usr/bin/env python3
"""Speed benchmark for the end-to-end targets: training time, cold-start prediction, start-up, batch throughput.

usage: python scripts/bench_speed.py [--train FILE] [--corpus FILE...] [--repeat N] [--json OUT] [--strict]

Training, cold start and `classifier --help` are timed as whole processes of the installed `classifier`
command (what a user runs and waits for); batch throughput is timed in-process over every article of
--corpus (default: both bundled splits), after the model is loaded, and also as a whole
`classifier predict --file ... --format jsonl` process. Two start-up targets are checked, each a median
over --repeat runs: cold `classifier predict "text"` (model load included) <= 0.5 s, `classifier --help`
<= 0.25 s; each prints PASS or FAIL (the exit code is 1 on a FAIL only with --strict).
Quick run on the test fixture: --train tests/fixtures/mini_fr.jsonl --corpus tests/fixtures/mini_fr.jsonl --repeat 1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classifier import load_articles, load_model, predict
from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN

ROOT = Path(__file__).resolve().parent.parent
# The console script pip installs beside this interpreter: what a user types, start-up included.
CLI = [str(Path(sys.executable).parent / "classifier")]
TARGETS = {"cold_predict": 0.5, "help": 0.25}  # seconds, median of --repeat runs
TEXT = "Le Maroc et Israël font le point de leur coopération militaire et de défense."


def timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, **kw)
    return time.perf_counter() - start


def check(times: list[float], target: float) -> dict:
    median = statistics.median(times)
    return {"median": round(median, 3), "max": round(max(times), 3), "runs": len(times), "target": target,
            "passed": median <= target}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(DEFAULT_TRAIN), help="corpus to train on (default: bundled train split)")
    ap.add_argument("--corpus", nargs="+", default=[str(DEFAULT_TEST), str(DEFAULT_TRAIN)],
                    help="corpora to predict in batch (default: both bundled splits)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each start-up timing (the median is checked)")
    ap.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 when a start-up target fails")
    args = ap.parse_args()
    if not Path(CLI[0]).exists():
        sys.exit(f"{CLI[0]} not found: install the package (pip install -e .) into this interpreter's environment")

    results: dict = {"machine": {"cpus": os.cpu_count()}, "command": CLI[0]}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CLASSIFIER_ARTIFACTS": tmp}
        run = Path(tmp) / "run"
        results["train_seconds"] = round(timed(CLI + ["train", args.train, "--out", str(run), "--quiet"], env=env), 2)

        colds = [timed(CLI + ["predict", TEXT, "--model", str(run)], env=env) for _ in range(args.repeat)]
        results["cold_predict_seconds"] = check(colds, TARGETS["cold_predict"])
        helps = [timed(CLI + ["--help"], env=env) for _ in range(args.repeat)]
        results["help_seconds"] = check(helps, TARGETS["help"])

        texts: list[str] = []
        for path in args.corpus:
            texts += load_articles(path, require_tags=False).texts
        model = load_model(run)
        predict(model, texts[:10])  # warm the code path, not the weights
        start = time.perf_counter()
        predict(model, texts)
        seconds = time.perf_counter() - start
        results["batch"] = {"articles": len(texts), "seconds": round(seconds, 3),
                            "articles_per_second": round(len(texts) / seconds)}
        start = time.perf_counter()
        predict(model, texts)  # a second batch: the weights are already built (a long-running process)
        again = time.perf_counter() - start
        results["batch_again"] = {"articles": len(texts), "seconds": round(again, 3),
                                  "articles_per_second": round(len(texts) / again)}

        corpus = args.corpus[0]
        n = len(load_articles(corpus, require_tags=False))
        whole = timed(CLI + ["predict", "--model", str(run), "--file", corpus, "--format", "jsonl", "--quiet"], env=env)
        results["batch_process"] = {"file": corpus, "articles": n, "seconds": round(whole, 3),
                                    "articles_per_second": round(n / whole)}

    print(f"train ({args.train}, thresholds included): {results['train_seconds']:.1f} s  (target < 60 s on the "
          "bundled split)")
    for key, label in (("cold_predict_seconds", 'cold `classifier predict "text"` (model load included)'),
                       ("help_seconds", "`classifier --help`")):
        r = results[key]
        print(f"{label}: median {r['median']:.2f} s, max {r['max']:.2f} s over {r['runs']} runs  "
              f"(target <= {r['target']} s): {'PASS' if r['passed'] else 'FAIL'}")
    b = results["batch"]
    print(f"batch predict in-process: {b['articles']} articles in {b['seconds']:.2f} s = "
          f"{b['articles_per_second']} articles/s  (target >= 4000 on the bundled splits)")
    b2 = results["batch_again"]
    print(f"batch predict in-process, second batch (weights already built): {b2['articles_per_second']} "
          "articles/s")
    bp = results["batch_process"]
    print(f"batch predict as a process (start-up and model load included): {bp['articles']} articles in "
          f"{bp['seconds']:.2f} s = {bp['articles_per_second']} articles/s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")
    if args.strict and not all(results[k]["passed"] for k in ("cold_predict_seconds", "help_seconds")):
        sys.exit(1)


if __name__ == "__main__":
    main()
