import pytest

from classifier import DataError, load_model, predict


def test_train_result(trained):
    assert trained.model.classes_.size >= 5
    assert trained.manifest["tags_left_out"] == len(trained.model.dropped_tags_)
    assert 0 <= trained.manifest["validation"]["micro_f1"] <= 1


def test_predict_returns_tags_and_ten_scores(trained):
    model = load_model(trained.run_dir)
    preds = predict(model, ["Élections: le président américain en campagne aux USA", "Un concert de musique"],
                    ids=["a", "b"])
    assert [p.id for p in preds] == ["a", "b"]
    for p in preds:
        assert len(p.scores) >= min(10, len(model.classes_))
        assert set(p.tags) <= set(p.scores)
        assert list(p.scores.values()) == sorted(p.scores.values(), reverse=True)
    assert "USA" in preds[0].tags


def test_predict_top_k_and_threshold(trained):
    model = trained.model
    text = ["Le virus circule: épidémie, santé, hôpitaux, Chine, USA, élections et police"]
    assert len(predict(model, text, top_k=1)[0].tags) == 1
    loose = predict(model, text, threshold=0.01)[0].tags
    strict = predict(model, text, threshold=0.99)[0].tags
    assert len(loose) >= len(strict) >= 1


def test_predict_refuses_a_bare_string(trained):
    with pytest.raises(DataError):
        predict(trained.model, "texte")


def test_train_without_tags_fails_clearly(tmp_path):
    from classifier import train

    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "un", "tags": []}\n{"text": "deux", "tags": []}\n')
    with pytest.raises(DataError, match="no article has tags"):
        train(p)
