#!/usr/bin/env python3
"""Choose alpha and fbr on the training split only, from the model's held-out (leave-one-out) scores.

usage: python scripts/tune.py TRAIN.jsonl [--language fr|en] [--min-tag-count N]
       [--alphas 0.1,0.3,1] [--fbrs 0.1,0.2,0.3] [--ngram 1,1]

Features are computed once; each alpha costs one factorisation; each fbr only a threshold pass.
Prints the cross-fitted validation micro/macro-F1 of every pair (thresholds tuned on one half of
the training articles, measured on the other). The test split is never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier import TagModel, load_articles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("--language", default="fr")
    ap.add_argument("--min-tag-count", type=int, default=5)
    ap.add_argument("--alphas", default="0.1,0.2,0.3,0.5,1.0")
    ap.add_argument("--fbrs", default="0.1,0.2,0.3")
    ap.add_argument("--ngram", default="1,1")
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--max-df", type=float, default=0.5)
    args = ap.parse_args()
    corpus = load_articles(args.train)
    ngram = tuple(int(x) for x in args.ngram.split(","))
    base = TagModel(language=args.language, min_tag_count=args.min_tag_count, ngram_range=ngram,
                    min_df=args.min_df, max_df=args.max_df)
    counts = Counter(t for tags in corpus.tags for t in set(tags))
    classes = sorted(t for t, c in counts.items() if c >= args.min_tag_count)
    index = {t: j for j, t in enumerate(classes)}
    Y = np.zeros((len(corpus), len(classes)), dtype=np.float32)
    for i, tags in enumerate(corpus.tags):
        for t in tags:
            if t in index:
                Y[i, index[t]] = 1
    start = time.perf_counter()
    _, X = base._fit_features(corpus.texts)
    print(f"{X.shape[0]} articles, {X.shape[1]} features, {len(classes)} tags ({time.perf_counter() - start:.1f} s)")
    print("alpha    fbr  val_micro_f1  val_macro_f1")
    for alpha in (float(a) for a in args.alphas.split(",")):
        model = TagModel(**{**base.get_params(), "alpha": alpha})
        _, loo = model._solve_dual(X, Y, lambda *a: None)
        for fbr in (float(f) for f in args.fbrs.split(",")):
            model.fbr = fbr
            v = model._cross_fit_validation(loo, Y)
            print(f"{alpha:<6} {fbr:>5}  {v['micro_f1']:>12.4f}  {v['macro_f1']:>12.4f}", flush=True)


if __name__ == "__main__":
    main()
