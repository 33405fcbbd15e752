"""Corpus statistics and tag hygiene: counts, distributions, probable tag variants, duplicates."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .duplicates import find_duplicates, groups, text_key
from .errors import DataError
from .text import fold_accents
from .types import Corpus


def variant_key(tag: str) -> str:
    """What two spellings of one tag share: no case, accents, spaces, hyphens or plural s/x."""
    key = re.sub(r"[\s\-_'’.]+", "", fold_accents(tag).casefold())
    return re.sub(r"(?<=\w{3})[sx]$", "", key)


def tag_variants(tag_lists: list[list[str]]) -> list[list[tuple[str, int]]]:
    """Groups of distinct spellings that probably mean one tag, each as (spelling, articles), most used first."""
    counts = Counter(t for tags in tag_lists for t in set(tags))
    by_key: dict[str, list[str]] = {}
    for tag in counts:
        by_key.setdefault(variant_key(tag), []).append(tag)
    found = [sorted(((t, counts[t]) for t in g), key=lambda x: (-x[1], x[0])) for g in by_key.values() if len(g) > 1]
    return sorted(found, key=lambda g: -sum(c for _, c in g))


def load_tag_map(path: str | Path) -> dict[str, str]:
    """A CSV of `from,to` rows (a header row named from,to is allowed); an empty `to` drops the tag."""
    path = Path(path)
    try:
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    except FileNotFoundError:
        raise DataError(f"{path}: no such tag map; give a CSV with from,to columns") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not valid UTF-8; re-save the tag map as UTF-8") from None
    mapping: dict[str, str] = {}
    for lineno, row in enumerate(rows, 1):
        if not row or (lineno == 1 and [c.strip().lower() for c in row[:2]] == ["from", "to"]):
            continue
        if len(row) < 2:
            raise DataError(f"{path}:{lineno}: expected two columns from,to; got {row!r}")
        mapping[row[0].strip()] = row[1].strip()
    return mapping


def apply_tag_map(tag_lists: list[list[str]], mapping: dict[str, str]) -> list[list[str]]:
    out = []
    for tags in tag_lists:
        new: list[str] = []
        for t in tags:
            t = mapping.get(t, t)
            if t and t not in new:
                new.append(t)
        out.append(new)
    return out


def corpus_stats(corpus: Corpus, *, near_threshold: float = 0.9, head: int = 15) -> dict[str, Any]:
    """Everything `classifier stats` reports, as plain data."""
    counts = Counter(t for tags in corpus.tags for t in set(tags))
    per_article = np.array([len(t) for t in corpus.tags]) if len(corpus) else np.zeros(0)
    lengths = np.array([len(t) for t in corpus.texts]) if len(corpus) else np.zeros(0)
    exact: dict[str, list[int]] = {}
    for i, text in enumerate(corpus.texts):
        exact.setdefault(text_key(text), []).append(i)
    exact_groups = [g for g in exact.values() if len(g) > 1]
    near = find_duplicates(corpus.texts, threshold=near_threshold)
    near_groups = groups(len(corpus), near)

    def pct(a: np.ndarray, q: float) -> float:
        return float(np.percentile(a, q)) if len(a) else 0.0

    return {
        "path": corpus.path, "articles": len(corpus), "skipped": len(corpus.skipped),
        "tags": len(counts), "tag_uses": int(per_article.sum()),
        "tags_per_article": {"mean": round(float(per_article.mean()), 2) if len(per_article) else 0.0,
                             "median": pct(per_article, 50), "max": int(per_article.max()) if len(per_article) else 0},
        "articles_without_tags": int((per_article == 0).sum()),
        "most_frequent_tags": counts.most_common(head),
        "tags_once": sum(1 for c in counts.values() if c == 1),
        "tags_below_5": sum(1 for c in counts.values() if c < 5),
        "text_chars": {"min": int(lengths.min()) if len(lengths) else 0, "p10": pct(lengths, 10),
                       "median": pct(lengths, 50), "p90": pct(lengths, 90),
                       "max": int(lengths.max()) if len(lengths) else 0},
        "tag_variants": tag_variants(corpus.tags),
        "merged_on_load": corpus.tag_merges,
        "exact_duplicate_groups": [[corpus.ids[i] for i in g] for g in exact_groups],
        "near_duplicate_threshold": near_threshold,
        "near_duplicate_pairs": len(near),
        "near_duplicate_groups": [[corpus.ids[i] for i in g] for g in near_groups],
    }
