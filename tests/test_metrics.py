import json
import math
import subprocess
import sys

import numpy as np
import pytest
import sklearn.metrics as skm

from classifier.evaluation.metrics import METRICS, compute_metrics, ndcg_at_k, per_tag_prf, precision_at_k


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    gold = rng.random((60, 8)) < 0.3
    gold[0] = False  # an article with no gold tags
    gold[:, 7] = False  # a tag absent from the gold data
    scores = rng.random((60, 8)) + gold * 0.4
    pred = scores > 0.8
    pred[:, 6] = False  # a tag never predicted
    pred[5] = False  # an empty prediction set
    return gold, pred, scores


def test_averages_agree_with_sklearn(case):
    gold, pred, _ = case
    m = compute_metrics(gold, pred)
    supported = np.flatnonzero(gold.any(0))
    for part, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert m[f"micro_{part}"] == pytest.approx(fn(gold, pred, average="micro", zero_division=0), abs=1e-4)
        assert m[f"macro_{part}"] == pytest.approx(
            fn(gold, pred, average="macro", labels=supported, zero_division=0), abs=1e-4)
        assert m[f"weighted_{part}"] == pytest.approx(fn(gold, pred, average="weighted", zero_division=0), abs=1e-4)
        assert m[f"samples_{part}"] == pytest.approx(fn(gold, pred, average="samples", zero_division=1.0), abs=1e-4)
    assert m["hamming_loss"] == pytest.approx(skm.hamming_loss(gold, pred), abs=1e-4)
    assert m["subset_accuracy"] == pytest.approx(skm.accuracy_score(gold, pred), abs=1e-4)


def test_ranking_metrics_agree_with_sklearn_and_hand_cases(case):
    gold, pred, scores = case
    m = compute_metrics(gold, pred, scores)
    rows = gold.any(1)
    assert m["ndcg_at_5"] == pytest.approx(skm.ndcg_score(gold[rows], scores[rows], k=5), abs=1e-4)
    assert m["coverage"] == pytest.approx(skm.coverage_error(gold, scores), abs=1e-4)
    g = np.array([[1, 0, 1, 0]], dtype=bool)
    s = np.array([[0.9, 0.8, 0.7, 0.1]])
    assert precision_at_k(g, s, 1) == 1.0
    assert precision_at_k(g, s, 3) == pytest.approx(2 / 3)
    assert ndcg_at_k(g, s, 5) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_edge_cases():
    gold = np.array([[False, False], [True, False]])
    empty = np.zeros_like(gold)
    m = compute_metrics(gold, empty)
    assert m["micro_f1"] == 0.0 and m["macro_f1"] == 0.0
    assert m["samples_f1"] == 0.5  # article 0: nothing to find, nothing predicted
    prf = per_tag_prf(gold, empty)
    assert prf["support"].tolist() == [1, 0] and prf["f1"].tolist() == [0.0, 0.0]
    assert compute_metrics(np.zeros((0, 2), bool), np.zeros((0, 2), bool))["micro_f1"] == 0.0


def test_selection_by_name(case):
    gold, pred, scores = case
    assert set(compute_metrics(gold, pred, scores, names=["micro_f1", "p_at_1"])) == {"micro_f1", "p_at_1"}
    assert "p_at_1" not in compute_metrics(gold, pred)  # needs scores
    with pytest.raises(ValueError, match="unknown metric"):
        compute_metrics(gold, pred, names=["nope"])
    assert len(METRICS) >= 20


def test_micro_macro_agree_with_the_shared_scorer(case, tmp_path, shared_file):
    scorer = shared_file("bench/score.py")
    gold, pred, scores = case
    tags = [f"t{j}" for j in range(gold.shape[1])]
    with open(tmp_path / "gold.jsonl", "w") as g, open(tmp_path / "pred.jsonl", "w") as p:
        for i in range(len(gold)):
            g.write(json.dumps({"id": i, "tags": [tags[j] for j in np.flatnonzero(gold[i])]}) + "\n")
            p.write(json.dumps({"id": i, "tags": [tags[j] for j in np.flatnonzero(pred[i])],
                                "scores": {tags[j]: float(scores[i, j]) for j in range(len(tags))}}) + "\n")
        # every tag is in the label set: give the scorer a train file that lists them all
    with open(tmp_path / "train.jsonl", "w") as t:
        t.write(json.dumps({"id": 0, "tags": tags}) + "\n")
    out = subprocess.run([sys.executable, str(scorer), str(tmp_path / "gold.jsonl"), str(tmp_path / "pred.jsonl"),
                          "--train", str(tmp_path / "train.jsonl"), "--json"], capture_output=True, text=True,
                         check=True)
    ref = json.loads(out.stdout)
    m = compute_metrics(gold, pred, scores)
    for key in ("micro_f1", "macro_f1", "samples_f1", "p_at_1", "ndcg_at_5"):
        assert m[key] == pytest.approx(ref[key], abs=2e-4), key
