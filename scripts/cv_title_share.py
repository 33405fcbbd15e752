#!/usr/bin/env python3
"""Title weight and share-of-best cut, compared by k-fold cross-validation on a training split (never test).

usage: python scripts/cv_title_share.py TRAIN.jsonl [--language fr|en] [--min-tag-count N]
       [--loss ridge|squared_hinge] [--alpha A] [--title-weight W] [--share-min-support N] [--folds 5] [--json OUT]

Folds are dealt by a hash of the article id, as in scripts/cv_thresholds.py. Each fold trains one
model on the other folds with `TagModel(title_weight=W)` (the title, the first line `load_articles`
gives, counts W times). The held-out fold is then decided by that model's own `decide` with each
--min-share value in turn (its micro+macro thresholds; the share cut spares tags with under
--share-min-support training articles; at least one tag per article). Micro/macro-F1 are pooled over
all held-out articles and over every tag on at least --min-tag-count articles, spelled as in the file
(tag variants are not merged).
"""

from __future__ import annotations

import numpy as np
from _common import cross_fit, f1, frequent_tags, indicator, on_labels, parser, write_json

from classifier import TagModel, load_articles

SHARES = (0.0, 0.03, 0.05, 0.1, 0.15, 0.2)


def main() -> None:
    ap = parser(__doc__, folds=True)
    ap.add_argument("--alpha", type=float, default=0.3)
    ap.add_argument("--title-weight", type=int, default=3, help="the model's default: 3")
    ap.add_argument("--share-min-support", type=int, default=20)
    args = ap.parse_args()
    corpus = load_articles(args.train, merge_variants=False)
    labels = frequent_tags(corpus.tags, args.min_tag_count)
    gold = indicator(corpus.tags, labels)
    decided = {share: np.zeros_like(gold) for share in SHARES}
    make = lambda: TagModel(language=args.language, loss=args.loss, alpha=args.alpha,  # noqa: E731
                            min_tag_count=args.min_tag_count, share_min_support=args.share_min_support,
                            title_weight=args.title_weight)
    for test, model, scores in cross_fit(corpus, args.folds, make):
        proba = model.scores_to_proba(scores)
        for share, pred in decided.items():
            pred[test] = on_labels(model.decide(scores, min_share=share, proba=proba), model.classes_, labels)
    results = []
    for share, pred in decided.items():
        m = f1(gold, pred)
        row = {"title_weight": args.title_weight, "min_share": share, "share_min_support": args.share_min_support,
               "micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"],
               "tags_per_article": round(int(pred.sum()) / len(corpus), 2)}
        results.append(row)
        print(f"{row['micro_f1']:.4f}  {row['macro_f1']:.4f}  title x{args.title_weight}  min_share {share}",
              flush=True)
    write_json(args.json_out, results)


if __name__ == "__main__":
    main()
