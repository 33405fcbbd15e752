"""The training features, from articles read chunk by chunk: the texts of a corpus are never all
held at once.

An `ArticleSource` gives the texts chunk by chunk, as many times as asked, and the tags once the
texts have been read through. Training reads it twice: `count_terms` counts every term's document
frequency (the first read, which for a file is also the one that checks every record), and
`vectorise` fits the space on those counts and computes the TF-IDF rows chunk by chunk into one
matrix. The result equals `tfidf.fit_space` on all the texts at once (a test checks it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from classifier.errors import DataError
from classifier.progress import Progress
from classifier.text import tfidf
from classifier.text.normalize import TOKEN_PATTERN, stop_words_for, weight_title

if TYPE_CHECKING:
    from scipy import sparse

    from classifier.model.estimator import TagModel


class ArticleSource(Protocol):
    """Training articles that can be read more than once, chunk by chunk."""

    def texts(self) -> Iterable[Sequence[str]]:
        """One read of every article's text, chunk by chunk, in the same order on every read."""
        ...

    def tags(self) -> Sequence[Sequence[str]]:
        """Every article's tags, in order; known once `texts()` has been read through once."""
        ...


@dataclass
class InMemory:
    """An `ArticleSource` over texts and tags already in memory, in chunks of `chunk_size` (None: one)."""

    all_texts: Sequence[str]
    all_tags: Sequence[Sequence[str]]
    chunk_size: int | None = None

    def texts(self) -> Iterator[Sequence[str]]:
        size = self.chunk_size or max(1, len(self.all_texts))
        for start in range(0, len(self.all_texts), size):
            yield self.all_texts[start:start + size]

    def tags(self) -> Sequence[Sequence[str]]:
        return self.all_tags


@dataclass
class TermCounts:
    """What the first read found: the number of texts and each term's document frequency."""

    n: int
    df: Counter


def _weighted(texts: Sequence[str], title_weight: int) -> Sequence[str]:
    return texts if title_weight <= 1 else [weight_title(t, int(title_weight)) for t in texts]


def count_terms(source: ArticleSource, model: TagModel, progress: Progress) -> TermCounts:
    """First read of `source`: the document frequencies of the terms `model`'s settings extract."""
    counts = TermCounts(0, Counter())
    for chunk in source.texts():
        for i, text in enumerate(chunk):
            if not isinstance(text, str):
                raise DataError(f"X[{counts.n + i}] must be a string; got {type(text).__name__}")
        counts.df.update(tfidf.count_documents(_weighted(chunk, model.title_weight), language=model.language,
                                               token_pattern=TOKEN_PATTERN,
                                               stop_words=stop_words_for(model.language),
                                               ngram_range=tuple(model.ngram_range), n_jobs=model.worker_count()))
        counts.n += len(chunk)
        progress("reading", counts.n, 0)
    return counts


def vectorise(source: ArticleSource, counts: TermCounts, model: TagModel,
              progress: Progress) -> tuple[tfidf.FeatureSpace, sparse.csr_matrix]:
    """The space fitted on `counts` (which are cleared once used) and, from a second read of
    `source`, its rows. The pruning settings follow the corpus size: `min_df` from 10 times as many
    texts, `max_df` from 20 texts."""
    n = counts.n
    try:
        space = tfidf.space_from_counts(counts.df, n, language=model.language, token_pattern=TOKEN_PATTERN,
                                        stop_words=stop_words_for(model.language),
                                        ngram_range=tuple(model.ngram_range),
                                        min_df=model.min_df if n >= 10 * model.min_df else 1,
                                        max_df=model.max_df if n >= 20 else 1.0, sublinear_tf=model.sublinear_tf)
    except ValueError as exc:  # e.g. every text is only stop words
        raise DataError(f"cannot build features from the training texts: {exc}") from None
    nnz = sum(map(counts.df.__getitem__, space.vocabulary))  # each text holds each of its terms once
    counts.df.clear()

    def chunks() -> Iterator[Sequence[str]]:
        done = 0
        progress("vectorising", 0, n)
        for chunk in source.texts():
            yield _weighted(chunk, model.title_weight)
            done += len(chunk)
            progress("vectorising", min(done, n), n)

    try:
        X = tfidf.stack_rows(space, chunks(), rows=n, nnz=nnz, n_jobs=model.worker_count())
    except ValueError as exc:
        raise DataError(f"the training articles changed between two reads ({exc}); was the file rewritten "
                        "during training?") from None
    return space, X
