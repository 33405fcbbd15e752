#!/usr/bin/env python3
"""Time `classifier import` on ~10,000 articles: the bundled corpus (train + test, 8,375 articles,
plus 1,625 re-published copies to reach 10,000) written out as saved text pages, and as one CSV.

usage: python scripts/bench_import.py [--dedupe exact|near]
Duplicate detection is included in the timing. Target: < 30 s for 10,000 articles.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dedupe", default="near")
    args = ap.parse_args()
    frame = pd.concat([pd.read_json(DEFAULT_TRAIN, lines=True), pd.read_json(DEFAULT_TEST, lines=True)])
    copies = frame.head(10_000 - len(frame)).assign(id=lambda f: f["id"] + "-copy")
    frame = pd.concat([frame, copies], ignore_index=True)
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
            out = subprocess.run([sys.executable, "-m", "classifier", "import", str(source), "--out",
                                  str(Path(tmp) / "out.jsonl"), "--dedupe", args.dedupe, "--quiet"],
                                 check=True, capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - start
            print(f"{len(frame)} articles as {label}, --dedupe {args.dedupe}: {seconds:.1f} s (target < 30 s)")
            print("  " + out.stdout.strip().splitlines()[0])


if __name__ == "__main__":
    main()
