#!/usr/bin/env python3
"""Experiment: the squared-hinge (L2-SVM) tags of `classifier.squared_hinge` against the ridge ones
on the benchmark's fit/val files, with leave-one-out scores from the final active set.

usage: [MIN_DF=2] [MAX_DF=0.5] python scripts/try_newton_l2svm.py WORK_DIR LANG MIN_TAG_COUNT
       [ALPHA [THREADS [MAX_STEPS [CG_TOL]]]]

WORK_DIR holds the benchmark's fit.jsonl / val.jsonl. Prints validation micro/macro-F1 of the ridge
model and of the squared-hinge refinement (both with thresholds from their own leave-one-out scores),
the leave-one-out estimate of each (the squared hinge under both threshold rules), and the time
and active-set sizes of the squared hinge.
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from common import read, text  # noqa: E402

from classifier import TagModel, squared_hinge  # noqa: E402
from classifier import features as F  # noqa: E402
from classifier.evaluation.metrics import compute_metrics  # noqa: E402
from classifier.model.thresholds import apply_thresholds  # noqa: E402


def main() -> None:
    work, lang, min_tags = sys.argv[1], sys.argv[2], int(sys.argv[3])
    alpha = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    fit, val = read(f"{work}/fit.jsonl"), read(f"{work}/val.jsonl")
    texts, tags = [text(r) for r in fit], [r["tags"] for r in fit]
    model = TagModel(language=lang, min_tag_count=min_tags, alpha=alpha, n_jobs=2,
                     min_df=int(os.environ.get("MIN_DF", 2)), max_df=float(os.environ.get("MAX_DF", 0.5)))
    model._validate_params()
    model.classes_ = np.array(sorted({t for ts in tags for t in ts}), dtype=object)
    counts = {t: 0 for t in model.classes_}
    for ts in tags:
        for t in set(ts):
            counts[t] += 1
    model.classes_ = np.array([t for t in model.classes_ if counts[t] >= min_tags], dtype=object)
    index = {t: j for j, t in enumerate(model.classes_)}
    Y = np.zeros((len(texts), len(index)), np.float32)
    for i, ts in enumerate(tags):
        for t in ts:
            if t in index:
                Y[i, index[t]] = 1
    gold = np.zeros((len(val), len(index)), bool)
    for i, r in enumerate(val):
        for t in r["tags"]:
            if t in index:
                gold[i, index[t]] = True
    space, X = model._fit_features(texts)
    XV = F.transform(space, [text(r) for r in val])
    start = time.perf_counter()
    A, loo = model._solve_dual(X, Y, lambda *a: None)
    print(f"ridge solve {time.perf_counter() - start:.1f} s", flush=True)

    def report(name, W, b, held_out):
        thr = model._tune(held_out, Y)
        scores = np.asarray(XV @ W) + b
        m = compute_metrics(gold, apply_thresholds(scores, thr, min_tags=1), names=["micro_f1", "macro_f1"])
        est = model._cross_fit_validation(held_out, Y)
        print(f"{name}: val {m['micro_f1']:.4f}/{m['macro_f1']:.4f}   "
              f"LOO estimate {est['micro_f1']:.4f}/{est['macro_f1']:.4f}", flush=True)

    report("ridge", X.T @ A, A.sum(axis=0), loo)
    start = time.perf_counter()
    def tick(stage, done, total):
        if done % 50 == 0:
            print(f"  {done}/{total} tags {time.perf_counter() - start:.0f} s", flush=True)

    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    A2, loo2, info = squared_hinge.fit(X, Y, alpha, n_jobs=threads, progress=tick,
                                       max_steps=int(sys.argv[6]) if len(sys.argv) > 6 else 30,
                                       tol=float(sys.argv[7]) if len(sys.argv) > 7 else 1e-3)
    took = time.perf_counter() - start
    sizes = np.array(info["active"])
    print(f"newton {took:.1f} s; iterations max {max(info['iterations'])} mean {np.mean(info['iterations']):.1f}; "
          f"active set median {np.median(sizes):.0f} max {sizes.max()} sum {sizes.sum()}", flush=True)
    for rule in ("micromacro", "scutfbr"):
        model.threshold_rule = rule
        report(f"squared hinge, {rule} thresholds", X.T @ A2, A2.sum(axis=0), loo2)


if __name__ == "__main__":
    main()
