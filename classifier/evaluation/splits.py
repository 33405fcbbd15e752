"""Every split of articles the project makes, in one place, all deterministic.

- `hash_fold`: a fold from a key (an article id, or a row number) through SHA-1: stable across runs,
  machines and corpus order, and independent of the other articles. The model's own validation halves,
  the benchmark's validation split and the scripts' k folds all use it.
- `stratified_folds`: iterative stratification over the tags (`classifier evaluate --cv`), so rare tags
  reach every fold they can.
- `nested_samples`: growing random shares of the articles, each containing the last (learning curves).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from classifier.errors import DataError


def hash_fold(key: object, k: int) -> int:
    """Fold 0..k-1 of `key` (anything with a stable `str`): SHA-1 of its UTF-8 text, modulo k."""
    return int(hashlib.sha1(str(key).encode("utf-8")).hexdigest(), 16) % k


def hash_folds(keys: Iterable[object], k: int) -> np.ndarray:
    """`hash_fold` of every key, as an array."""
    return np.fromiter((hash_fold(key, k) for key in keys), dtype=np.int64)


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
