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
story are held out together, as the model's own validation holds them out.
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


def fold_keys(model: TagModel, texts: Sequence[str], k: int) -> np.ndarray:
    """Each article's fold 0..k-1: a hash of its near-duplicate group, found on `model`'s features
    (any model fitted on these articles), so that a group is never split between folds."""
    rows = tfidf.transform(model.features_, model._weighted(list(texts)))
    return hash_folds(first_members(near_duplicate_groups(rows)), k)


def cross_validate(data: features.InMemory, settings: dict[str, Any], folds: np.ndarray, *,
                   progress: Progress | None = None, label: str = "cross-validation") -> dict[str, float]:
    """Micro- and macro-F1 of `settings` over `folds` (one fold number per article): each fold
    decided by a model fitted on the others, pooled over every article and every tag on at least
    `min_tag_count` of all the articles (a tag a fold's model could not learn counts as missed)."""
    progress = progress or no_progress
    texts, tag_lists = list(data.all_texts), [list(t) for t in data.all_tags]
    params = TagModel(**settings).get_params()
    labels, _, Y = indicator(tag_lists, params["min_tag_count"])
    column = {t: j for j, t in enumerate(labels)}
    pred = np.zeros(Y.shape, dtype=bool)
    k = int(folds.max()) + 1 if len(folds) else 0
    began = time.perf_counter()
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
    scores = compute_metrics(Y.toarray(), pred, names=["micro_f1", "macro_f1"])
    return {**scores, "folds": k, "seconds": round(time.perf_counter() - began, 1)}
