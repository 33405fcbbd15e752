"""MinHash signatures and LSH banding over the column sets of a sparse matrix's rows.

A row's set is its non-zero columns (an article's words). For each of `perms` seeded hash
functions h (a bijection of 64-bit integers: a multiply-add, then a multiply-xorshift mix), a row's
signature holds the smallest h over its set; two rows agree on one hash with probability their
Jaccard similarity J. The signature stores that column's rank in the order of h rather than the
64-bit value: the equalities are the same (h is a bijection, so no two columns tie), in half the
memory, and each hash is one gather and one `minimum.reduceat` over the non-zero entries.

Cut into `bands` bands of r = perms / bands hashes, two rows fall in the same bucket of a band with
probability J**r, and are candidates (share a bucket in some band) with probability
1 - (1 - J**r)**bands (`candidate_probability`). The work is linear in the non-zero entries plus
the candidate pairs: no pair of rows is compared outright.

Used by `evaluation.splits.near_duplicate_groups` (folds keep near-duplicates together) and by
`corpus.duplicates` (candidates then checked by their exact cosine).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from classifier.parallel import run_threads
from classifier.progress import Progress, no_progress

if TYPE_CHECKING:
    from scipy import sparse

EMPTY = np.iinfo(np.uint32).max
"""The signature of a row with no column (larger than any rank)."""


def _hash_coefficients(perms: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, np.iinfo(np.uint64).max, size=perms, dtype=np.uint64) | np.uint64(1)  # odd
    b = rng.integers(0, np.iinfo(np.uint64).max, size=perms, dtype=np.uint64)
    return a, b


def column_ranks(n_columns: int, a: np.uint64, b: np.uint64) -> np.ndarray:
    """Each column's rank (uint32) in the order of the hash h(c) = mix((c + b) * a) (wrapping modulo 2**64)."""
    hashed = (np.arange(n_columns, dtype=np.uint64) + b) * a
    hashed ^= hashed >> np.uint64(29)
    hashed *= np.uint64(0xBF58476D1CE4E5B9)
    hashed ^= hashed >> np.uint64(32)
    ranks = np.empty(n_columns, dtype=np.uint32)
    ranks[np.argsort(hashed)] = np.arange(n_columns, dtype=np.uint32)
    return ranks


def signatures(rows: sparse.csr_matrix, *, perms: int = 64, seed: int = 0, n_threads: int = 1,
               progress: Progress = no_progress) -> np.ndarray:
    """The (rows, perms) uint32 MinHash signature of every row's set of columns; `EMPTY` for a row
    without any. Seeded: the same rows and seed give the same signatures. `n_threads` threads share
    the hashes (NumPy's gathers and reductions release the GIL); progress stage "signatures"."""
    n, n_columns = rows.shape
    if n_columns >= EMPTY:
        raise ValueError(f"signatures take fewer than {EMPTY} columns; got {n_columns}")
    a, b = _hash_coefficients(perms, seed)
    nonempty = np.flatnonzero(np.diff(rows.indptr))  # reduceat segments run to the next start
    starts = rows.indptr[nonempty]
    columns = rows.indices.astype(np.intp)  # converted once, not at every gather
    by_hash = np.full((perms, n), EMPTY, dtype=np.uint32)
    done, lock = [0], threading.Lock()
    progress("signatures", 0, perms)

    def fill(ks: range) -> None:
        for k in ks:
            if len(nonempty):
                by_hash[k, nonempty] = np.minimum.reduceat(column_ranks(n_columns, a[k], b[k])[columns], starts)
            with lock:
                done[0] += 1
                progress("signatures", done[0], perms)

    threads = max(1, min(n_threads, perms))
    run_threads(fill, [range(t, perms, threads) for t in range(threads)], threads)
    return np.ascontiguousarray(by_hash.T)


def band_buckets(signature: np.ndarray, members: np.ndarray, band: int, bands: int) -> np.ndarray:
    """The bucket number, in band `band` of `bands`, of each row in `members`: rows share a bucket
    when all the band's hashes agree."""
    width = signature.shape[1] // bands
    block = np.ascontiguousarray(signature[members, band * width:(band + 1) * width])
    if len(members) == 0:
        return np.zeros(0, dtype=np.int64)
    _, bucket = np.unique(block.view(np.dtype((np.void, block.dtype.itemsize * width))).ravel(),
                          return_inverse=True)
    return bucket.ravel()


def bucket_pairs(bucket: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) of `members` (ascending) with the same `bucket` value, i < j: work linear in
    the pairs."""
    order = np.argsort(bucket, kind="stable")  # within a bucket, members stay ascending
    ordered = bucket[order]
    firsts, seconds = [], []
    pos = np.flatnonzero(ordered[1:] == ordered[:-1])  # positions whose next neighbour shares the bucket
    gap = 1
    while len(pos):
        firsts.append(members[order[pos]])
        seconds.append(members[order[pos + gap]])
        gap += 1
        pos = pos[pos + gap < len(ordered)]
        pos = pos[ordered[pos + gap] == ordered[pos]]  # buckets are contiguous runs of the order
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def candidate_pairs(signature: np.ndarray, *, bands: int, members: np.ndarray | None = None,
                    progress: Progress = no_progress) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) of rows (of `members`, default all) that share a bucket in at least one band,
    a < b, each once, sorted. Progress stage "candidates", one step per band."""
    n = signature.shape[0]
    members = np.arange(n, dtype=np.int64) if members is None else np.sort(np.asarray(members, dtype=np.int64))
    keys = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    waiting = 0
    progress("candidates", 0, bands)
    for band in range(bands):
        first, second = bucket_pairs(band_buckets(signature, members, band, bands), members)
        pending.append(first * n + second)
        waiting += len(first)
        if waiting > 2 * len(keys) + 4_000_000 or band == bands - 1:  # merged now and then: one sort per merge
            keys = np.unique(np.concatenate([keys, *pending]))
            pending, waiting = [], 0
        progress("candidates", band + 1, bands)
    return keys // max(n, 1), keys % max(n, 1)


def candidate_probability(jaccard: float | np.ndarray, *, bands: int, rows: int) -> float | np.ndarray:
    """The chance that two rows of Jaccard similarity `jaccard` become candidates: 1 - (1 - J**rows)**bands."""
    return 1 - (1 - np.asarray(jaccard, dtype=np.float64) ** rows) ** bands
