#!/usr/bin/env python3
"""Time `classifier import` on ~10,000 articles: the bundled corpus (train + test, 8,375 articles,
plus 1,625 re-published copies to reach 10,000) written out as saved text pages, and as one CSV.

usage: python scripts/bench_import.py [--dedupe exact|near] [--corpus FILE...] [--articles N]
Duplicate detection is included in the timing. Target: < 30 s for 10,000 articles.
--corpus reads other labeled JSONL files instead of the bundled splits, repeated (ids suffixed -copy,
-copy2, ...) or cut to --articles; e.g. --corpus tests/fixtures/mini_fr.jsonl --articles 200 runs in seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN

ROOT = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).parent / "classifier")]  # the installed console script, as a user runs it


def articles(paths: list[str], n: int) -> pd.DataFrame:
    """Exactly `n` articles: the corpora's, then re-published copies of them under new ids."""
    frame = pd.concat([pd.read_json(p, lines=True) for p in paths], ignore_index=True)
    for col, default in (("date", "2020-01-01"), ("section", "Actualité")):
        frame[col] = frame[col].fillna(default) if col in frame else default
    parts, total, k = [frame], len(frame), 1
    while total < n:
        parts.append(frame.assign(id=frame["id"].astype(str) + ("-copy" if k == 1 else f"-copy{k}")))
        total, k = total + len(frame), k + 1
    return pd.concat(parts, ignore_index=True).head(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dedupe", default="near", choices=("none", "exact", "near"))
    ap.add_argument("--corpus", nargs="+", default=[str(DEFAULT_TRAIN), str(DEFAULT_TEST)],
                    help="labeled JSONL corpora to write out (default: both bundled splits)")
    ap.add_argument("--articles", type=int, default=10_000, help="how many articles to import")
    args = ap.parse_args()
    frame = articles(args.corpus, args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        for row in frame.itertuples():
            date = str(row.date)[:10]
            (pages / f"{row.id}.txt").write_text(
                f"{row.title}\n\n{date} - {row.section} - Ecrit par : Rédaction\n\n{row.text}\n\n"
                f"Suivez-nous sur Google News\n\nSujets associés : {' - '.join(row.tags)}\n\nAller plus loin\n\n"
                "Un autre article\n", encoding="utf-8")
        csv_path = Path(tmp) / "export.csv"
        frame.assign(tags=frame["tags"].map("|".join)).to_csv(csv_path, index=False)
        for label, source in (("saved text pages", pages), ("one CSV export", csv_path)):
            start = time.perf_counter()
            out = subprocess.run(CLI + ["import", str(source), "--out", str(Path(tmp) / "out.jsonl"),
                                        "--dedupe", args.dedupe, "--quiet"],
                                 check=True, capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - start
            print(f"{len(frame)} articles as {label}, --dedupe {args.dedupe}: {seconds:.1f} s (target < 30 s "
                  "for 10,000)")
            print("  " + out.stdout.strip().splitlines()[0])


if __name__ == "__main__":
    main()
