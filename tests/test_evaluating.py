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


def test_explain_tags_names_frequent_tags_and_the_examples_evidence(trained, mini_path):
    import numpy as np

    from classifier import evaluate_model
    from classifier.api.evaluating import explain_tags

    model = trained.model
    ev = evaluate_model(model, load_articles(mini_path))
    why = explain_tags(model, ev, n_tags=3, top_n=4, words=2)
    support = np.asarray(model.tag_support_)
    assert [t["tag"] for t in why["tags"]] == [str(model.classes_[j]) for j in np.argsort(-support, kind="stable")[:3]]
    for t in why["tags"]:
        assert len(t["positive"]) <= 4 and len(t["negative"]) <= 4
        assert all(v > 0 for _, v in t["positive"]) and all(v < 0 for _, v in t["negative"])
        assert [v for _, v in t["positive"]] == sorted((v for _, v in t["positive"]), reverse=True)
    shown = {e["row"]: e for group in ev.examples().values() for e in group}
    assert set(why["examples"]) == set(shown)
    for row, tags in why["examples"].items():
        e = shown[row]
        assert set(tags) == set(e["hits"] + e["spurious"] + e["missed"])
        terms = set(model.features_.terms(ev.texts[row]))
        assert all(w in terms for words in tags.values() for w, _ in words)


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


def test_evaluate_says_when_articles_without_ids_were_named_by_their_line(trained, tmp_path, mini_path):
    from classifier import evaluate

    lines = mini_path.read_text(encoding="utf-8").splitlines()[:20]
    noid = tmp_path / "noid.jsonl"
    noid.write_text("".join(json.dumps({k: v for k, v in json.loads(line).items() if k != "id"}) + "\n"
                            for line in lines), encoding="utf-8")
    result = evaluate(noid, model=trained.run_dir, out=tmp_path / "ev")
    assert result.evaluation.ids[:3] == ["1", "2", "3"]
    assert any(n.startswith(f"{noid}: 20 of 20 articles have no 'id' field") for n in result.notes)
    assert not evaluate(mini_path, model=trained.run_dir, out=tmp_path / "ev2").notes
