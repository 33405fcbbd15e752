"""Word TF-IDF features without scikit-learn, on several cores.

`fit_space` fits a space in two passes over the texts (document frequencies, then rows) with the
same vocabulary, idf and rows as scikit-learn's `TfidfVectorizer` (tests check it, for word
unigrams and n-grams); a corpus too large to hold can make the same passes chunk by chunk
(`count_documents` per chunk, `space_from_counts`, then `stack_rows`), with the same result.
`FeatureSpace.from_vectorizer` keeps a fitted vectorizer as plain data. `transform` counts tokens
with `collections.Counter` and looks the vocabulary up in bulk instead of one Python step per
token, and splits large batches across processes; `transform_arrays` gives the same rows as NumPy
arrays, so that a cold `classifier predict` imports neither scikit-learn nor SciPy.
"""

from __future__ import annotations

import re
import weakref
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.parallel import map_texts
from classifier.text.normalize import normalizer_for

if TYPE_CHECKING:
    from scipy import sparse


@dataclass(frozen=True, eq=False)  # hashed by identity: a per-process memo is keyed on it
class FeatureSpace:
    """A fitted word TF-IDF space (l2-normalised rows, smooth idf)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    language: str
    token_pattern: str
    stop_words: frozenset[str]
    ngram_range: tuple[int, int] = (1, 1)
    sublinear_tf: bool = True

    @classmethod
    def from_vectorizer(cls, v: Any, language: str) -> FeatureSpace:
        """Keep what a fitted `TfidfVectorizer` (word analyzer, l2 norm, idf) needs to transform."""
        if v.analyzer != "word" or v.norm != "l2" or not v.use_idf or v.binary or v.tokenizer is not None:
            raise ValueError("FeatureSpace covers word analyzers with idf and l2 norm only")
        return cls({str(k): int(j) for k, j in v.vocabulary_.items()}, v.idf_.astype(np.float32), language,
                   v.token_pattern, frozenset(v.get_stop_words() or ()), tuple(v.ngram_range), bool(v.sublinear_tf))

    def __len__(self) -> int:
        return len(self.vocabulary)

    def __getstate__(self) -> dict:
        """Saved compactly: the terms in index order as one zlib-compressed text, not a pickled dict
        (a third of the size of a small model's file)."""
        state = dict(self.__dict__)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        if all("\n" not in t for t in terms) and [self.vocabulary[t] for t in terms] == list(range(len(terms))):
            state["vocabulary"] = zlib.compress("\n".join(terms).encode("utf-8"), 9)
        return state

    def __setstate__(self, state: dict) -> None:
        vocabulary = state["vocabulary"]
        if isinstance(vocabulary, bytes):
            text = zlib.decompress(vocabulary).decode("utf-8")
            terms = text.split("\n") if text or len(state["idf"]) else []
            state = {**state, "vocabulary": dict(zip(terms, range(len(terms))))}
        self.__dict__.update(state)

    def terms(self, text: str) -> list[str]:
        """The terms (words, or word n-grams) of `text`, as the vectorizer counts them."""
        tokens = re.findall(self.token_pattern, normalizer_for(self.language)(text))
        lo, hi = self.ngram_range
        if hi == 1:
            return tokens
        tokens = [t for t in tokens if t not in self.stop_words]
        grams = list(tokens) if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return grams


def _document_frequencies(template: FeatureSpace, texts: Sequence[str]) -> Counter:
    df: Counter = Counter()
    if template.ngram_range == (1, 1):  # stop words are counted here and left out of the space
        findall = re.compile(template.token_pattern).findall
        preprocess = normalizer_for(template.language)
        for text in texts:
            df.update(set(findall(preprocess(text))))
    else:
        for text in texts:
            df.update(set(template.terms(text)))
    return df


def count_documents(texts: Sequence[str], *, language: str, token_pattern: str, stop_words: Sequence[str] = (),
                    ngram_range: tuple[int, int] = (1, 1), n_jobs: int = 1) -> Counter:
    """How many of `texts` hold each term (stop words included for word unigrams), on `n_jobs`
    processes: the first pass of a fit. Counts of consecutive chunks of a corpus add up to the
    corpus's, so a corpus can be counted chunk by chunk (`space_from_counts` then builds the space)."""
    template = FeatureSpace({}, np.zeros(0, dtype=np.float32), language, token_pattern, frozenset(stop_words),
                            tuple(ngram_range))
    parts = map_texts(partial(_document_frequencies, template), texts, n_jobs=n_jobs)
    df = parts[0]
    for part in parts[1:]:
        df.update(part)
    return df


def space_from_counts(df: Counter, n: int, *, language: str, token_pattern: str, stop_words: Sequence[str],
                      ngram_range: tuple[int, int] = (1, 1), min_df: int = 1, max_df: float = 1.0,
                      sublinear_tf: bool = True) -> FeatureSpace:
    """The TF-IDF space of `n` texts whose document frequencies are `df` (from `count_documents`):
    terms (stop words left out) on at least `min_df` texts and at most `max_df` of them (a share, or
    an int count), sorted; smooth idf. `ValueError` when no term is left."""
    stop = frozenset(stop_words)
    if all(t in stop for t in df):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    max_count = max_df if isinstance(max_df, int) and not isinstance(max_df, bool) else max_df * n
    kept = sorted(t for t, c in df.items() if min_df <= c <= max_count and t not in stop)
    if not kept:
        raise ValueError("after pruning, no terms remain; try a lower min_df or a higher max_df")
    counts = np.array([df[t] for t in kept], dtype=np.float64)
    idf = (np.log((1 + n) / (1 + counts)) + 1).astype(np.float32)
    return FeatureSpace({t: j for j, t in enumerate(kept)}, idf, language, token_pattern, stop,
                        tuple(ngram_range), sublinear_tf)


def fit_space(texts: Sequence[str], *, language: str, token_pattern: str, stop_words: Sequence[str],
              min_df: int = 1, max_df: float = 1.0, sublinear_tf: bool = True, ngram_range: tuple[int, int] = (1, 1),
              n_jobs: int = 1) -> tuple[FeatureSpace, sparse.csr_matrix]:
    """Fit a TF-IDF space on `texts` and return it with their rows.

    Same vocabulary, idf and rows as scikit-learn's `TfidfVectorizer(min_df, max_df, stop_words,
    ngram_range, smooth_idf=True, sublinear_tf)` (tests check it), with less memory left behind and
    both cores. `count_documents`, `space_from_counts` and `stack_rows` do the same chunk by chunk.
    """
    df = count_documents(texts, language=language, token_pattern=token_pattern, stop_words=stop_words,
                         ngram_range=ngram_range, n_jobs=n_jobs)
    space = space_from_counts(df, len(texts), language=language, token_pattern=token_pattern,
                              stop_words=stop_words, ngram_range=ngram_range, min_df=min_df, max_df=max_df,
                              sublinear_tf=sublinear_tf)
    return space, transform(space, texts, n_jobs=n_jobs)


# Bytes that can be part of a word: ASCII letters, digits, underscore, and every byte of a multi-byte
# UTF-8 character (>= 0x80). Everything else becomes a space, so `bytes.split` finds the word runs.
_WORD_BYTES = set(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_TO_SPACE = bytes(b if (b >= 0x80 or b in _WORD_BYTES) else 0x20 for b in range(256))
_MISS, _NONE, _MANY = -3, -1, -2  # run not seen yet / holds no term / holds terms listed apart
_FAST_MIN_TEXTS = 64
_memos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _memo(space: FeatureSpace) -> tuple[dict[bytes, int], dict[bytes, list[int]]]:
    """Per process: UTF-8 word run -> term id, or _NONE (no term), or _MANY (several, in the second dict)."""
    memo = _memos.get(space)
    if memo is None or len(memo[0]) > 4 * len(space.vocabulary) + 1_000_000:
        memo = _memos[space] = ({k.encode("utf-8"): v for k, v in space.vocabulary.items()}, {})
    return memo


def _unigram_counts(space: FeatureSpace, texts: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
    """(term ids, counts, entries per text) for word-unigram spaces; no id repeats within a text.

    Splits the UTF-8 bytes of each normalised text on non-word ASCII bytes (all C-level work), and
    resolves each distinct run once with the real token pattern, memoised: a run equal to a term is
    that term; any other run is resolved to the terms the pattern finds in it (usually none).
    The terms found are exactly the token pattern's (a test checks it).
    """
    single, many = _memo(space)
    findall = re.compile(space.token_pattern).findall
    lookup = space.vocabulary.get
    preprocess = normalizer_for(space.language)
    ids: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for text in texts:
        tally = Counter(preprocess(text).encode("utf-8").translate(_TO_SPACE).split())
        start = len(ids)
        ids.extend(map(single.get, tally.keys(), repeat(_MISS)))
        counts.extend(tally.values())
        end = len(ids)
        aliased = False
        for marker in (_MISS, _MANY):  # rare after warm-up: found by C-level list scans
            try:
                i = ids.index(marker, start, end)
            except ValueError:
                continue
            keys = list(tally.keys())
            while True:
                run = keys[i - start]
                if marker == _MISS:
                    found = [j for j in map(lookup, findall(run.decode("utf-8", "replace"))) if j is not None]
                    # A run that is not itself a term but holds terms is an alias: its ids may repeat
                    # another run's in the same text, so it always goes through the summing path.
                    if found:
                        many[run] = found
                    single[run] = ids[i] = _MANY if found else _NONE
                if ids[i] == _MANY:
                    terms = many[run]
                    ids[i] = terms[0]
                    ids.extend(terms[1:])
                    counts.extend(repeat(counts[i], len(terms) - 1))
                    aliased = True
                try:
                    i = ids.index(marker, i + 1, end)
                except ValueError:
                    break
        if aliased:  # an alias may repeat an id of this text (rare): sum them here, not batch-wide
            summed: dict[int, int] = {}
            for j, c in zip(ids[start:], counts[start:]):
                summed[j] = summed.get(j, 0) + c
            del ids[start:], counts[start:]
            ids.extend(summed.keys())
            counts.extend(summed.values())
        lengths.append(len(ids) - start)
    return ids, counts, lengths


def _regex_counts(space: FeatureSpace, texts: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
    """The same with the token pattern over whole texts (also handles word n-grams)."""
    lookup = space.vocabulary.get
    if space.ngram_range == (1, 1):
        findall = re.compile(space.token_pattern).findall
        preprocess = normalizer_for(space.language)

        def terms(text: str) -> list[str]:
            return findall(preprocess(text))  # stop words are never in the vocabulary
    else:
        terms = space.terms
    ids: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for text in texts:
        tally = Counter(terms(text))
        ids.extend(map(lookup, tally.keys(), repeat(-1)))
        counts.extend(tally.values())
        lengths.append(len(tally))
    return ids, counts, lengths


def transform_arrays(space: FeatureSpace, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TF-IDF rows of `texts` in this process, as CSR arrays (indptr, indices, data), rows
    l2-normalised (indices in first-seen order within a row)."""
    fast = space.ngram_range == (1, 1) and len(texts) >= _FAST_MIN_TEXTS
    ids, counts, lengths = (_unigram_counts if fast else _regex_counts)(space, texts)
    n = len(texts)
    idx = np.asarray(ids, dtype=np.int64)
    keep = idx >= 0  # terms outside the vocabulary
    rows = np.repeat(np.arange(n), lengths)[keep]
    cols = idx[keep].astype(np.int32)
    data = np.asarray(counts, dtype=np.float32)[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    if space.sublinear_tf:
        np.log(data, out=data)
        data += 1
    data *= space.idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=n))
    norms[norms == 0] = 1.0
    data /= norms[rows].astype(np.float32)
    return indptr, cols, data


def _transform_serial(space: FeatureSpace, texts: Sequence[str]) -> sparse.csr_matrix:
    from scipy import sparse

    indptr, cols, data = transform_arrays(space, texts)
    matrix = sparse.csr_matrix((data, cols, indptr), shape=(len(texts), len(space)))
    matrix.sort_indices()
    return matrix


def transform(space: FeatureSpace, texts: Sequence[str], *, n_jobs: int = 1) -> sparse.csr_matrix:
    """TF-IDF rows for `texts`, split across `n_jobs` processes for large batches."""
    parts = map_texts(partial(_transform_serial, space), texts, n_jobs=n_jobs)
    if len(parts) == 1:
        return parts[0]
    from scipy import sparse

    return sparse.vstack(parts, format="csr")


def stack_rows(space: FeatureSpace, chunks: Iterable[Sequence[str]], *, rows: int, nnz: int,
               n_jobs: int = 1) -> sparse.csr_matrix:
    """The TF-IDF rows of texts that come chunk by chunk, stacked into one float32 matrix written in
    place: no chunk is kept once transformed, and no second copy of the matrix is made. `rows` is
    the number of texts; `nnz` the expected number of entries (the sum of the document frequencies
    of the space's terms), grown if short. `ValueError` when the chunks hold other than `rows` texts.
    """
    from scipy import sparse

    index = np.int64 if max(nnz, len(space)) >= 2**31 - 1 else np.int32
    indptr = np.zeros(rows + 1, dtype=index)
    indices = np.empty(nnz, dtype=index)
    data = np.empty(nnz, dtype=np.float32)
    r = p = 0
    for chunk in chunks:
        block = transform(space, chunk, n_jobs=n_jobs)
        m, k = block.shape[0], block.nnz
        if r + m > rows:
            raise ValueError(f"the texts number more than the {rows} of the first pass")
        if p + k > len(data):  # more entries than counted (not seen so far): grow by an eighth
            grow = max(p + k, len(data) + len(data) // 8)
            if grow >= 2**31 - 1:
                indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
            indices, data = np.resize(indices, grow), np.resize(data, grow)
        indptr[r + 1:r + m + 1] = block.indptr[1:] + p
        indices[p:p + k] = block.indices
        data[p:p + k] = block.data
        r, p = r + m, p + k
    if r != rows:
        raise ValueError(f"the texts number {r}, not the {rows} of the first pass")
    if p < len(data):
        indices, data = indices[:p].copy(), data[:p].copy()
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(rows, len(space)))
    matrix.has_sorted_indices = True  # each block's are
    return matrix
