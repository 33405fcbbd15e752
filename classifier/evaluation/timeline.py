"""Evaluation that respects time: articles' dates, a split at a cutoff date (learn from the past,
test on what came after), F1 by month, and what drifted between the two sides. Plain data out."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.dates import day_of
from classifier.errors import DataError
from classifier.evaluation.metrics import compute_metrics, per_tag_prf


def parse_cutoff(text: str) -> str:
    """A --cutoff as "YYYY-MM-DD"; `DataError` saying the form otherwise."""
    try:
        return _dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise DataError(f"--cutoff {text!r} is not a date; write it as YYYY-MM-DD (e.g. 2020-06-01)") from None


@dataclass
class DateSplit:
    """Rows before the cutoff (to learn from) and on or after it (to test on), and the undated ones."""

    cutoff: str
    before: np.ndarray
    after: np.ndarray
    undated: list[int]  # rows whose date is missing or not ISO-8601: left out, and said
    first: str | None  # earliest and latest dated days
    last: str | None

    def summary(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff, "before": len(self.before), "after": len(self.after),
                "undated": len(self.undated), "first_date": self.first, "last_date": self.last}


def split_by_date(dates: list[str], cutoff: str, *, where: str = "the data", date_col: str = "date") -> DateSplit:
    """Split rows at `cutoff` ("YYYY-MM-DD"): days before it learn, days on or after it are tested.
    A side left empty is a `DataError` that gives both counts and a cutoff that would leave about a
    fifth of the dated articles after it."""
    cutoff = parse_cutoff(cutoff)
    days = [day_of(d) for d in dates] if dates else []
    undated = [i for i, d in enumerate(days) if d is None]
    if not dates or len(undated) == len(days):
        raise DataError(f"{where}: no article has a date in its {date_col!r} field (ISO-8601, e.g. "
                        "2020-05-12T10:00:00+02:00); name the date column with --date-col")
    dated = sorted(d for d in days if d is not None)
    before = np.array([i for i, d in enumerate(days) if d is not None and d < cutoff], dtype=np.int64)
    after = np.array([i for i, d in enumerate(days) if d is not None and d >= cutoff], dtype=np.int64)
    if not len(before) or not len(after):
        suggest = dated[int(len(dated) * 0.8)]
        raise DataError(f"{where}: the cutoff {cutoff} leaves {len(before)} dated articles before it and "
                        f"{len(after)} on or after it (dates run from {dated[0]} to {dated[-1]}); both sides "
                        f"need articles: try --cutoff {suggest} (about 80% before)")
    return DateSplit(cutoff, before, after, undated, dated[0], dated[-1])


def _f1(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return compute_metrics(gold, pred, names=["micro_f1", "macro_f1"]) if gold.any() else \
        {"micro_f1": 0.0, "macro_f1": 0.0}


def by_month(dates: list[str], gold: np.ndarray, pred: np.ndarray, missed: np.ndarray | None = None) -> list[dict]:
    """Micro/macro F1 for the articles of each month ("YYYY-MM", oldest first; undated articles are
    left out). `gold`/`pred` are on the model's tags; `missed` (articles × gold tags the model never
    learned) adds the all-gold-tags view, as score.py counts, where unknown tags are misses."""
    months: dict[str, list[int]] = {}
    for i, d in enumerate(dates):
        day = day_of(d)
        if day is not None:
            months.setdefault(day[:7], []).append(i)
    rows = []
    for month in sorted(months):
        idx = np.asarray(months[month])
        g, p = gold[idx], pred[idx]
        row: dict[str, Any] = {"month": month, "articles": len(idx), **_f1(g, p)}
        if missed is not None:
            seen = g.any(axis=0)
            both = _f1(np.hstack([g[:, seen], missed[idx]]), np.hstack([p[:, seen], np.zeros_like(missed[idx])]))
            row.update({"all_gold_micro_f1": both["micro_f1"], "all_gold_macro_f1": both["macro_f1"],
                        "unknown_tag_uses": int(missed[idx].sum())})
        rows.append(row)
    return rows


def drift(before_tags: list[list[str]], after_tags: list[list[str]], classes: list[str], gold: np.ndarray,
          pred: np.ndarray, *, top: int = 15, min_articles: int = 5) -> dict[str, Any]:
    """What changed across the cutoff. `new_tags`: tags of the later articles that the model never
    learned (`seen_before`: how many earlier articles carried each, under the learning bound or
    none). `moved`: the `top` tags whose share of articles moved most (tags on at least
    `min_articles` articles in all), each with its F1 on the later articles when the model knows it."""
    n_before, n_after = max(len(before_tags), 1), max(len(after_tags), 1)
    count_before = Counter(t for tags in before_tags for t in set(tags))
    count_after = Counter(t for tags in after_tags for t in set(tags))
    known = {t: j for j, t in enumerate(classes)}
    new = [{"tag": t, "articles": c, "seen_before": count_before.get(t, 0)}
           for t, c in count_after.most_common() if t not in known]
    prf = per_tag_prf(gold, pred)
    moved = []
    for t in set(count_before) | set(count_after):
        b, a = count_before.get(t, 0), count_after.get(t, 0)
        if b + a < min_articles:
            continue
        j = known.get(t)
        moved.append({"tag": t, "share_before": round(b / n_before, 4), "share_after": round(a / n_after, 4),
                      "change": round(a / n_after - b / n_before, 4), "articles_before": b, "articles_after": a,
                      "f1_after": round(float(prf["f1"][j]), 4) if j is not None and a else None})
    moved.sort(key=lambda r: (-abs(r["change"]), r["tag"]))
    return {"new_tags": new, "new_tag_uses": sum(r["articles"] for r in new), "moved": moved[:top],
            "articles_before": len(before_tags), "articles_after": len(after_tags)}

