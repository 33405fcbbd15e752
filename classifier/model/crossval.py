"""K-fold cross-validation of `TagModel` settings on articles in memory: the settings search's check
of its best candidate against the starting settings.

Each candidate's own `validation_` comes from one fit's held-out scores: exact leave-one-out for the
ridge, but for the squared hinge (and so the ensemble) leave-one-out on the fit's active set, which
reads higher than k-fold cross-validation does on the same training articles (docs/benchmarks.md,
"Loss by cross-validation"). So candidates of different losses are not compared fairly by it. Here
every setting is fitted `k` times on the other folds, decides the held-out fold with its own
thresholds and share cut (`TagModel.decide`), and is scored on all the articles pooled: the same
procedure, with no shortcut, for every candidate.

Folds are dealt by a hash of each article's near-duplicate group (`fold_keys`), so copies of one
story are held out together, as the model's own validation holds them out. `paired_gain` says how
far apart two settings' pooled figures are against the noise of which articles were drawn: a paired
bootstrap over the groups.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.evaluation.metrics import compute_metrics
from classifier.evaluation.splits import first_members, hash_folds, near_duplicate_groups
from classifier.model import features
from classifier.model.estimator import TagModel
from classifier.model.tags import indicator
from classifier.progress import Progress, no_progress
from classifier.text import tfidf


def group_keys(model: TagModel, texts: Sequence[str]) -> np.ndarray:
    """Each article's near-duplicate group, found on `model`'s features (any model fitted on these
    articles), named by its first member's index (an article alone: its own)."""
    return first_members(near_duplicate_groups(tfidf.transform(model.features_, model._weighted(list(texts)))))


def fold_keys(model: TagModel, texts: Sequence[str], k: int) -> np.ndarray:
    """Each article's fold 0..k-1: a hash of its `group_keys`, so that a group is never split."""
    return hash_folds(group_keys(model, texts), k)


def cross_predict(data: features.InMemory, settings: dict[str, Any], folds: np.ndarray, *,
                  progress: Progress | None = None, label: str = "cross-validation") -> tuple[np.ndarray, np.ndarray]:
    """(gold, decided): boolean matrices (articles x tags on at least `min_tag_count` of all the
    articles), each fold decided by a model of `settings` fitted on the others; a tag a fold's model
    could not learn is never decided there."""
    progress = progress or no_progress
    texts, tag_lists = list(data.all_texts), [list(t) for t in data.all_tags]
    params = TagModel(**settings).get_params()
    labels, _, Y = indicator(tag_lists, params["min_tag_count"])
    column = {t: j for j, t in enumerate(labels)}
    pred = np.zeros(Y.shape, dtype=bool)
    k = int(folds.max()) + 1 if len(folds) else 0
    for f in range(k):
        progress(label, f, k)
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        if not len(test):
            continue
        model = TagModel(**params).fit_stream(features.InMemory([texts[i] for i in train],
                                                                [tag_lists[i] for i in train]))
        decided = model.decide(model.decision_function([texts[i] for i in test]))
        mine = [(j, column[t]) for j, t in enumerate(model.classes_) if t in column]
        if mine:
            src, dst = map(list, zip(*mine))
            pred[np.ix_(test, dst)] = decided[:, src]
    progress(label, k, k)
    return Y.toarray().astype(bool), pred


def cross_validate(data: features.InMemory, settings: dict[str, Any], folds: np.ndarray, *,
                   progress: Progress | None = None, label: str = "cross-validation") -> dict[str, float]:
    """Micro- and macro-F1 of `settings` over `folds` (one fold number per article), pooled over
    every article and every tag of `cross_predict`."""
    began = time.perf_counter()
    gold, pred = cross_predict(data, settings, folds, progress=progress, label=label)
    scores = compute_metrics(gold, pred, names=["micro_f1", "macro_f1"])
    return {**scores, "folds": int(folds.max()) + 1 if len(folds) else 0,
            "seconds": round(time.perf_counter() - began, 1)}


def _f1s(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, measures: Sequence[str]) -> np.ndarray:
    """The sum of `measures` (micro_f1, macro_f1) from per-tag counts, one row per resample."""
    total = np.zeros(len(tp))
    if "micro_f1" in measures:
        t, e = tp.sum(1), fp.sum(1) + fn.sum(1)
        total += np.divide(2 * t, 2 * t + e, out=np.zeros_like(t), where=2 * t + e > 0)
    if "macro_f1" in measures:
        has = (tp + fn) > 0
        f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=has)
        total += np.divide(f1.sum(1), has.sum(1), out=np.zeros(len(tp)), where=has.any(1))
    return total


def paired_gain(gold: np.ndarray, a: np.ndarray, b: np.ndarray, measures: Sequence[str], *,
                groups: np.ndarray | None = None, resamples: int = 200, seed: int = 0) -> tuple[float, float]:
    """(gain, its standard error): the sum of `measures` for decisions `b` minus for `a` on the same
    `gold`, and the standard deviation of that difference over `resamples` bootstrap resamples of
    the articles (of whole `groups`, if given), the same resamples for both: a paired bootstrap."""
    gold, a, b = (np.asarray(m, dtype=bool) for m in (gold, a, b))
    keys = np.arange(len(gold)) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    rng = np.random.default_rng(seed)
    weights = np.stack([np.ones(keys.max() + 1), *(np.bincount(rng.integers(0, keys.max() + 1, keys.max() + 1),
                                                               minlength=keys.max() + 1)
                                                   for _ in range(resamples))])[:, keys]
    sums = []
    for pred in (a, b):
        tp, fp, fn = (weights @ m.astype(np.float64) for m in (gold & pred, ~gold & pred, gold & ~pred))
        sums.append(_f1s(tp, fp, fn, measures))
    diff = sums[1] - sums[0]
    return float(diff[0]), float(diff[1:].std(ddof=1))
