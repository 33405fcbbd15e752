"""The tags a model learns, as a sparse articles × tags 0/1 matrix (memory grows with the tag uses,
not with articles × tags), and the co-occurrence of the most frequent ones for the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from classifier.errors import DataError

if TYPE_CHECKING:
    from scipy import sparse


def indicator(tag_lists: Sequence[Sequence[str]],
              min_tag_count: int) -> tuple[np.ndarray, list[str], sparse.csr_matrix]:
    """(tags learned, sorted; tags left out for being on fewer than `min_tag_count` articles; the
    float32 0/1 matrix of articles × tags learned)."""
    from scipy import sparse

    counts = Counter(t for tags in tag_lists for t in set(tags))
    classes = np.array(sorted(t for t, c in counts.items() if c >= min_tag_count), dtype=object)
    if len(classes) == 0:
        raise DataError(f"no tag occurs in at least min_tag_count={min_tag_count} articles; "
                        "lower --min-tag-count or add labeled articles")
    dropped = sorted(t for t, c in counts.items() if c < min_tag_count)
    index = {t: j for j, t in enumerate(classes)}
    cols = [sorted({index[t] for t in tags if t in index}) for tags in tag_lists]
    indptr = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in cols], out=indptr[1:])
    indices = np.fromiter((j for c in cols for j in c), dtype=np.int32, count=int(indptr[-1]))
    Y = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(cols), len(classes)))
    return classes, dropped, Y


def cooccurrence(Y: sparse.csr_matrix, classes: np.ndarray, top: int = 30) -> dict:
    """Training co-occurrence counts of the `top` most frequent tags: {"tags": [...], "counts": matrix}."""
    support = np.asarray(Y.sum(axis=0)).ravel()
    best = np.argsort(-support, kind="stable")[:top]
    Yt = Y[:, best]
    return {"tags": [str(classes[j]) for j in best], "counts": (Yt.T @ Yt).toarray().astype(np.int32)}


def stories(Y: sparse.csr_matrix, groups: np.ndarray) -> np.ndarray:
    """Per tag, the distinct `groups` (near-duplicate groups: one story copied or re-published is
    one group) among its articles: a tag's support with each story counted once (int64)."""
    coo = Y.tocoo()
    n_tags = Y.shape[1]
    pairs = np.unique(np.asarray(groups, dtype=np.int64)[coo.row] * n_tags + coo.col)
    return np.bincount(pairs % n_tags, minlength=n_tags).astype(np.int64)
