#!/usr/bin/env python3
"""Speed benchmark for the end-to-end targets: training time, cold-start prediction, batch throughput.

usage: python scripts/bench_speed.py [--train FILE] [--corpus FILE] [--repeat N] [--json OUT]

Training and cold start are timed as whole `classifier` processes (what a user waits for); batch
throughput is timed in-process over every article of --corpus (default: both bundled splits), after
the model is loaded, and also as a whole `classifier predict --file ... --format jsonl` process.
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

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "classifier"]


def timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, **kw)
    return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from classifier import load_articles, load_model, predict
    from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(DEFAULT_TRAIN))
    ap.add_argument("--corpus", nargs="*", default=[str(DEFAULT_TEST), str(DEFAULT_TRAIN)])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()

    results: dict = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CLASSIFIER_ARTIFACTS": tmp}
        run = Path(tmp) / "run"
        results["train_seconds"] = round(timed(CLI + ["train", args.train, "--out", str(run), "--quiet"], env=env), 2)

        text = "Le Maroc et Israël font le point de leur coopération militaire et de défense."
        colds = [timed(CLI + ["predict", text, "--model", str(run)], env=env) for _ in range(args.repeat)]
        results["cold_predict_seconds"] = {"median": round(statistics.median(colds), 3), "max": round(max(colds), 3)}

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

    print(f"train (default split, thresholds included): {results['train_seconds']:.1f} s  (target < 60 s)")
    print(f"cold predict of one text: median {results['cold_predict_seconds']['median']:.2f} s, "
          f"max {results['cold_predict_seconds']['max']:.2f} s  (target < 1.5 s)")
    b = results["batch"]
    print(f"batch predict in-process: {b['articles']} articles in {b['seconds']:.2f} s = "
          f"{b['articles_per_second']} articles/s  (target >= 4000)")
    b2 = results["batch_again"]
    print(f"batch predict in-process, second batch (weights already built): {b2['articles_per_second']} "
          "articles/s")
    bp = results["batch_process"]
    print(f"batch predict as a process (start-up and model load included): {bp['articles']} articles in "
          f"{bp['seconds']:.2f} s = {bp['articles_per_second']} articles/s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
