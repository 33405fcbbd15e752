"""Exact and near-duplicate articles (the same story re-published or updated).

Exact: the same normalised text, found by hashing each text (`text_key`), so always found. Near:
cosine similarity of word TF-IDF vectors (every word, sublinear tf, smooth idf, l2) at or above a
threshold (0.9 by default). No pair of articles is compared outright: MinHash/LSH over each article's
set of words (`classifier.text.minhash`, 128 hashes in 32 bands of 4) proposes candidate pairs, and
each candidate is kept only if its exact cosine reaches the threshold. Every pair reported is
therefore a true one; a true pair is missed only if LSH never proposes it, which for word sets of
Jaccard similarity J happens with probability (1 - J**4)**32: 1.2% at J = 0.6, 0.015% at J = 0.7.
Pairs at cosine >= 0.9 had J >= 0.64 in the samples measured.

Recall at cosine >= 0.9 against the exact all-pairs method (`all_pairs`), measured: every pair
(6,509 of 6,509) in three samples of 10,000 articles (`python scripts/bench_duplicates.py`: the 6,700
OrangeSum training articles plus 3,300 copies with up to 30% of their words dropped; and
`scripts/make_scale_corpus.py 10000 --seed 1` outputs with --drop 0.05 and 0.2, given as --source),
and 12,480 of 12,481 pairs on the output of `make_scale_corpus.py 50000` (the one missed: cosine
0.911). The search is tuned for high thresholds: on the first sample, recall 1.0 at 0.8, 0.996 at
0.7, 0.868 at 0.5.

Time and memory grow with the words and the candidate pairs, not with the square of the articles,
but copies of one story are all compared with each other (k copies make k(k-1)/2 candidates).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from classifier.parallel import map_texts
from classifier.progress import Progress, no_progress
from classifier.text.minhash import bucket_pairs, candidate_pairs, signatures
from classifier.text.normalize import TOKEN_PATTERN, prepare_fr, stop_words_for
from classifier.text.tfidf import fit_space

BANDS, ROWS = 32, 4  # 128 MinHash hashes: candidates at J = 0.6 with probability 0.988, J = 0.7 0.9998
_VERIFY_BLOCK = 20000  # candidate pairs whose cosines are computed at once


@dataclass(frozen=True)
class Pair:
    """Articles `a` and `b` (indices, a < b, or a in the first and b in the second set) and their cosine."""

    a: int
    b: int
    similarity: float


def text_key(text: str) -> str:
    return hashlib.sha1(" ".join(prepare_fr(text).split()).encode("utf-8")).hexdigest()


def _text_keys(texts: Sequence[str]) -> list[str]:
    return [text_key(t) for t in texts]


@dataclass(frozen=True)
class Duplicates:
    """Duplicates among n articles, kept compact: `first[i]` is the first article with article i's
    normalised text (i itself if none before it), and (`a`, `b`, `similarity`) the near-duplicate
    pairs between such first articles (a < b, cosine rounded to 4 places), sorted. Copies of a text
    share its pairs: `count`, `groups` and `pairs` expand them."""

    first: np.ndarray
    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray

    def _sizes(self) -> np.ndarray:
        return np.bincount(self.first, minlength=len(self.first))

    def count(self) -> int:
        """Pairs of articles that are duplicates (exact or near), without listing them."""
        sizes = self._sizes().astype(np.int64)
        return int((sizes[self.a] * sizes[self.b]).sum() + (sizes * (sizes - 1) // 2).sum())

    def exact_groups(self) -> list[list[int]]:
        """Groups (size >= 2) of articles with the same normalised text, each sorted, by first member."""
        return _runs(self.first, np.flatnonzero(self._sizes()[self.first] > 1))

    def groups(self) -> list[list[int]]:
        """Connected groups (size >= 2) of articles linked by exact or near duplication, as `groups` gives."""
        from scipy.sparse.csgraph import connected_components

        n = len(self.first)
        copies = np.flatnonzero(self.first != np.arange(n))
        src, dst = np.r_[self.a, copies], np.r_[self.b, self.first[copies]]
        graph = sparse.coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
        labels = connected_components(graph, directed=False)[1]
        return _runs(labels, np.flatnonzero(np.bincount(labels)[labels] > 1))

    def pairs(self, split: int | None = None) -> list[Pair]:
        """Every duplicate pair (a < b), sorted; with `split`, only a < split <= b, as (a, b - split)."""
        a, b, sim = self.pair_arrays()
        if split is not None:
            keep = (a < split) & (b >= split)
            a, b, sim = a[keep], b[keep] - split, sim[keep]
        return [Pair(int(i), int(j), float(s)) for i, j, s in zip(a, b, sim)]

    def pair_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`pairs` as three arrays (a, b, similarity)."""
        n = len(self.first)
        sizes = self._sizes()
        order = np.argsort(self.first, kind="stable")  # the articles, grouped by first, ascending
        offsets = np.cumsum(sizes) - sizes
        counts = sizes[self.a] * sizes[self.b]
        which = np.repeat(np.arange(len(self.a)), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        size_b = sizes[self.b][which]
        i = order[offsets[self.a][which] + within // size_b]
        j = order[offsets[self.b][which] + within % size_b]
        same_a, same_b = bucket_pairs(self.first, np.arange(n))
        a = np.r_[np.minimum(i, j), same_a].astype(np.int64)
        b = np.r_[np.maximum(i, j), same_b].astype(np.int64)
        sim = np.r_[self.similarity[which], np.ones(len(same_a))]
        ranked = np.lexsort((b, a))
        return a[ranked], b[ranked], sim[ranked]


def _runs(labels: np.ndarray, members: np.ndarray) -> list[list[int]]:
    """`members` (ascending) grouped by label, each group sorted, groups ordered by first member."""
    order = members[np.argsort(labels[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return sorted((g.tolist() for g in np.split(order, cuts) if len(g)), key=lambda g: g[0])


def _vectors(texts: list[str], language: str) -> sparse.csr_matrix | None:
    """The TF-IDF rows of `texts` (None when no text has a word)."""
    try:
        _, X = fit_space(texts, language=language, token_pattern=TOKEN_PATTERN, stop_words=stop_words_for(language),
                         min_df=1, max_df=1.0, n_jobs=os.cpu_count() or 1)
    except ValueError:  # empty vocabulary: no text has a word, so none has a near-duplicate
        return None
    return X


def _cosines(X: sparse.csr_matrix, a: np.ndarray, b: np.ndarray, progress: Progress) -> np.ndarray:
    out = np.zeros(len(a), dtype=np.float64)
    progress("verifying", 0, len(a))
    for start in range(0, len(a), _VERIFY_BLOCK):
        end = min(len(a), start + _VERIFY_BLOCK)
        out[start:end] = np.asarray(X[a[start:end]].multiply(X[b[start:end]]).sum(axis=1)).ravel()
        progress("verifying", end, len(a))
    return out


def near_duplicates(texts: list[str], *, threshold: float = 0.9, language: str = "fr", split: int | None = None,
                    progress: Progress | None = None) -> Duplicates:
    """Exact and near-duplicates among `texts` (cosine >= threshold). With `split`, only pairs across
    it (one article before `split`, one from it on) are looked for. Progress stages: "vectorising",
    "signatures", "candidates", "verifying"."""
    progress = progress or no_progress
    n = len(texts)
    keys = [key for part in map_texts(_text_keys, texts, n_jobs=os.cpu_count() or 1) for key in part]
    seen: dict[str, int] = {}
    first = np.fromiter((seen.setdefault(key, i) for i, key in enumerate(keys)), dtype=np.int64, count=n)
    none = np.zeros(0, dtype=np.int64)
    progress("vectorising", 0, n)
    X = _vectors(texts, language) if n > 1 else None
    progress("vectorising", n, n)
    if X is None:
        return Duplicates(first, none, none, np.zeros(0))
    firsts = np.flatnonzero((first == np.arange(n)) & (np.diff(X.indptr) > 0))  # copies share their first's pairs
    signature = signatures(X[firsts], perms=BANDS * ROWS, n_threads=os.cpu_count() or 1, progress=progress)
    a, b = candidate_pairs(signature, bands=BANDS, progress=progress)
    a, b = firsts[a], firsts[b]
    if split is not None:
        before = np.zeros(n, dtype=bool)
        after = np.zeros(n, dtype=bool)
        np.logical_or.at(before, first[:split], True)
        np.logical_or.at(after, first[split:], True)
        across = (before[a] & after[b]) | (after[a] & before[b])
        a, b = a[across], b[across]
    similarity = _cosines(X, a, b, progress)
    keep = similarity >= threshold - 1e-6
    return Duplicates(first, a[keep], b[keep], np.round(similarity[keep], 4))


def find_duplicates(texts: list[str], *, threshold: float = 0.9, language: str = "fr",
                    progress: Progress | None = None) -> list[Pair]:
    """Pairs of articles within `texts` whose similarity is >= threshold (exact copies score 1), sorted."""
    if len(texts) < 2:
        return []
    return near_duplicates(texts, threshold=threshold, language=language, progress=progress).pairs()


def find_shared(texts: list[str], others: list[str], *, threshold: float = 0.9, language: str = "fr",
                progress: Progress | None = None) -> list[Pair]:
    """Pairs (i in texts, j in others) that are near-duplicates: leakage between two splits; sorted."""
    if not texts or not others:
        return []
    found = near_duplicates(texts + others, threshold=threshold, language=language, split=len(texts),
                            progress=progress)
    return found.pairs(split=len(texts))


def all_pairs(texts: list[str], others: list[str] | None = None, *, threshold: float = 0.9, language: str = "fr",
              block: int = 1000) -> list[Pair]:
    """The exact reference: every pair's cosine, block by block (quadratic; for tests and measuring
    the recall of `find_duplicates`, or of `find_shared` when `others` is given)."""
    X = _vectors(texts + (others or []), language)
    if X is None:
        return []
    A, B = X[: len(texts)], (X[len(texts):] if others is not None else X)
    out: list[Pair] = []
    BT = B.T.tocsc()
    for start in range(0, A.shape[0], block):
        sims = (A[start:start + block] @ BT).tocoo()
        keep = sims.data >= threshold - 1e-6
        rows, cols, vals = sims.row[keep] + start, sims.col[keep], sims.data[keep]
        if others is None:
            upper = rows < cols
            rows, cols, vals = rows[upper], cols[upper], vals[upper]
        out.extend(Pair(int(r), int(c), round(float(v), 4)) for r, c, v in zip(rows, cols, vals))
    return sorted(out, key=lambda p: (p.a, p.b))


def groups(n: int, pairs: list[Pair]) -> list[list[int]]:
    """Connected groups (size >= 2) of articles linked by `pairs`, each sorted, by first member."""
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for p in pairs:
        ra, rb = find(p.a), find(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    return sorted((sorted(g) for g in members.values() if len(g) > 1), key=lambda g: g[0])
