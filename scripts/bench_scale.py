#!/usr/bin/env python3
"""Train and tag at growing corpus sizes; record wall time, peak RSS and model size, and fit how
time grows with the number of articles.

usage: python scripts/bench_scale.py [--sizes 50000,100000,200000,500000,1000000] [--source FILE]
       [--work DIR] [--out DIR] [--name NAME] [--train-args "..."] [--keep]

Each size's corpus is made by scripts/make_scale_corpus.py from --source (default: the bundled
OrangeSum training split) and kept in --work for the next run. Training is one `classifier train`
process and tagging one `classifier predict --file CORPUS --format jsonl` process over the same
corpus (output discarded); both are timed whole, with the peak resident set of the process and its
children. The growth exponent is the slope of log(time) against log(articles) between the smallest
and the largest size, and the least-squares slope over all sizes. Results go to --out as
NAME.json, NAME.md (a table) and NAME.png (a log-log plot).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "classifier")
PROBE = ("import resource,subprocess,sys;r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,file=sys.stderr);sys.exit(r.returncode)")


def timed(cmd: list[str], work: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the command and its children); stdout discarded. Runs go
    under `work` (CLASSIFIER_ARTIFACTS), so the user's artifacts/latest is left alone."""
    start = time.perf_counter()
    env = {**os.environ, "CLASSIFIER_ARTIFACTS": str(work)}
    done = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{done.stderr[-2000:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) on log(x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    n = [r["articles"] for r in rows]
    ax.loglog(n, [r["train_s"] for r in rows], "o-", label="train (s)")
    ax.loglog(n, [r["predict_s"] for r in rows], "s-", label="tag the corpus (s)")
    ax.loglog(n, [r["train_rss_mb"] for r in rows], "^--", label="train peak RSS (MB)")
    ax.set_xlabel("articles")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50000,100000,200000,500000,1000000")
    ap.add_argument("--source", type=Path, default=None, help="labeled corpus to copy from")
    ap.add_argument("--work", type=Path, default=ROOT / "artifacts" / "scale")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--name", default="scale")
    ap.add_argument("--train-args", default="", help="extra options for classifier train")
    ap.add_argument("--keep", action="store_true", help="keep the trained runs")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sizes:
        corpus = args.work / f"scale-{n}.jsonl"
        if not corpus.exists():
            make = [sys.executable, str(ROOT / "scripts" / "make_scale_corpus.py"), str(n), str(corpus)]
            subprocess.run(make + (["--source", str(args.source)] if args.source else []), check=True)
        run = args.work / f"run-{n}"
        subprocess.run(["rm", "-rf", str(run)], check=True)
        train_s, train_rss = timed([CLI, "train", str(corpus), "--out", str(run), "--quiet",
                                    *shlex.split(args.train_args)], args.work)
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        predict_s, predict_rss = timed([CLI, "predict", "--model", str(run), "--file", str(corpus), "--format",
                                        "jsonl", "--quiet"], args.work)
        row = {"articles": n, "train_s": round(train_s, 1), "train_rss_mb": round(train_rss),
               "solver": manifest["solver"]["path"], "loss": manifest["solver"]["loss"],
               "tags": manifest["tags_learned"], "features": manifest["features"],
               "model_mb": round((run / "model.joblib").stat().st_size / 2**20, 2),
               "validation": manifest["validation"], "predict_s": round(predict_s, 1),
               "predict_rss_mb": round(predict_rss), "predict_per_s": round(n / predict_s)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(run)], check=True)
    result = {"rows": rows, "train_args": args.train_args}
    if len(rows) > 1:
        n = [r["articles"] for r in rows]
        for key in ("train_s", "predict_s", "train_rss_mb"):
            ends = math.log(rows[-1][key] / rows[0][key]) / math.log(n[-1] / n[0])
            result[f"{key}_exponent"] = {"ends": round(ends, 3), "fit": round(slope(n, [r[key] for r in rows]), 3)}
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = ["| articles | solver | tags | features | train s | train peak RSS MB | model MB | tag the corpus s "
             "| articles/s | tagging peak RSS MB | validation micro / macro |", "|" + "---|" * 11]
    lines += [f"| {r['articles']:,} | {r['solver']} ({r['loss']}) | {r['tags']} | {r['features']:,} | {r['train_s']} "
              f"| {r['train_rss_mb']:,} | {r['model_mb']} | {r['predict_s']} | {r['predict_per_s']:,} "
              f"| {r['predict_rss_mb']:,} | {r['validation']['micro_f1']:.3f} / {r['validation']['macro_f1']:.3f} |"
              for r in rows]
    for key in ("train_s", "predict_s", "train_rss_mb"):
        if f"{key}_exponent" in result:
            e = result[f"{key}_exponent"]
            lines.append(f"\n{key} grows as articles^{e['ends']} between the ends (least squares: {e['fit']})")
    (args.out / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if len(rows) > 1:
        plot(rows, args.out / f"{args.name}.png")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
