import numpy as np
import pytest

from classifier import DataError, TagModel
from classifier.corpus.articles import load_articles
from classifier.evaluation.splits import near_duplicate_groups
from classifier.model import dual, squared_hinge
from classifier.model.losses import fit_dual
from classifier.text import tfidf
from classifier.text.normalize import TOKEN_PATTERN


@pytest.fixture(scope="module")
def rows(mini_path):
    corpus = load_articles(mini_path)
    _, X = tfidf.fit_space(corpus.texts, language="fr", token_pattern=TOKEN_PATTERN, stop_words=(), min_df=2)
    tags = sorted({t for ts in corpus.tags for t in ts})[:12]
    Y = np.array([[t in ts for t in tags] for ts in corpus.tags], dtype=np.float32)
    return corpus, X.astype(np.float32), Y


def test_ensemble_is_the_mean_of_ridge_and_squared_hinge_weights_and_heldout_scores(rows):
    _, X, Y = rows
    groups = near_duplicate_groups(X)
    A_r, h_r = dual.solve(X, Y, 0.3, groups=groups)
    A_s, h_s, _ = squared_hinge.fit(X, Y, 0.3, groups=groups)
    A, heldout = fit_dual(X, Y, 0.3, "ensemble", groups=groups)
    assert np.allclose(A, 0.5 * (A_r + A_s), atol=1e-6) and np.allclose(heldout, 0.5 * (h_r + h_s), atol=1e-6)
    assert not np.allclose(A, A_r, atol=1e-3) and not np.allclose(A, A_s, atol=1e-3)
    for loss, (A_one, h_one) in (("ridge", (A_r, h_r)), ("squared_hinge", (A_s, h_s))):
        A_got, h_got = fit_dual(X, Y, 0.3, loss, groups=groups)
        assert np.array_equal(A_got, A_one) and np.array_equal(h_got, h_one)


def test_unknown_loss_is_refused(rows):
    _, X, Y = rows
    with pytest.raises(DataError, match="ensemble on the dual path; got 'hinge'"):
        fit_dual(X, Y, 0.3, "hinge")


def test_the_ensemble_model_fits_and_predicts_and_needs_the_dual_path(rows):
    corpus = rows[0]
    model = TagModel(min_tag_count=3, loss="ensemble").fit(corpus.texts, corpus.tags)
    assert model.loss_ == "ensemble" and model.solver_ == "dual"
    assert 0 < model.validation_["micro_f1"] <= 1
    assert "santé" in model.predict_tags(["Le virus et l'épidémie: les hôpitaux face à la crise sanitaire, "
                                          "le ministre de la santé annonce des mesures"])[0]
    with pytest.raises(DataError, match="loss 'ensemble' needs the dual path, and 150 articles take the primal"):
        TagModel(min_tag_count=3, loss="ensemble", solver="primal").fit(corpus.texts, corpus.tags)


def test_the_ensemble_on_a_corpus_for_the_primal_path_is_refused_before_the_features(rows, monkeypatch):
    from classifier.model import features

    corpus = rows[0]
    monkeypatch.setattr(features, "vectorise", lambda *a, **k: pytest.fail("the features were computed"))
    with pytest.raises(DataError, match="needs the dual path, and 150 articles take the primal one"):
        TagModel(min_tag_count=3, loss="ensemble", dual_max_samples=100).fit(corpus.texts, corpus.tags)
