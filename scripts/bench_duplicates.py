#!/usr/bin/env python3
"""Recall and time of the near-duplicate search (MinHash/LSH candidates, exact cosine check) against
the exact all-pairs cosine, on a real corpus plus copies of its articles with words dropped.

usage: python scripts/bench_duplicates.py [--source FILE] [--articles 10000] [--max-drop 0.3]
                                          [--thresholds 0.9] [--seed 0] [--json OUT]

The sample is every article of the source (default: the bundled OrangeSum training split, 6,700
articles), then copies of source articles (shuffled with the seed) up to --articles, each copy's
body with a share of its words removed, the share drawn uniformly from [0, --max-drop] per copy
(seeded), so the copies' cosines to their originals spread across the threshold. For each
threshold: pairs found by both methods, recall (pairs found / exact pairs), the cosines of the
missed pairs, and the seconds each method took (vectorising included in both).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from classifier.corpus.articles import DEFAULT_TRAIN, load_articles
from classifier.corpus.duplicates import all_pairs, find_duplicates


def sample(source: Path, n: int, max_drop: float, seed: int) -> list[str]:
    """The source's texts, then copies with dropped words up to `n` texts in all."""
    texts = load_articles(source, merge_variants=False, require_tags=False).texts
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    out = list(texts)
    for k in range(max(0, n - len(texts))):
        title, _, body = texts[order[k % len(order)]].partition("\n")
        drop = rng.uniform(0, max_drop)
        words = body.split()
        kept = [w for w in words if rng.random() >= drop] or words[:1]
        out.append(title + "\n" + " ".join(kept))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_TRAIN, help="labeled corpus to sample and copy")
    ap.add_argument("--articles", type=int, default=10000, help="articles in the sample (source + copies)")
    ap.add_argument("--max-drop", type=float, default=0.3, help="largest share of a copy's words removed")
    ap.add_argument("--thresholds", default="0.9", help="comma-separated cosine thresholds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    if args.articles < 2 or not 0 <= args.max_drop < 1:
        ap.error("--articles must be >= 2 and --max-drop in [0, 1)")
    texts = sample(args.source, args.articles, args.max_drop, args.seed)
    print(f"{len(texts)} articles: {args.source} and copies with up to {args.max_drop:.0%} of their words dropped")
    rows = []
    for threshold in (float(t) for t in args.thresholds.split(",")):
        started = time.perf_counter()
        exact = all_pairs(texts, threshold=threshold)
        exact_s = time.perf_counter() - started
        started = time.perf_counter()
        found = find_duplicates(texts, threshold=threshold)
        lsh_s = time.perf_counter() - started
        truth = {(p.a, p.b): p.similarity for p in exact}
        got = {(p.a, p.b) for p in found}
        missed = sorted(truth[k] for k in truth.keys() - got)
        row = {"threshold": threshold, "articles": len(texts), "exact_pairs": len(truth), "lsh_pairs": len(got),
               "found": len(got & truth.keys()), "recall": round(len(got & truth.keys()) / max(1, len(truth)), 5),
               "not_in_exact": len(got - truth.keys()), "missed_cosines": missed[:20],
               "exact_s": round(exact_s, 2), "lsh_s": round(lsh_s, 2)}
        rows.append(row)
        print(f"cosine >= {threshold}: exact {row['exact_pairs']} pairs in {row['exact_s']} s; LSH {row['lsh_pairs']} "
              f"in {row['lsh_s']} s; recall {row['recall']:.5f} ({row['found']}/{row['exact_pairs']}); "
              f"missed cosines {missed[:10]}; not in exact {row['not_in_exact']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
