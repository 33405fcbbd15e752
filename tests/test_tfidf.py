import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import parallel
from classifier.text import tfidf as features
from classifier.text.normalize import TOKEN_PATTERN, prepare_fr, stop_words_for
from classifier.text.tfidf import FeatureSpace, transform

TEXTS = ["L’armée israélienne et le Maroc", "Qu’il pleuve sur Paris, l’été", "Le Maroc, le Maroc !",
         "mot inconnu seulement", "", "Israël et la défense de l'État"] * 3


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_transform_equals_sklearn(ngram_range):
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop_words_for("fr"),
                        ngram_range=ngram_range, sublinear_tf=True, dtype=np.float32)
    v.fit(TEXTS[:4])
    space = FeatureSpace.from_vectorizer(v, "fr")
    ours = transform(space, TEXTS)
    theirs = v.transform(TEXTS)
    assert ours.shape == theirs.shape
    assert abs(ours - theirs).max() < 1e-6


def test_parallel_equals_serial(monkeypatch):
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, sublinear_tf=True, dtype=np.float32)
    v.fit(TEXTS)
    space = FeatureSpace.from_vectorizer(v, "fr")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_TEXTS", 4)
    many = TEXTS * 5
    assert abs(transform(space, many, n_jobs=2) - transform(space, many, n_jobs=1)).max() == 0


def test_fit_space_equals_sklearn_fit(monkeypatch):
    from classifier.text.tfidf import fit_space

    monkeypatch.setattr(parallel, "PARALLEL_MIN_TEXTS", 4)
    texts = TEXTS + ["Le Maroc et la France", "la défense du Maroc", "Paris et Rabat, l’armée"] * 2
    stop = stop_words_for("fr")
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop, min_df=2,
                        max_df=0.5, sublinear_tf=True, dtype=np.float32)
    theirs = v.fit_transform(texts)
    for n_jobs in (1, 2):
        space, ours = fit_space(texts, language="fr", token_pattern=TOKEN_PATTERN, stop_words=stop, min_df=2,
                                max_df=0.5, n_jobs=n_jobs)
        assert space.vocabulary == v.vocabulary_
        assert np.allclose(space.idf, v.idf_)
        assert abs(ours - theirs).max() < 1e-6


def test_fast_path_equals_sklearn_on_awkward_text(monkeypatch):
    """Word runs glued by non-ASCII punctuation, digits with thin spaces, aliases of known words."""
    awkward = ["10\u00a0000 euros «\u00a0Bonjour\u00a0» l’État—la santé… x²y ½ e\u0301te\u0301 Ⅻ ǅa",
               "maroc\u200bmaroc Maroc maroc\u2028israël ISRAËL", "défense,défense;défense défense"]
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop_words_for("fr"),
                        sublinear_tf=True, dtype=np.float32)
    v.fit(TEXTS + awkward)
    space = FeatureSpace.from_vectorizer(v, "fr")
    monkeypatch.setattr(features, "_FAST_MIN_TEXTS", 1)
    many = (awkward + TEXTS) * 3
    assert abs(transform(space, many) - v.transform(many)).max() < 1e-6


def test_chunks_hold_about_the_same_number_of_characters(monkeypatch):
    from classifier.parallel import map_texts

    monkeypatch.setattr(parallel, "PARALLEL_MIN_TEXTS", 4)
    texts = ["x" * 1000] + ["y"] * 999  # one long text, then short ones
    assert map_texts(len, texts, n_jobs=2) == [250, 750]
    pairs = [(str(i), t) for i, t in enumerate(texts)]  # (id, text) items count by their text
    assert map_texts(len, pairs, n_jobs=2) == [250, 750]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_counting_and_stacking_by_chunks_equals_fit_space(ngram_range):
    from classifier.text.tfidf import count_documents, fit_space, space_from_counts, stack_rows

    texts = TEXTS + ["Le Maroc et la France", "la défense du Maroc", "Paris et Rabat, l’armée"] * 2
    settings = dict(language="fr", token_pattern=TOKEN_PATTERN, stop_words=stop_words_for("fr"),
                    ngram_range=ngram_range)
    whole_space, whole = fit_space(texts, min_df=2, max_df=0.5, **settings)
    chunks = [texts[i:i + 5] for i in range(0, len(texts), 5)]
    df = count_documents(chunks[0], **settings)
    for chunk in chunks[1:]:
        df.update(count_documents(chunk, **settings))
    space = space_from_counts(df, len(texts), min_df=2, max_df=0.5, **settings)
    assert space.vocabulary == whole_space.vocabulary and np.array_equal(space.idf, whole_space.idf)
    nnz = sum(df[t] for t in space.vocabulary)
    X = stack_rows(space, iter(chunks), rows=len(texts), nnz=nnz)
    assert X.nnz == nnz == whole.nnz
    for a, b in ((X.indptr, whole.indptr), (X.indices, whole.indices), (X.data, whole.data)):
        assert np.array_equal(a, b)
    short = stack_rows(space, iter(chunks), rows=len(texts), nnz=3)  # too few entries expected: grown
    assert abs(short - whole).max() == 0
    with pytest.raises(ValueError, match="number 20, not the 24"):
        stack_rows(space, iter(chunks[:-1]), rows=len(texts), nnz=nnz)
    with pytest.raises(ValueError, match="more than the 20"):
        stack_rows(space, iter(chunks), rows=20, nnz=nnz)


def test_ngram_fit_space_equals_sklearn_fit():
    from classifier.text.tfidf import fit_space

    texts = TEXTS + ["Le Maroc et la France", "la défense du Maroc", "Paris et Rabat, l’armée"] * 2
    stop = stop_words_for("fr")
    v = TfidfVectorizer(preprocessor=prepare_fr, token_pattern=TOKEN_PATTERN, stop_words=stop, min_df=2,
                        max_df=0.5, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    theirs = v.fit_transform(texts)
    space, ours = fit_space(texts, language="fr", token_pattern=TOKEN_PATTERN, stop_words=stop, min_df=2,
                            max_df=0.5, ngram_range=(1, 2))
    assert space.vocabulary == v.vocabulary_ and any(" " in t for t in space.vocabulary)
    assert np.allclose(space.idf, v.idf_)
    assert abs(ours - theirs).max() < 1e-6
