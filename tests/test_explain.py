"""Evidence: each word's exact share of a tag's raw score."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import load_model, predict
from classifier.model.explain import contributions, evidence, feature_names, top_weights


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained.run_dir)


@pytest.fixture(scope="module")
def texts(mini_path):
    from classifier import load_articles

    return load_articles(mini_path).texts[:12]


@pytest.mark.parametrize("decoded", [False, True])
def test_intercept_plus_every_word_gives_the_raw_score(model, texts, decoded):
    if decoded:
        _ = model.coef_
    else:
        model.__dict__.pop("_coef", None)
    raw = model.decision_function(texts)
    columns = [list(range(len(model.classes_)))] * len(texts)
    for i, per_tag in enumerate(contributions(model, texts, columns)):
        total = np.array([w.sum() for _, w in per_tag]) + model.intercept_
        np.testing.assert_allclose(total, raw[i], rtol=1e-4, atol=1e-5)


def test_evidence_names_words_of_the_text_ranked(model, texts):
    tag = str(model.classes_[int(np.argmax(model.tag_support_))])
    ev = evidence(model, texts[:3], [[tag]] * 3, top_n=5)
    for text, row in zip(texts, ev):
        words = row[tag]
        assert words, "a text with known words has evidence"
        terms = set(model.features_.terms(text))
        assert all(w in terms for w, _ in words)
        up = [v for _, v in words if v > 0]
        down = [v for _, v in words if v < 0]
        assert up == sorted(up, reverse=True) and down == sorted(down)
        assert len(up) <= 5 and len(down) <= 5
        assert [v for _, v in words] == up + down


def test_evidence_refuses_an_unknown_tag(model, texts):
    with pytest.raises(KeyError, match="never learned"):
        evidence(model, texts[:1], [["no such tag"]])


def test_predict_explain_fills_evidence_for_the_listed_tags(model, texts):
    plain = predict(model, texts[:4])
    explained = predict(model, texts[:4], explain=3)
    for p, e in zip(plain, explained):
        assert p.tags == e.tags and p.scores == e.scores
        assert set(e.evidence) == set(e.scores)
        assert "evidence" in e.to_dict() and "evidence" not in p.to_dict()


def test_predict_refuses_a_bad_explain(model, texts):
    from classifier import DataError

    with pytest.raises(DataError, match="explain"):
        predict(model, texts[:1], explain=-1)


def test_top_weights_are_the_tags_largest(model):
    tag = str(model.classes_[0])
    words = top_weights(model, tag, top_n=4)
    j = 0
    column = model.coef_[:, j]
    names = feature_names(model)
    assert words[0] == (names[int(np.argmax(column))], float(column.max()))
    assert len(words) <= 8


def test_saved_model_keeps_no_derived_terms(model):
    feature_names(model)
    assert "_terms" not in model.__getstate__()
