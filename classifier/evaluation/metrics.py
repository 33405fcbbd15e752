"""Multi-label metrics, in one place, selectable by name.

Conventions (the same as `../shared/bench/score.py` and scikit-learn where they overlap):
- micro P/R/F1 pool every (article, tag) decision;
- macro P/R/F1 average over the tags that occur in the gold data (a tag with no gold article has no
  recall to measure), which equals scikit-learn's `average="macro"` restricted to those labels;
- weighted averages weight each tag by its gold support;
- samples P/R/F1 are per article, then averaged; an article with no gold and no predicted tag
  scores 1, and so does the precision of an article with no predicted tag and the recall of one
  with no gold tag (scikit-learn's zero_division=1.0);
- ranking metrics (P@k, NDCG@5) use the scores and average over articles with at least one gold tag.
All functions take boolean indicator matrices (articles × tags) and return plain floats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _counts(gold: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (gold & pred).sum(0).astype(np.float64)
    fp = (~gold & pred).sum(0).astype(np.float64)
    fn = (gold & ~pred).sum(0).astype(np.float64)
    return tp, fp, fn


def _div(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b > 0)


def per_tag_prf(gold: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and gold support per tag (0 where undefined)."""
    tp, fp, fn = _counts(gold, pred)
    return {"precision": _div(tp, tp + fp), "recall": _div(tp, tp + fn), "f1": _div(2 * tp, 2 * tp + fp + fn),
            "support": (tp + fn).astype(np.int64), "predicted": (tp + fp).astype(np.int64)}


def _averaged(gold: np.ndarray, pred: np.ndarray, kind: str) -> dict[str, float]:
    tp, fp, fn = _counts(gold, pred)
    if kind == "micro":
        p, r = _div(tp.sum(), tp.sum() + fp.sum()), _div(tp.sum(), tp.sum() + fn.sum())
        return {"precision": float(p), "recall": float(r), "f1": float(_div(2 * p * r, p + r))}
    support = tp + fn
    has = support > 0
    if not has.any():
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p, r, f = _div(tp, tp + fp)[has], _div(tp, support)[has], _div(2 * tp, 2 * tp + fp + fn)[has]
    w = support[has] / support[has].sum() if kind == "weighted" else np.full(has.sum(), 1 / has.sum())
    return {"precision": float(p @ w), "recall": float(r @ w), "f1": float(f @ w)}


def _samples(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    inter = (gold & pred).sum(1).astype(np.float64)
    ng, npred = gold.sum(1), pred.sum(1)
    if len(gold) == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p = np.where(npred > 0, _div(inter, npred), 1.0)  # scikit-learn's zero_division=1.0
    r = np.where(ng > 0, _div(inter, ng), 1.0)
    f = np.where(ng + npred > 0, _div(2 * inter, ng + npred), 1.0)
    return {"precision": float(p.mean()), "recall": float(r.mean()), "f1": float(f.mean())}


def precision_at_k(gold: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of the k best-scored tags that are gold, over articles with at least one gold tag."""
    rows = gold.any(1)
    if not rows.any():
        return 0.0
    g, s = gold[rows], scores[rows]
    k = min(k, s.shape[1])
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return float(np.take_along_axis(g, top, axis=1).sum(1).mean() / k)


def ndcg_at_k(gold: np.ndarray, scores: np.ndarray, k: int = 5) -> float:
    """Binary-relevance NDCG@k over articles with at least one gold tag."""
    rows = gold.any(1)
    if not rows.any():
        return 0.0
    g, s = gold[rows], scores[rows]
    k = min(k, s.shape[1])
    discounts = 1 / np.log2(np.arange(2, k + 2))
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    dcg = (np.take_along_axis(g, top, axis=1) * discounts).sum(1)
    ideal = np.cumsum(discounts)[np.minimum(g.sum(1), k) - 1]
    return float((dcg / ideal).mean())


def _sk(name: str) -> Callable:
    import sklearn.metrics as skm

    return getattr(skm, name)


def _lrap(gold: np.ndarray, scores: np.ndarray) -> float:
    rows = gold.any(1) & ~gold.all(1)
    return float(_sk("label_ranking_average_precision_score")(gold[rows], scores[rows])) if rows.any() else 0.0


def _coverage(gold: np.ndarray, scores: np.ndarray) -> float:
    return float(_sk("coverage_error")(gold, scores)) if gold.size else 0.0


# name -> (needs scores, function(gold, pred, scores) -> float)
METRICS: dict[str, tuple[bool, Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]]] = {}
for _kind in ("micro", "macro", "weighted", "samples"):
    for _part in ("precision", "recall", "f1"):
        def _make(kind: str = _kind, part: str = _part):
            if kind == "samples":
                return lambda g, p, s: _samples(g, p)[part]
            return lambda g, p, s: _averaged(g, p, kind)[part]
        METRICS[f"{_kind}_{_part}"] = (False, _make())
METRICS["hamming_loss"] = (False, lambda g, p, s: float((g != p).mean()) if g.size else 0.0)
METRICS["subset_accuracy"] = (False, lambda g, p, s: float((g == p).all(1).mean()) if len(g) else 0.0)
for _k in (1, 3, 5):
    METRICS[f"p_at_{_k}"] = (True, lambda g, p, s, k=_k: precision_at_k(g, s, k))
METRICS["ndcg_at_5"] = (True, lambda g, p, s: ndcg_at_k(g, s, 5))
METRICS["lrap"] = (True, lambda g, p, s: _lrap(g, s))
METRICS["coverage"] = (True, lambda g, p, s: _coverage(g, s))



def compute_metrics(gold: np.ndarray, pred: np.ndarray, scores: np.ndarray | None = None,
                    names: list[str] | tuple[str, ...] | None = None) -> dict[str, float]:
    """The named metrics (default: all; ranking ones only when `scores` is given), rounded to 4 places."""
    gold, pred = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    unknown = [n for n in (names or ()) if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}")
    out = {}
    for name in names or METRICS:
        needs_scores, fn = METRICS[name]
        if needs_scores and scores is None:
            continue
        out[name] = round(fn(gold, pred, scores), 4)
    return out
