#!/usr/bin/env python3
"""Loss and regularisation compared by k-fold cross-validation on a training split (never test).

usage: python scripts/cv_loss.py TRAIN.jsonl [--language fr|en] [--min-tag-count N] [--folds 5]
       [--losses ridge,squared_hinge,ensemble] [--alphas 0.15,0.3,0.6] [--title-weight W]
       [--section-col COL] [--json OUT]

Folds are dealt by a hash of the article id, as in scripts/cv_thresholds.py. Each fold trains one
model per (loss, alpha) on the other folds (every other setting the default) and decides the
held-out fold with that model's own `decide`. Micro/macro-F1 are pooled over all held-out articles
and over every tag on at least --min-tag-count articles, spelled as in the file. Also reported: the
mean fit time per fold (whole `fit`, both cores).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from _common import cross_fit, f1, frequent_tags, indicator, on_labels, parser, write_json

from classifier import TagModel, load_articles


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--folds", type=int, default=5, help="k: articles are dealt to k folds by a hash of their id")
    ap.add_argument("--losses", default="ridge,squared_hinge,ensemble")
    ap.add_argument("--alphas", default="0.15,0.3,0.6")
    ap.add_argument("--title-weight", type=int, default=3, help="the model's default: 3")
    ap.add_argument("--section-col", default="section", help="the section column ('' leaves it out)")
    args = ap.parse_args()
    corpus = load_articles(args.train, merge_variants=False, section_col=args.section_col or None)
    labels = frequent_tags(corpus.tags, args.min_tag_count)
    gold = indicator(corpus.tags, labels)
    results = []
    for loss in args.losses.split(","):
        for alpha in map(float, args.alphas.split(",")):
            pred = np.zeros_like(gold)
            make = partial(TagModel, language=args.language, loss=loss, alpha=alpha,
                           min_tag_count=args.min_tag_count, title_weight=args.title_weight)
            start = time.perf_counter()
            for test, model, scores in cross_fit(corpus, args.folds, make):
                pred[test] = on_labels(model.decide(scores), model.classes_, labels)
            m = f1(gold, pred)
            row = {"loss": loss, "alpha": alpha, "title_weight": args.title_weight,
                   "section_col": args.section_col or None, "micro_f1": m["micro_f1"],
                   "macro_f1": m["macro_f1"], "seconds_per_fold": round((time.perf_counter() - start) / args.folds, 1)}
            results.append(row)
            print(f"{row['micro_f1']:.4f}  {row['macro_f1']:.4f}  {loss} alpha {alpha}  "
                  f"{row['seconds_per_fold']} s/fold", flush=True)
    write_json(args.json_out, results)


if __name__ == "__main__":
    main()
