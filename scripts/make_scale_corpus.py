#!/usr/bin/env python3
"""Write a large labeled corpus built from a real one, for scale benchmarks.

usage: python scripts/make_scale_corpus.py N OUT.jsonl[.gz] [--source FILE] [--drop 0.2] [--seed 0]

Article k of the output is a copy of source article k mod M (M = the source's size; the source
order is shuffled once with the seed): the same title and tags, a new id (`<source id>~<k>`), and
its body with a share `--drop` of its words removed at random (seeded by k), so no two copies are
identical and the vocabulary and tag frequencies stay those of a real news corpus. The default
source is the bundled OrangeSum training split (CC BY-SA 4.0; the output keeps that licence).
The output streams: memory does not grow with N.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

from classifier.corpus.articles import DEFAULT_TRAIN
from classifier.corpus.reader import iter_records


def copies(source: list[dict], n: int, drop: float, seed: int):
    """The n output records, one at a time."""
    for k in range(n):
        record = source[k % len(source)]
        rng = random.Random(seed * 1_000_003 + k)
        words = str(record.get("text", "")).split()
        kept = [w for w in words if rng.random() >= drop] or words[:1]
        yield {"id": f"{record.get('id', k % len(source))}~{k}", "title": record.get("title", ""),
               "text": " ".join(kept), "tags": record.get("tags", []),
               **({"date": record["date"]} if "date" in record else {})}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="articles to write")
    ap.add_argument("out", type=Path, help="output JSONL (.gz to compress)")
    ap.add_argument("--source", type=Path, default=DEFAULT_TRAIN, help="labeled corpus to copy from")
    ap.add_argument("--drop", type=float, default=0.2, help="share of each body's words removed")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.n < 1 or not 0 <= args.drop < 1:
        ap.error("N must be >= 1 and --drop in [0, 1)")
    source = [record for _, record in iter_records(args.source)]
    random.Random(args.seed).shuffle(source)
    opener = gzip.open if args.out.name.endswith(".gz") else open
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with opener(args.out, "wt", encoding="utf-8") as handle:
        for record in copies(source, args.n, args.drop, args.seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} articles from {len(source)} in {args.source} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
