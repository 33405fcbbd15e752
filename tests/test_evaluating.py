import json

from classifier import cross_validate, load_articles
from classifier.api.evaluating import fit_learning_curve


def test_cross_validate_and_learning_curve(mini_path):
    corpus = load_articles(mini_path)
    cv = cross_validate(mini_path, folds=3, min_tag_count=3)
    assert cv["folds"] == 3 and len(cv["per_fold"]) == 3
    assert 0 < cv["mean"]["micro_f1"] <= 1 and cv["std"]["micro_f1"] >= 0
    rows = fit_learning_curve(corpus, corpus, {"min_tag_count": 3}, fractions=(0.5, 1.0))
    assert [r["articles"] for r in rows] == [75, 150]
    json.dumps(rows)
