"""Corpus statistics and tag hygiene: counts, distributions, probable tag variants, duplicates."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from classifier.corpus.duplicates import near_duplicates
from classifier.dates import day_of
from classifier.progress import Progress
from classifier.text.normalize import fold_accents
from classifier.types import Corpus


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


def corpus_stats(corpus: Corpus, *, near_threshold: float = 0.9, head: int = 15,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Everything `classifier stats` reports, as plain data. The duplicate search reports its stages
    to `progress` (see `corpus.duplicates.near_duplicates`); pairs are counted, not listed."""
    counts = Counter(t for tags in corpus.tags for t in set(tags))
    per_article = np.array([len(t) for t in corpus.tags]) if len(corpus) else np.zeros(0)
    lengths = np.array([len(t) for t in corpus.texts]) if len(corpus) else np.zeros(0)
    found = near_duplicates(corpus.texts, threshold=near_threshold, progress=progress)

    def pct(a: np.ndarray, q: float) -> float:
        return float(np.percentile(a, q)) if len(a) else 0.0

    return {
        "path": corpus.path, "articles": len(corpus), "skipped": len(corpus.skipped), "repaired": corpus.repaired,
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
        "exact_duplicate_groups": [[corpus.ids[i] for i in g] for g in found.exact_groups()],
        "near_duplicate_threshold": near_threshold,
        "near_duplicate_pairs": found.count(),
        "near_duplicate_groups": [[corpus.ids[i] for i in g] for g in found.groups()],
        **_months(corpus),
    }


def _months(corpus: Corpus) -> dict[str, Any]:
    """Tag counts by month when the articles have dates: {"by_month": [...], "undated": n}, else {}."""
    rows = monthly_counts(corpus.dates, corpus.tags) if corpus.dates else []
    if not rows:
        return {}
    return {"by_month": rows, "undated": sum(day_of(d) is None for d in corpus.dates)}


def monthly_counts(dates: list[str], tag_lists: list[list[str]], *, top: int = 5) -> list[dict[str, Any]]:
    """Per month ("YYYY-MM", oldest first): articles, and the `top` tags with their article counts."""
    months: dict[str, Counter] = {}
    articles: Counter = Counter()
    for d, tags in zip(dates, tag_lists):
        day = day_of(d)
        if day is None:
            continue
        articles[day[:7]] += 1
        months.setdefault(day[:7], Counter()).update(set(tags))
    return [{"month": m, "articles": articles[m], "tags": months[m].most_common(top)} for m in sorted(months)]
