import numpy as np
import pytest

from classifier import TagModel, load_articles
from classifier.evaluation.metrics import compute_metrics
from classifier.model import crossval, features
from classifier.model.tags import indicator


@pytest.fixture(scope="module")
def mini(mini_path):
    corpus = load_articles(mini_path)
    return features.InMemory(corpus.texts, corpus.tags)


def test_cross_validation_pools_each_folds_decisions_by_a_model_fitted_on_the_others(mini):
    folds = np.arange(len(mini.all_texts)) % 3
    settings = {"min_tag_count": 3, "loss": "ridge"}
    got = crossval.cross_validate(mini, settings, folds)
    labels, _, Y = indicator(mini.all_tags, 3)
    pred = np.zeros(Y.shape, dtype=bool)
    for f in range(3):
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        model = TagModel(**settings).fit([mini.all_texts[i] for i in train], [mini.all_tags[i] for i in train])
        decided = model.decide(model.decision_function([mini.all_texts[i] for i in test]))
        for j, tag in enumerate(model.classes_):
            if tag in labels:
                pred[test, list(labels).index(tag)] = decided[:, j]
    want = compute_metrics(Y.toarray(), pred, names=["micro_f1", "macro_f1"])
    assert {k: got[k] for k in want} == want and got["folds"] == 3
    again = crossval.cross_validate(mini, settings, folds)
    assert (again["micro_f1"], again["macro_f1"]) == (got["micro_f1"], got["macro_f1"])


def test_folds_keep_near_duplicates_together_and_are_deterministic(mini):
    texts = list(mini.all_texts) + [mini.all_texts[0], mini.all_texts[1] + " fin"]
    tags = list(mini.all_tags) + [mini.all_tags[0], mini.all_tags[1]]
    model = TagModel(min_tag_count=3, loss="ridge").fit(texts, tags)
    folds = crossval.fold_keys(model, texts, 3)
    assert folds[-2] == folds[0] and folds[-1] == folds[1]
    assert set(folds.tolist()) == {0, 1, 2}
    assert (crossval.fold_keys(model, texts, 3) == folds).all()


def test_the_paired_gain_is_the_difference_on_all_articles_with_a_bootstrap_error():
    rng = np.random.default_rng(1)
    gold = rng.random((300, 12)) < 0.2
    a = gold ^ (rng.random(gold.shape) < 0.10)  # a worse than b
    b = gold ^ (rng.random(gold.shape) < 0.05)
    names = ["micro_f1", "macro_f1"]
    gain, error = crossval.paired_gain(gold, a, b, names)
    ma, mb = (compute_metrics(gold, p, names=names) for p in (a, b))
    assert gain == pytest.approx(sum(mb.values()) - sum(ma.values()), abs=2e-4) and gain > 0
    assert 0 < error < gain and crossval.paired_gain(gold, a, b, names) == (gain, error)  # seeded
    assert crossval.paired_gain(gold, a, a, names) == (0.0, 0.0)
    # resampling whole groups: 100 groups of 3 identical articles vary more than 300 articles alone
    groups = np.repeat(np.arange(100), 3)
    tripled = [np.repeat(m[:100], 3, axis=0) for m in (gold, a, b)]
    _, alone = crossval.paired_gain(*tripled, names)
    _, grouped = crossval.paired_gain(*tripled, names, groups=groups)
    assert grouped > alone
