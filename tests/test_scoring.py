import json
from collections import Counter

import numpy as np
import pytest

from classifier import DataError, evaluate_model, load_articles, load_model
from classifier.evaluation.scoring import Evaluation, align_tags, compare
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


def hand_built(gold: list[list[int]], pred: list[list[int]], classes: list[str]) -> Evaluation:
    """An Evaluation whose arrays are written out, so what it must find is known exactly."""
    g, p = np.array(gold, dtype=bool), np.array(pred, dtype=bool)
    n = len(g)
    return Evaluation(data_path="hand.jsonl", ids=[f"a{i}" for i in range(n)], texts=[f"text {i}" for i in range(n)],
                      classes=classes, gold=g, pred=p, raw=p.astype(float), proba=p.astype(float),
                      thresholds=np.full(len(classes), 0.5), metrics={})


def test_examples():
    ev = hand_built(gold=[[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 0]],
                    pred=[[1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]],
                    classes=["A", "B", "C", "D"])
    ex = ev.examples(3)  # a4 has no gold tags: never an example; a3 and a1 tie at F1 0, a3 has more gold tags
    assert [e["id"] for e in ex["best"]] == ["a0", "a2", "a1"] and [e["id"] for e in ex["worst"]] == ["a3", "a1", "a2"]
    assert ex["worst"][1] == {"id": "a1", "row": 1, "f1": 0.0, "text": "text 1", "hits": [], "missed": ["A"],
                              "spurious": ["C", "D"]}
    assert ex["best"][1]["f1"] == pytest.approx(0.667, abs=1e-3) and ex["best"][1]["spurious"] == ["D"]


def test_confused_pairs_are_counted_exactly():
    # Every (predicted-but-wrong, gold-but-missed) pair of an article counts once; hits never count.
    rows = [  # (gold, predicted) over tags A B C D
        ("A", "BC"),   # (B, A) (C, A)
        ("A", "BC"),   # (B, A) (C, A)
        ("A", "BC"),   # (B, A) (C, A)
        ("AD", "B"),   # (B, A) (B, D)
        ("AD", "B"),   # (B, A) (B, D)
        ("AB", "AC"),  # (C, B): A is a hit, so neither (C, A) nor anything with A
        ("C", "C"),    # all right: no pair
        ("D", ""),     # missed D but predicted nothing: no pair
    ]
    classes = ["A", "B", "C", "D"]
    ev = hand_built(gold=[[t in g for t in classes] for g, _ in rows],
                    pred=[[t in p for t in classes] for _, p in rows], classes=classes)
    assert ev.confused_pairs() == [("B", "A", 5), ("C", "A", 3), ("B", "D", 2), ("C", "B", 1)]
    assert ev.confused_pairs(top=2) == [("B", "A", 5), ("C", "A", 3)]


def test_confused_pairs_on_a_trained_model(ev):
    for a, b, count in ev.confused_pairs(5):
        assert a != b and count >= 1


def test_compare_against_itself_is_zero(ev):
    c = compare(ev, ev)
    assert all(v["delta"] == 0 for v in c["metrics"].values())
    assert all(r["delta"] == 0 for r in c["tags"])


def test_every_gold_tag_view_is_the_shared_scorers_and_a_smaller_model_cannot_win_by_it(trained, mini_path,
                                                                                       tmp_path, shared_file):
    import subprocess
    import sys

    from classifier import TagModel, load_articles, predict
    from classifier.evaluation.scoring import compare

    scorer = shared_file("bench/score.py")
    corpus = load_articles(mini_path, merge_variants=False)
    ev = evaluate_model(trained.model, corpus)
    (tmp_path / "pred.jsonl").write_text("".join(p.to_json() + "\n" for p in predict(
        trained.model, corpus.texts, ids=corpus.ids)), encoding="utf-8")
    out = subprocess.run([sys.executable, str(scorer), str(mini_path), str(tmp_path / "pred.jsonl"), "--json"],
                         capture_output=True, text=True, check=True)
    ref = json.loads(out.stdout)
    for key in ("micro_f1", "macro_f1"):
        assert ev.metrics_all_gold[key] == pytest.approx(ref[key], abs=2e-4), key
    small = TagModel(min_tag_count=12).fit(corpus.texts, corpus.tags)  # learns far fewer tags
    small_ev = evaluate_model(small, corpus)
    assert len(small.classes_) < len(trained.model.classes_)
    c = compare(ev, small_ev)
    assert c["metrics"]["macro_f1"]["b"] == small_ev.metrics_all_gold["macro_f1"] < ev.metrics_all_gold["macro_f1"]
    assert c["known_tags"]["macro_f1"]["b"] == small_ev.metrics["macro_f1"]
