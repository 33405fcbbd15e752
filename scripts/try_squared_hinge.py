#!/usr/bin/env python3
"""Experiment (not in the model): squared-hinge refinement of the dual ridge solution.

usage: python scripts/try_squared_hinge.py WORK_DIR LANG MIN_TAG_COUNT ALPHA STEPS

WORK_DIR holds the benchmark's fit.jsonl / val.jsonl (scripts/benchmark.py writes them). Starting
from the ridge solution A = G⁻¹Y, each majorise-minimise step moves the targets of articles already
beyond their margin (positives scoring above 1, negatives below 0) to their own scores and solves
again with the same G⁻¹: a squared-hinge (L2-SVM) fit at one extra n²·tags product per step.
Thresholds come from the leave-one-out formula on the final targets, which is optimistic for this
loss (articles beyond the margin act as anchors), so the validation split is the only honest measure
here. Prints validation micro/macro-F1 after 0, 10, 20, 40 and 80 steps.
"""

import sys
from pathlib import Path

import numpy as np
import scipy.linalg as sla

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from common import read, text  # noqa: E402

from classifier import TagModel  # noqa: E402
from classifier import features as F  # noqa: E402
from classifier.metrics import compute_metrics  # noqa: E402
from classifier.thresholds import apply_thresholds, tune_thresholds  # noqa: E402


def main() -> None:
    work, lang = sys.argv[1], sys.argv[2]
    min_tags, alpha, steps = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    fit, val = read(f"{work}/fit.jsonl"), read(f"{work}/val.jsonl")
    texts, tags = [text(r) for r in fit], [r["tags"] for r in fit]
    model = TagModel(language=lang, min_tag_count=min_tags, alpha=alpha, n_jobs=1).fit(texts, tags)
    index = {t: j for j, t in enumerate(model.classes_)}
    gold = np.zeros((len(val), len(index)), bool)
    for i, r in enumerate(val):
        for t in r["tags"]:
            if t in index:
                gold[i, index[t]] = True
    X = F.transform(model.features_, texts)
    XV = F.transform(model.features_, [text(r) for r in val])
    Y = np.array([[t in set(ts) for t in model.classes_] for ts in tags], dtype=np.float32)
    G = (X @ X.T).toarray().astype(np.float32) + 1.0
    G[np.diag_indices(len(texts))] += alpha
    factor, _ = sla.lapack.spotrf(G, lower=0)
    inverse, _ = sla.lapack.spotri(factor, lower=0)
    inverse = np.triu(inverse) + np.triu(inverse, 1).T
    diag = np.diag(inverse)
    T = Y.copy()
    for step in range(steps + 1):
        A = inverse @ T
        if step in (0, 10, 20, 40, 80):
            loo = T - A / diag[:, None]
            scores = np.asarray(XV @ (X.T @ A)) + A.sum(axis=0)
            decided = apply_thresholds(scores, tune_thresholds(loo, Y, fbr=model.fbr), min_tags=1)
            m = compute_metrics(gold, decided, names=["micro_f1", "macro_f1"])
            print(f"{step:3d} steps: val micro-F1 {m['micro_f1']:.4f}  macro-F1 {m['macro_f1']:.4f}", flush=True)
        F_in = T - alpha * A  # in-sample scores, since (K + αI) A = T
        T = np.where(Y > 0, np.maximum(F_in, 1.0), np.minimum(F_in, 0.0)).astype(np.float32)


if __name__ == "__main__":
    main()
