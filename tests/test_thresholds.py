import numpy as np

from classifier.thresholds import apply_thresholds, tune_thresholds


def test_threshold_maximises_f1_for_each_tag():
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.95], [0.2, 0.3], [0.1, 0.4]])
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]])
    thr = tune_thresholds(scores, Y, fbr=0.0)
    assert 0.7 < thr[0] <= 0.8  # cut between the two positives and the first negative
    assert 0.4 < thr[1] <= 0.95
    assert (apply_thresholds(scores, thr, min_tags=0) == Y.astype(bool)).all()


def test_fbr_fallback_for_a_hopeless_tag():
    rng = np.random.default_rng(0)
    scores = rng.random((200, 1))
    Y = np.zeros((200, 1))
    Y[rng.choice(200, 3, replace=False)] = 1  # random scores: best F1 is low
    thr = tune_thresholds(scores, Y, fbr=0.9, default_cut=0.5)
    assert thr[0] >= np.float32(scores.max())  # held-out scores are compared in float32


def test_apply_guarantees_min_tags_and_caps_top_k():
    scores = np.array([[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]])
    thr = np.array([0.5, 0.5, 0.5])
    assert apply_thresholds(scores, thr, min_tags=0)[0].sum() == 0
    decided = apply_thresholds(scores, thr, min_tags=1)
    assert decided[0].tolist() == [False, False, True]
    assert apply_thresholds(scores, thr, min_tags=1, top_k=2)[1].tolist() == [True, True, False]


def test_min_tags_picks_best_margin_not_best_score():
    scores = np.array([[0.6, 0.3]])
    thr = np.array([0.9, 0.31])
    assert apply_thresholds(scores, thr, min_tags=1).tolist() == [[False, True]]


def test_empty_inputs():
    assert tune_thresholds(np.zeros((0, 2)), np.zeros((0, 2))).shape == (2,)
    assert apply_thresholds(np.zeros((3, 0)), np.zeros(0)).shape == (3, 0)
