#!/usr/bin/env python3
"""Title weight and share-of-best cut, compared by k-fold cross-validation on a training split (never test).

usage: python scripts/cv_title_share.py TRAIN.jsonl [--language fr|en] [--min-tag-count N]
       [--loss ridge|squared_hinge] [--alpha A] [--title-weight W] [--share-min-support N] [--folds 5] [--json OUT]

Folds are dealt by a hash of the article id, as in scripts/cv_thresholds.py. Each fold trains one
model on the other folds, with the title (the record's `title` field) repeated W times before the
body. The held-out fold is then decided by that model's own `decide` with each --min-share value
in turn (its micro+macro thresholds; the share cut spares tags with under --share-min-support
training articles; at least one tag per article). Micro/macro-F1 are pooled over all held-out
articles and over every tag with at least --min-tag-count training articles, spelled as in the file.
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

from classifier import TagModel  # noqa: E402

SHARES = (0.0, 0.03, 0.05, 0.1, 0.15, 0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train")
    ap.add_argument("--language", default="fr")
    ap.add_argument("--min-tag-count", type=int, default=5)
    ap.add_argument("--loss", default="ridge")
    ap.add_argument("--alpha", type=float, default=0.3)
    ap.add_argument("--title-weight", type=int, default=1)
    ap.add_argument("--share-min-support", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.train, encoding="utf-8") if line.strip()]
    texts = ["\n".join([r.get("title") or ""] * args.title_weight + [r.get("text") or ""]) for r in rows]
    tags = [list(r["tags"]) for r in rows]
    counts = Counter(t for ts in tags for t in set(ts))
    labels = {t for t, c in counts.items() if c >= args.min_tag_count}
    fold = np.array([int(hashlib.sha1(str(r["id"]).encode()).hexdigest(), 16) % args.folds for r in rows])
    tallies = {share: (Counter(), Counter(), Counter()) for share in SHARES}
    for k in range(args.folds):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        start = time.perf_counter()
        model = TagModel(language=args.language, loss=args.loss, alpha=args.alpha, min_tag_count=args.min_tag_count,
                         share_min_support=args.share_min_support)
        model.fit([texts[i] for i in train], [tags[i] for i in train])
        scores = model.decision_function([texts[i] for i in test])
        print(f"fold {k}: trained and scored in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        proba = model.scores_to_proba(scores)
        for share, (tp, fp, fn) in tallies.items():
            for row, i in zip(model.decide(scores, min_share=share, proba=proba), test):
                predicted = {model.classes_[j] for j in np.flatnonzero(row)} & labels
                gold = set(tags[i]) & labels
                tp.update(predicted & gold)
                fp.update(predicted - gold)
                fn.update(gold - predicted)
    results = []
    for share, (tp, fp, fn) in tallies.items():
        TP, FP, FN = sum(tp.values()), sum(fp.values()), sum(fn.values())
        supported = [t for t in labels if tp[t] + fn[t]]
        macro = float(np.mean([2 * tp[t] / (2 * tp[t] + fp[t] + fn[t]) for t in supported]))
        row = {"title_weight": args.title_weight, "min_share": share, "share_min_support": args.share_min_support,
               "micro_f1": round(2 * TP / (2 * TP + FP + FN), 4),
               "macro_f1": round(macro, 4), "tags_per_article": round((TP + FP) / len(rows), 2)}
        results.append(row)
        print(f"{row['micro_f1']:.4f}  {row['macro_f1']:.4f}  title x{args.title_weight}  min_share {share}",
              flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
