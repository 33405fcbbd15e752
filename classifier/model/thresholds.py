"""Per-tag decision thresholds chosen on held-out scores, and the pure functions that apply them.

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

Applying them: `decision_scores` turns raw scores into scores on which every tag's threshold (and
the share-of-best rule) is one cut at 0.5, and `apply_thresholds` cuts them, with the `min_tags`
and `top_k` rules taking the head of each text's ranking.
"""

from __future__ import annotations

import numpy as np

from classifier.model.calibration import sigmoid32

RULES = ("micromacro", "scutfbr")
BELOW_HALF = np.nextafter(np.float32(0.5), np.float32(0))  # the largest float32 under 0.5


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


def decision_scores(raw: np.ndarray, thresholds: np.ndarray, slope: float, *, proba: np.ndarray | None = None,
                    share: float = 0.0, frequent: np.ndarray | None = None) -> np.ndarray:
    """Scores in [0, 1] on which every decision is one cut: 0.5 is each tag's tuned threshold.

    A tag's score is sigmoid(`slope` × (raw − its threshold)): one `slope` for every tag, so the
    scores rank the tags of a text as their margins over their own thresholds do (the order the
    `min_tags` and `top_k` rules have always used). With `share` > 0, a `frequent` tag's score is
    also capped at 0.5 × p / (share × p_best), p being the calibrated `proba` and p_best the text's
    highest: it reaches 0.5 only if p >= share × p_best, so the share-of-best rule is part of the
    score instead of a second, hidden cut. Scores >= 0.5 are exactly the tags with raw >= threshold
    that the share rule allows (both sides clamped, so that rounding cannot move a tag across 0.5).
    Returns float32 (n_texts, n_tags).
    """
    raw = np.asarray(raw)
    margin = raw - np.asarray(thresholds, dtype=raw.dtype)  # compared in the raw scores' precision
    scores = _half_clamp(_sigmoid(slope * margin), margin >= 0)
    if share > 0 and frequent is not None and frequent.any() and raw.shape[1]:
        proba = np.asarray(proba, dtype=np.float32)
        best = proba.max(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(best > 0, 0.5 * proba / (np.float32(share) * best), np.float32(1))
        ratio = _half_clamp(ratio.astype(np.float32, copy=False), proba >= share * best)
        np.minimum(scores, ratio, out=scores, where=frequent[None, :])
    return scores


def score_slope(slopes: np.ndarray) -> float:
    """The one slope of `decision_scores`: the median of the tags' (positive) calibration slopes, so
    that a score moves with a raw score about as a typical tag's calibrated probability does."""
    slopes = np.asarray(slopes, dtype=np.float64)
    slopes = slopes[np.isfinite(slopes) & (slopes > 0)]
    return float(np.median(slopes)) if len(slopes) else 1.0


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """0.5 (1 + tanh(z / 2)) as float32; a float32 `z` (a temporary of the caller's) is overwritten."""
    if z.dtype != np.float32:
        return (0.5 * (1 + np.tanh(0.5 * z))).astype(np.float32)
    return sigmoid32(z)


def _half_clamp(values: np.ndarray, at_least_half: np.ndarray) -> np.ndarray:
    """`values` (float32, changed in place) moved to >= 0.5 where `at_least_half`, to < 0.5 elsewhere
    (monotone maps keep their order)."""
    np.maximum(values, np.float32(0.5), out=values, where=at_least_half)
    np.minimum(values, BELOW_HALF, out=values, where=~at_least_half)
    return values


def apply_thresholds(scores: np.ndarray, thresholds: np.ndarray | float, *, min_tags: int = 1,
                     top_k: int | None = None, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Boolean decisions: score >= threshold, then at least `min_tags` and at most `top_k` per row.

    Rows that pass fewer than `min_tags` tags get their best tags by margin over threshold, rows that
    pass more than `top_k` keep their best ones; equal margins are ordered by `tiebreak` (higher
    first) when given. With one threshold for every tag, the decided tags are thus always the head
    of the row's ranking by score.
    """
    scores = np.asarray(scores)
    margin = scores - np.asarray(thresholds, dtype=scores.dtype)
    decided = margin >= 0
    n_tags = scores.shape[1]
    if n_tags == 0:
        return decided
    counts = decided.sum(axis=1)
    if min_tags > 0:
        _keep_best(decided, margin, tiebreak, np.flatnonzero(counts < min_tags), min(min_tags, n_tags), add=True)
    if top_k is not None:
        _keep_best(decided, margin, tiebreak, np.flatnonzero(decided.sum(axis=1) > top_k), top_k, add=False)
    return decided


def _keep_best(decided: np.ndarray, margin: np.ndarray, tiebreak: np.ndarray | None, rows: np.ndarray, k: int,
               *, add: bool) -> None:
    """On `rows`, add the k best tags by margin (add=True) or keep only them (add=False)."""
    if len(rows) == 0:
        return
    if k <= 0:
        if not add:
            decided[rows] = False
        return
    sub = margin[rows]
    best = np.argpartition(-sub, k - 1, axis=1)[:, :k] if k < sub.shape[1] else np.argsort(-sub, axis=1)
    if tiebreak is not None and k < sub.shape[1]:
        # Rows whose k-th margin ties with a left-out one: rank those rows fully, ties by tiebreak.
        kth = np.take_along_axis(sub, best, axis=1).min(axis=1, keepdims=True)
        tied = np.flatnonzero((sub >= kth).sum(axis=1) > k)
        if len(tied):
            best[tied] = np.lexsort((-tiebreak[rows[tied]], -sub[tied]), axis=-1)[:, :k]
    mask = np.zeros(sub.shape, dtype=bool)
    np.put_along_axis(mask, best, True, axis=1)
    decided[rows] = (decided[rows] | mask) if add else (decided[rows] & mask)
