"""Every split of articles the project makes, in one place, all deterministic.

- `hash_fold`: a fold from a key (an article id, or a row number) through SHA-1: stable across runs,
  machines and corpus order, and independent of the other articles. The model's own validation halves,
  the benchmark's validation split and the scripts' k folds all use it.
- `stratified_folds`: iterative stratification over the tags (`classifier evaluate --cv`), so rare tags
  reach every fold they can.
- `nested_samples`: growing random shares of the articles, each containing the last (learning curves).
- `near_duplicate_groups`: near-duplicate articles grouped (MinHash), so folds keep them together;
  `first_members` names each group by its first article, so an article alone keeps its own key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from classifier.errors import DataError
from classifier.text.minhash import band_buckets, signatures

if TYPE_CHECKING:
    from scipy import sparse


def hash_fold(key: object, k: int) -> int:
    """Fold 0..k-1 of `key` (anything with a stable `str`): SHA-1 of its UTF-8 text, modulo k."""
    return int(hashlib.sha1(str(key).encode("utf-8")).hexdigest(), 16) % k


def hash_folds(keys: Iterable[object], k: int) -> np.ndarray:
    """`hash_fold` of every key, as an array."""
    return np.fromiter((hash_fold(key, k) for key in keys), dtype=np.int64)


def first_members(groups: np.ndarray) -> np.ndarray:
    """Each article's group (a number per article) named by its first member's index: keys for
    `hash_folds` that keep a group together while an article alone keys on its own index."""
    groups = np.asarray(groups)
    index = np.arange(len(groups))
    if len(groups) == 0:
        return index
    first = np.full(groups.max() + 1, len(groups), dtype=np.int64)
    np.minimum.at(first, groups, index)
    return first[groups]


def stratified_folds(Y: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """Fold number (0..k-1) per article by iterative stratification (Sechidis et al. 2011): the rarest
    tags are dealt out first, each article to the fold that most lacks its tag, so that rare tags
    reach every fold they can."""
    Y = np.asarray(Y, dtype=bool)
    n = len(Y)
    if not 2 <= k <= n:
        raise DataError(f"--cv needs 2 <= K <= number of articles ({n}); got {k}")
    rng = np.random.default_rng(seed)
    folds = np.full(n, -1)
    want_total = np.full(k, n / k)
    want_tag = np.tile(Y.sum(0) / k, (k, 1)).astype(np.float64)
    remaining = Y.copy()
    unassigned = np.ones(n, dtype=bool)
    while unassigned.any():
        counts = remaining[unassigned].sum(0)
        if counts.max() == 0:
            rest = np.flatnonzero(unassigned)
            for i in rng.permutation(rest):
                f = int(np.argmax(want_total + rng.random(k) * 1e-6))
                folds[i] = f
                want_total[f] -= 1
            break
        tag = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
        for i in rng.permutation(np.flatnonzero(unassigned & Y[:, tag])):
            need = want_tag[:, tag]
            best = np.flatnonzero(need == need.max())
            if len(best) > 1:
                best = best[want_total[best] == want_total[best].max()]
            f = int(rng.choice(best))
            folds[i] = f
            unassigned[i] = False
            want_total[f] -= 1
            want_tag[f] -= Y[i]
    return folds


def nested_samples(n: int, fractions: Iterable[float], *, seed: int = 0) -> list[np.ndarray]:
    """Sorted article indices for each fraction of `n` (at least 2 each), drawn from one seeded
    permutation, so each sample contains every smaller one."""
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(order[: max(2, int(round(f * n)))]) for f in fractions]


def near_duplicate_groups(rows: sparse.csr_matrix, *, perms: int = 64, bands: int = 16, agree: float = 0.5,
                          min_features: int = 20, seed: int = 0) -> np.ndarray:
    """A group number per article, near-duplicates (the same story re-published or copied) sharing
    one, so that folds keyed on it keep them apart from each other's held-out scores.

    MinHash over each article's set of features (the column indices of its row), `perms` hashes cut
    into `bands` bands: two articles whose band values all agree in some band are candidates, and
    are joined when at least `agree` of their hashes agree (an estimate of their Jaccard
    similarity). Articles with fewer than `min_features` features (a title, a line) stay alone: short
    texts share their few words too easily. Linear in the non-zero features: no pair of articles is
    ever compared outright. The signatures and buckets are `classifier.text.minhash`'s.
    """
    from scipy import sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = rows.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    filled = np.flatnonzero(np.diff(rows.indptr) >= max(1, min_features))
    if len(filled) < 2:
        return np.arange(n, dtype=np.int64)
    signature = signatures(rows, perms=perms, seed=seed)
    sources, targets = [], []
    for band in range(bands):
        bucket = band_buckets(signature, filled, band, bands)
        first = np.full(bucket.max() + 1, -1, dtype=np.int64)
        order = np.argsort(bucket, kind="stable")
        starts = np.r_[0, np.flatnonzero(np.diff(bucket[order])) + 1]
        first[bucket[order[starts]]] = filled[order[starts]]
        head = first[bucket]  # each article's bucket's first member: a star, not a clique
        linked = (head != filled) & ((signature[filled] == signature[head]).mean(axis=1) >= agree)
        sources.append(filled[linked])
        targets.append(head[linked])
    src, dst = np.concatenate(sources), np.concatenate(targets)
    graph = sp.coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)
