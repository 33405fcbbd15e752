from collections import Counter

import pytest

from classifier import DataError, evaluate_model, load_articles, load_model
from classifier.evaluation.scoring import align_tags, compare
from classifier.types import Corpus


@pytest.fixture(scope="module")
def ev(trained, mini_path):
    return evaluate_model(load_model(trained.run_dir), load_articles(mini_path))


def test_metrics_and_per_tag(ev):
    assert 0 < ev.metrics["micro_f1"] <= 1 and "p_at_1" in ev.metrics
    rows = ev.per_tag()
    assert [r["support"] for r in rows] == sorted((r["support"] for r in rows), reverse=True)
    assert {"tag", "support", "precision", "recall", "f1", "threshold"} <= set(rows[0])


def test_unknown_tags_are_counted_not_fatal(trained):
    corpus = Corpus("x.jsonl", ["1", "2"], ["La santé et le virus", "Un concert"],
                    [["santé", "tag inconnu"], ["Tag Inconnu", "SANTE"]])
    ev = evaluate_model(trained.model, corpus)
    assert ev.unknown_tags == Counter({"tag inconnu": 1, "Tag Inconnu": 1})
    assert ev.gold[:, ev.classes.index("santé")].tolist() == [True, True]  # case/accent variant matched


def test_evaluation_without_labels_is_refused(trained):
    corpus = Corpus("x.jsonl", ["1"], ["texte"], [[]], has_tags=False)
    with pytest.raises(DataError, match="no article has tags"):
        evaluate_model(trained.model, corpus)


def test_align_tags_uses_merges():
    Y, unknown = align_tags([["Israel", "Maroc"], ["Zz"]], ["Israël", "Maroc"], {"Israel": "Israël"})
    assert Y.tolist() == [[True, True], [False, False]] and unknown == Counter({"Zz": 1})


def test_examples_and_confusions(ev):
    ex = ev.examples(3)
    assert len(ex["best"]) == 3 and len(ex["worst"]) == 3
    assert ex["best"][0]["f1"] >= ex["worst"][0]["f1"]
    for a, b, count in ev.confused_pairs(5):
        assert a != b and count >= 1


def test_compare_against_itself_is_zero(ev):
    c = compare(ev, ev)
    assert all(v["delta"] == 0 for v in c["metrics"].values())
    assert all(r["delta"] == 0 for r in c["tags"])
