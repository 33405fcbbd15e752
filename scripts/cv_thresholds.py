#!/usr/bin/env python3
"""Compare threshold rules by k-fold cross-validation on a training split (never test).

usage: python scripts/cv_thresholds.py TRAIN.jsonl [--language fr|en] [--min-tag-count N]
       [--loss ridge|squared_hinge] [--folds 5] [--json OUT]

Articles are dealt to folds by a hash of their id. For each fold the model is trained once on the
other folds; every rule then sets thresholds from that model's leave-one-out scores and decides the
held-out fold. Micro/macro-F1 are pooled over all held-out articles, over every tag seen on at least
--min-tag-count training articles (macro over tags with held-out support), so rare tags count with
all their articles instead of the few a single validation split holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier import TagModel, load_articles  # noqa: E402
from classifier.model.thresholds import apply_thresholds, tune_thresholds  # noqa: E402

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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train")
    ap.add_argument("--language", default="fr")
    ap.add_argument("--min-tag-count", type=int, default=5)
    ap.add_argument("--loss", default="ridge")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    corpus = load_articles(args.train)
    counts = Counter(t for tags in corpus.tags for t in set(tags))
    labels = {t for t, c in counts.items() if c >= args.min_tag_count}
    fold = np.array([int(hashlib.sha1(str(i).encode()).hexdigest(), 16) % args.folds for i in corpus.ids])
    tallies = {(name, m): (Counter(), Counter(), Counter()) for name in RULES for m in (1, 0)}
    for k in range(args.folds):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        start = time.perf_counter()
        model = CapturingTagModel(language=args.language, loss=args.loss, min_tag_count=args.min_tag_count)
        model.fit([corpus.texts[i] for i in train], [corpus.tags[i] for i in train])
        scores = model.decision_function([corpus.texts[i] for i in test])
        print(f"fold {k}: trained and scored in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        loo, Y = model.held_out_
        for name, options in RULES.items():
            thresholds = tune_thresholds(loo, Y, **options)
            for min_tags in (1, 0):
                tp, fp, fn = tallies[name, min_tags]
                for row, i in zip(apply_thresholds(scores, thresholds, min_tags=min_tags), test):
                    predicted = {model.classes_[j] for j in np.flatnonzero(row)} & labels
                    gold = set(corpus.tags[i]) & labels
                    tp.update(predicted & gold)
                    fp.update(predicted - gold)
                    fn.update(gold - predicted)
    results = []
    for (name, min_tags), (tp, fp, fn) in tallies.items():
        TP, FP, FN = sum(tp.values()), sum(fp.values()), sum(fn.values())
        supported = [t for t in labels if tp[t] + fn[t]]
        macro = float(np.mean([2 * tp[t] / (2 * tp[t] + fp[t] + fn[t]) for t in supported]))
        row = {"rule": name, "min_tags": min_tags, "micro_f1": round(2 * TP / (2 * TP + FP + FN), 4),
               "macro_f1": round(macro, 4)}
        results.append(row)
        print(f"{row['micro_f1']:.4f}  {row['macro_f1']:.4f}  min_tags {min_tags}  {name}", flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
