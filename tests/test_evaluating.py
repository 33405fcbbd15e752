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


def test_evaluate_on_feedback_uses_the_editors_tags_as_gold(trained, tmp_path, mini_path):
    from classifier import evaluate
    from classifier.corpus.feedback import append_event

    records = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()[:5]]
    fb = tmp_path / "feedback.jsonl"
    for r in records:
        append_event(fb, {"id": r["id"], "title": r["title"], "text": r["text"], "accepted": r["tags"][:1],
                          "rejected": r["tags"][1:], "added": []})
    result = evaluate(model=trained.run_dir, out=tmp_path / "ev", feedback=fb)
    ev = result.evaluation
    assert ev.ids == [r["id"] for r in records] and ev.data_path == str(fb)
    assert (tmp_path / "ev" / "metrics.json").exists()
    both = evaluate(mini_path, model=trained.run_dir, out=tmp_path / "ev2", feedback=fb).evaluation
    assert len(both.ids) == 150 and both.ids[-5:] == [r["id"] for r in records]
