"""Training features from a source read chunk by chunk equal those of all the texts at once."""

import gc
import weakref

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import DataError, TagModel
from classifier.corpus.articles import DEFAULT_TRAIN, iter_articles, load_articles
from classifier.model import features
from classifier.progress import no_progress
from classifier.text import tfidf
from classifier.text.normalize import TOKEN_PATTERN, prepare_fr, stop_words_for, weight_title


@pytest.fixture(scope="module")
def orangesum_3000():
    """The first 3,000 articles of the bundled OrangeSum training split."""
    return next(iter_articles(DEFAULT_TRAIN, batch_size=3000))


def streamed(model, texts, tags, chunk_size):
    source = features.InMemory(texts, tags, chunk_size)
    return features.vectorise(source, features.count_terms(source, model, no_progress), model, no_progress)


def assert_identical(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    for x, y in ((a.indptr, b.indptr), (a.indices, b.indices), (a.data, b.data)):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("which", ["fixture", "orangesum"])
@pytest.mark.parametrize("title_weight", [1, 3])
def test_streamed_features_equal_those_of_all_texts_at_once(which, title_weight, mini_path, orangesum_3000):
    corpus = load_articles(mini_path) if which == "fixture" else orangesum_3000
    model = TagModel(title_weight=title_weight, n_jobs=2)
    weighted = [weight_title(t, title_weight) for t in corpus.texts]
    space, whole = tfidf.fit_space(weighted, language="fr", token_pattern=TOKEN_PATTERN,
                                   stop_words=stop_words_for("fr"), min_df=2, max_df=0.5)
    for chunk_size in (None, 7, 1000):  # one chunk (what `fit` does), many small ones, a few large ones
        chunked_space, X = streamed(model, corpus.texts, corpus.tags, chunk_size)
        assert chunked_space.vocabulary == space.vocabulary and np.array_equal(chunked_space.idf, space.idf)
        assert_identical(X, whole)
    if title_weight == 1:  # and both are scikit-learn's fit, to float32 precision
        v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop_words_for("fr"),
                            min_df=2, max_df=0.5, sublinear_tf=True, dtype=np.float32)
        theirs = v.fit_transform(corpus.texts)
        assert space.vocabulary == v.vocabulary_ and abs(whole - theirs).max() < 1e-6


def test_streamed_ngram_features_equal_scikit_learns(mini_path):
    corpus = load_articles(mini_path)
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop_words_for("fr"),
                        ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True, dtype=np.float32)
    theirs = v.fit_transform(corpus.texts)
    space, X = streamed(TagModel(ngram_range=(1, 2), title_weight=1), corpus.texts, corpus.tags, 16)
    assert space.vocabulary == v.vocabulary_ and np.allclose(space.idf, v.idf_, rtol=1e-6)
    assert abs(X - theirs).max() < 1e-6


class Chunk(list):
    """A list that can be watched with a weak reference."""


class WatchedSource:
    """A generator source that counts its reads and fails when a chunk is made while any chunk but
    the one just handed out is still alive: whoever reads it holds one chunk at a time."""

    def __init__(self, texts, tags, chunk_size):
        self.all_texts, self.all_tags, self.chunk_size = texts, tags, chunk_size
        self.reads, self.chunks_made, self.alive = 0, 0, []

    def texts(self):
        self.reads += 1
        for start in range(0, len(self.all_texts), self.chunk_size):
            gc.collect()
            alive = [r for r in self.alive if r() is not None]
            assert len(alive) <= 1, f"{len(alive)} chunks alive when chunk {self.chunks_made} is made"
            chunk = Chunk(self.all_texts[start:start + self.chunk_size])
            self.alive = alive + [weakref.ref(chunk)]
            self.chunks_made += 1
            yield chunk

    def tags(self):
        assert self.reads >= 1, "tags asked for before the texts were read"
        return self.all_tags


def test_fit_stream_reads_twice_one_chunk_at_a_time_and_equals_fit(mini_path):
    corpus = load_articles(mini_path)
    source = WatchedSource(corpus.texts, corpus.tags, 16)
    streamed_model = TagModel(min_tag_count=3).fit_stream(source)
    assert source.reads == 2 and source.chunks_made == 2 * 10
    whole = TagModel(min_tag_count=3).fit(corpus.texts, corpus.tags)
    assert list(streamed_model.classes_) == list(whole.classes_)
    assert np.array_equal(streamed_model.weights_.codes, whole.weights_.codes)
    assert np.array_equal(streamed_model.intercept_, whole.intercept_)
    assert np.array_equal(streamed_model.thresholds_, whole.thresholds_)


def test_a_source_that_keeps_its_chunks_is_caught(mini_path):
    """The watch above can fail: a reader that keeps every chunk trips it."""
    corpus = load_articles(mini_path)
    source = WatchedSource(corpus.texts, corpus.tags, 16)
    with pytest.raises(AssertionError, match="chunks alive"):
        list(source.texts())


def test_a_source_whose_tags_do_not_match_its_texts_is_refused(mini_path):
    corpus = load_articles(mini_path)
    with pytest.raises(DataError, match="150 texts but 149 tag lists"):
        TagModel(min_tag_count=3).fit_stream(features.InMemory(corpus.texts, corpus.tags[:-1], 50))
    changing = WatchedSource(corpus.texts, corpus.tags, 16)
    reads = changing.texts
    changing.texts = lambda: reads() if changing.reads == 0 else iter([Chunk(corpus.texts[:40])])
    with pytest.raises(DataError, match="changed between two reads"):
        TagModel(min_tag_count=3).fit_stream(changing)
