#!/usr/bin/env python3
"""Compare threshold rules by k-fold cross-validation on a training split (never test).

usage: python scripts/cv_thresholds.py TRAIN.jsonl [--language fr|en] [--min-tag-count N]
       [--loss ridge|squared_hinge] [--folds 5] [--json OUT]

Articles are dealt to folds by a hash of their id (`classifier.evaluation.splits.hash_folds`). For each
fold the model is trained once on the other folds; every rule then sets thresholds from that model's
leave-one-out scores and decides the held-out fold. Micro/macro-F1 are pooled over all held-out
articles, over every tag seen on at least --min-tag-count articles (macro over tags with held-out
support), so rare tags count with all their articles instead of the few a single validation split holds.
"""

from __future__ import annotations

import numpy as np
from _common import cross_fit, f1, frequent_tags, indicator, on_labels, parser, write_json

from classifier import TagModel, load_articles
from classifier.model.thresholds import apply_thresholds, tune_thresholds

RULES = {
    "micromacro (default)": {"rule": "micromacro"},
    "scutfbr, fbr 0.2": {"rule": "scutfbr", "fbr": 0.2},
    "scutfbr, fbr 0.1": {"rule": "scutfbr", "fbr": 0.1},
    "each tag's best F1 (scutfbr, fbr 0)": {"rule": "scutfbr", "fbr": 0.0},
}


class CapturingTagModel(TagModel):
    """Keeps the leave-one-out scores its thresholds were tuned on (the first `_tune` call of fit)."""

    def _tune(self, scores: np.ndarray, Y: np.ndarray) -> np.ndarray:
        if not hasattr(self, "held_out_"):
            self.held_out_ = (scores, Y)
        return super()._tune(scores, Y)


def main() -> None:
    args = parser(__doc__, folds=True).parse_args()
    corpus = load_articles(args.train)
    labels = frequent_tags(corpus.tags, args.min_tag_count)
    gold = indicator(corpus.tags, labels)
    decided = {(name, m): np.zeros_like(gold) for name in RULES for m in (1, 0)}
    make = lambda: CapturingTagModel(language=args.language, loss=args.loss,  # noqa: E731
                                     min_tag_count=args.min_tag_count)
    for test, model, scores in cross_fit(corpus, args.folds, make):
        loo, Y = model.held_out_
        for name, options in RULES.items():
            thresholds = tune_thresholds(loo, Y, **options)
            for min_tags in (1, 0):
                chosen = apply_thresholds(scores, thresholds, min_tags=min_tags)
                decided[name, min_tags][test] = on_labels(chosen, model.classes_, labels)
    results = []
    for (name, min_tags), pred in decided.items():
        m = f1(gold, pred)
        row = {"rule": name, "min_tags": min_tags, "micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"]}
        results.append(row)
        print(f"{row['micro_f1']:.4f}  {row['macro_f1']:.4f}  min_tags {min_tags}  {name}", flush=True)
    write_json(args.json_out, results)


if __name__ == "__main__":
    main()
