"""Per-tag decision thresholds chosen on held-out scores, and the pure function that applies them.

Two rules, both fitted on held-out (leave-one-out) scores of the training articles:

- ``micromacro`` (default; Lin & Lin 2023, "On the thresholding strategy for infrequent labels in
  multi-label classification", CIKM; LibMultiLabel's ``train_thresholding``): tags are taken from the
  most to the least frequent, and each tag's threshold maximises micro-F1 (over the tags already
  cut, plus this one) plus this tag's share of macro-F1. A frequent tag is cut near its own best
  F1; for a rare tag the micro term, already fixed by thousands of decisions, prices every false
  positive, which smooths the F1 that a handful of positives would otherwise overfit.
- ``scutfbr`` (Yang 2001; Fan & Lin 2007): each tag's threshold maximises its own F1; a tag whose
  best held-out F1 stays below `fbr` falls back to a conservative cut (its highest held-out score,
  never below `default_cut`), because a threshold tuned on a handful of positives floods predictions.
"""

from __future__ import annotations

import numpy as np

RULES = ("micromacro", "scutfbr")


def tune_thresholds(scores: np.ndarray, Y: np.ndarray, *, rule: str = "micromacro", fbr: float = 0.2,
                    default_cut: float = 0.5) -> np.ndarray:
    """Thresholds (one per column) for held-out `scores` under `rule` (see the module docstring).

    `scores` and `Y` are (n_articles, n_tags); `Y` is 0/1. Returns a float array of n_tags.
    `fbr` and `default_cut` apply to the ``scutfbr`` rule only.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    n_tags = np.shape(scores)[1]
    if np.shape(scores)[0] == 0:
        return np.full(n_tags, default_cut)
    ranked, hits = _ranked(scores, Y)
    if rule == "micromacro":
        return _micromacro(ranked, hits)
    return _scutfbr(ranked, hits, fbr, default_cut)


def _ranked(scores: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tag's held-out scores sorted from high to low, and the cumulated positives along them."""
    # Work tag by row (transposed, contiguous): sorting along the last axis is much faster.
    S = np.ascontiguousarray(np.asarray(scores, dtype=np.float32).T)
    T = np.ascontiguousarray(np.asarray(Y, dtype=np.float32).T)
    order = np.argsort(-S, axis=1, kind="stable")
    return np.take_along_axis(S, order, axis=1), np.cumsum(np.take_along_axis(T, order, axis=1), axis=1)


def _cut(ranked: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per tag, the threshold that keeps exactly its top k[j] held-out scores (k may be 0 or n)."""
    n = ranked.shape[1]
    rows = np.arange(len(ranked))
    top = ranked[:, 0].astype(np.float64)
    above = top + 1e-6 * np.maximum(1.0, np.abs(top))  # above every held-out score, even in float32
    last_kept = ranked[rows, np.clip(k - 1, 0, n - 1)].astype(np.float64)
    first_cut = ranked[rows, np.clip(k, 0, n - 1)].astype(np.float64)
    between = np.where(k < n, (last_kept + first_cut) / 2, last_kept - 1.0)
    return np.where(k == 0, above, between)


def _scutfbr(ranked: np.ndarray, hits: np.ndarray, fbr: float, default_cut: float) -> np.ndarray:
    n = ranked.shape[1]
    positives = hits[:, -1:]
    f1 = 2 * hits / (np.arange(1, n + 1, dtype=np.float32)[None, :] + positives)
    best = np.argmax(f1, axis=1)
    thresholds = _cut(ranked, best + 1)
    fallback = np.maximum(ranked[:, 0], default_cut)
    return np.where(f1[np.arange(len(ranked)), best] < fbr, fallback, thresholds)


def _micromacro(ranked: np.ndarray, hits: np.ndarray) -> np.ndarray:
    n_tags, n = ranked.shape
    positives = hits[:, -1].astype(np.float64)
    kept = np.arange(n + 1, dtype=np.float64)  # articles predicted when the top k are kept
    best = np.zeros(n_tags, dtype=np.int64)
    tp_sum = fp_fn_sum = 0.0
    for m, j in enumerate(np.argsort(-positives, kind="stable"), start=1):
        tp = np.concatenate(([0.0], hits[j].astype(np.float64)))
        errors = (kept - tp) + (positives[j] - tp)  # false positives + false negatives
        with np.errstate(invalid="ignore", divide="ignore"):
            micro = np.nan_to_num(2 * (tp + tp_sum) / (2 * (tp + tp_sum) + errors + fp_fn_sum))
            macro = np.nan_to_num(2 * tp / (2 * tp + errors)) / m
        k = int(np.argmax(micro + macro))  # the first maximum: the fewest predictions
        best[j] = k
        tp_sum += tp[k]
        fp_fn_sum += errors[k]
    return _cut(ranked, best)


def apply_thresholds(scores: np.ndarray, thresholds: np.ndarray | float, *, min_tags: int = 1,
                     top_k: int | None = None, allowed: np.ndarray | None = None) -> np.ndarray:
    """Boolean decisions: score >= threshold (and `allowed`, when given), then at least `min_tags`
    and at most `top_k` per row.

    Rows that pass fewer than `min_tags` tags get their best tags by margin over threshold.
    """
    scores = np.asarray(scores)
    margin = scores - np.asarray(thresholds, dtype=scores.dtype)
    decided = margin >= 0
    if allowed is not None:
        decided &= allowed
    n_tags = scores.shape[1]
    if n_tags == 0:
        return decided
    counts = decided.sum(axis=1)
    if min_tags > 0:
        _keep_best(decided, margin, np.flatnonzero(counts < min_tags), min(min_tags, n_tags), add=True)
    if top_k is not None:
        _keep_best(decided, margin, np.flatnonzero(decided.sum(axis=1) > top_k), top_k, add=False)
    return decided


def share_of_best(proba: np.ndarray, share: float) -> np.ndarray:
    """True where a row's score is at least `share` times that row's highest score."""
    proba = np.asarray(proba)
    if proba.shape[1] == 0:
        return np.ones(proba.shape, dtype=bool)
    return proba >= share * proba.max(axis=1, keepdims=True)


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
