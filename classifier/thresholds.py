"""Per-tag decision thresholds chosen on held-out scores, and the pure function that applies them.

The rule is SCutFBR (Yang 2001; Fan & Lin 2007): each tag's threshold maximises that tag's F1 on
held-out scores; a tag whose best held-out F1 stays below `fbr` falls back to a conservative cut
(its highest held-out score, and never below `default_cut`), because a threshold tuned on a
handful of positives floods predictions.
"""

from __future__ import annotations

import numpy as np


def tune_thresholds(scores: np.ndarray, Y: np.ndarray, *, fbr: float = 0.2,
                    default_cut: float = 0.5) -> np.ndarray:
    """Thresholds (one per column) that maximise each tag's F1 on held-out `scores`.

    `scores` and `Y` are (n_articles, n_tags); `Y` is 0/1. Returns a float array of n_tags.
    """
    # Work tag by row (transposed, contiguous): sorting along the last axis is much faster.
    S = np.ascontiguousarray(np.asarray(scores, dtype=np.float32).T)
    T = np.ascontiguousarray(np.asarray(Y, dtype=np.float32).T)
    n_tags, n = S.shape
    if n == 0:
        return np.full(n_tags, default_cut)
    order = np.argsort(-S, axis=1)
    ranked = np.take_along_axis(S, order, axis=1)
    hits = np.cumsum(np.take_along_axis(T, order, axis=1), axis=1)
    positives = hits[:, -1:]
    f1 = 2 * hits / (np.arange(1, n + 1, dtype=np.float32)[None, :] + positives)
    best = np.argmax(f1, axis=1)
    rows = np.arange(n_tags)
    at = ranked[rows, best].astype(np.float64)
    below = np.where(best + 1 < n, ranked[rows, np.minimum(best + 1, n - 1)], at - 1.0)
    thresholds = (at + below) / 2
    fallback = np.maximum(ranked[:, 0], default_cut)
    return np.where(f1[rows, best] < fbr, fallback, thresholds)


def apply_thresholds(scores: np.ndarray, thresholds: np.ndarray | float, *, min_tags: int = 1,
                     top_k: int | None = None) -> np.ndarray:
    """Boolean decisions: score >= threshold, then at least `min_tags` and at most `top_k` per row.

    Rows that pass fewer than `min_tags` tags get their best tags by margin over threshold.
    """
    scores = np.asarray(scores)
    margin = scores - np.asarray(thresholds, dtype=scores.dtype)
    decided = margin >= 0
    n_tags = scores.shape[1]
    if n_tags == 0:
        return decided
    counts = decided.sum(axis=1)
    if min_tags > 0:
        _keep_best(decided, margin, np.flatnonzero(counts < min_tags), min(min_tags, n_tags), add=True)
    if top_k is not None:
        _keep_best(decided, margin, np.flatnonzero(decided.sum(axis=1) > top_k), top_k, add=False)
    return decided


def _keep_best(decided: np.ndarray, margin: np.ndarray, rows: np.ndarray, k: int, *, add: bool) -> None:
    """On `rows`, add the k best tags by margin (add=True) or keep only them (add=False)."""
    if len(rows) == 0:
        return
    if k <= 0:
        if not add:
            decided[rows] = False
        return
    sub = margin[rows]
    best = np.argpartition(-sub, k - 1, axis=1)[:, :k] if k < sub.shape[1] else np.argsort(-sub, axis=1)
    mask = np.zeros(sub.shape, dtype=bool)
    np.put_along_axis(mask, best, True, axis=1)
    decided[rows] = (decided[rows] | mask) if add else (decided[rows] & mask)
