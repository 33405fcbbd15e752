"""Why a tag got its score: each word's exact share of the linear model's raw score.

A tag's raw score for a text is intercept + Σ_w x_w · W[w, tag], where x_w is the word's TF-IDF value
in that text (title weighting included) and W the tag's weights as the model stores them. The
evidence of a tag is those terms x_w · W[w, tag], largest first: exactly what the model added up,
not an approximation, so the intercept plus every word's weight gives the raw score back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from classifier.text import tfidf

if TYPE_CHECKING:
    from classifier.model.estimator import TagModel

Evidence = list[tuple[str, float]]  # (word, weight): positive weights first (largest first), then negative


def feature_names(model: TagModel) -> list[str]:
    """The model's terms in feature order (built once per model and process, never saved)."""
    names = model.__dict__.get("_terms")
    if names is None:
        vocabulary = model.features_.vocabulary
        names = [""] * len(vocabulary)
        for term, j in vocabulary.items():
            names[j] = term
        model.__dict__["_terms"] = names
    return names


def contributions(model: TagModel, texts: Sequence[str], columns: Sequence[Sequence[int]]
                  ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """For each text and each tag column asked for it: (feature indices, x_w · W[w, tag]) over the
    words of the text the model knows, in the order the text's row lists them."""
    model._check_fitted()
    weighted = model._weighted(list(texts))
    indptr, indices, data = tfidf.transform_arrays(model.features_, weighted)
    used, where = np.unique(indices, return_inverse=True)
    coef = model.__dict__.get("_coef")
    rows = coef[used] if coef is not None else model.weights_.rows(used)
    out = []
    for i, cols in enumerate(columns):
        a, b = indptr[i], indptr[i + 1]
        words, x, w = indices[a:b], data[a:b], rows[where[a:b]]
        out.append([(words, x * w[:, int(j)]) for j in cols])
    return out


def evidence(model: TagModel, texts: Sequence[str], tags: Sequence[Sequence[str]], *, top_n: int = 10
             ) -> list[dict[str, Evidence]]:
    """For each text, each of its `tags` mapped to its evidence: up to `top_n` words that raised
    the tag's raw score (largest first), then up to `top_n` that lowered it (most negative first)."""
    if len(tags) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(tags)} tag lists")
    index = {str(t): j for j, t in enumerate(model.classes_)}
    missing = sorted({t for row in tags for t in row if t not in index})
    if missing:
        raise KeyError(f"tags the model never learned: {', '.join(missing[:10])}")
    names = feature_names(model)
    parts = contributions(model, texts, [[index[t] for t in row] for row in tags])
    out = []
    for row, tag_parts in zip(tags, parts):
        out.append({t: _ranked(words, weight, names, top_n) for t, (words, weight) in zip(row, tag_parts)})
    return out


def _ranked(words: np.ndarray, weight: np.ndarray, names: list[str], top_n: int) -> Evidence:
    order = np.argsort(-weight, kind="stable")
    up = [j for j in order[:top_n].tolist() if weight[j] > 0]
    down = [j for j in order[::-1][:top_n].tolist() if weight[j] < 0]
    return [(names[int(words[j])], float(weight[j])) for j in up + down]


def top_weights(model: TagModel, tag: str, *, top_n: int = 10) -> Evidence:
    """The words with the largest weights for `tag` (largest first), then the most negative: what
    the tag learned, whatever the text."""
    j = [str(t) for t in model.classes_].index(tag)
    column = model.coef_[:, j]
    names = feature_names(model)
    order = np.argsort(-column, kind="stable")
    up = [int(k) for k in order[:top_n] if column[k] > 0]
    down = [int(k) for k in order[::-1][:top_n] if column[k] < 0]
    return [(names[k], float(column[k])) for k in up + down]
