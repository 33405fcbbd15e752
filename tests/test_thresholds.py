import numpy as np
import pytest

from classifier.model.thresholds import apply_thresholds, share_of_best, tune_thresholds


def test_threshold_maximises_f1_for_each_tag():
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.95], [0.2, 0.3], [0.1, 0.4]])
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]])
    thr = tune_thresholds(scores, Y, rule="scutfbr", fbr=0.0)
    assert 0.7 < thr[0] <= 0.8  # cut between the two positives and the first negative
    assert 0.4 < thr[1] <= 0.95
    assert (apply_thresholds(scores, thr, min_tags=0) == Y.astype(bool)).all()


def test_fbr_fallback_for_a_hopeless_tag():
    rng = np.random.default_rng(0)
    scores = rng.random((200, 1))
    Y = np.zeros((200, 1))
    Y[rng.choice(200, 3, replace=False)] = 1  # random scores: best F1 is low
    thr = tune_thresholds(scores, Y, rule="scutfbr", fbr=0.9, default_cut=0.5)
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


def test_threshold_maximises_f1_for_each_tag_under_micromacro_too():
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.95], [0.2, 0.3], [0.1, 0.4]])
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]])
    thr = tune_thresholds(scores, Y)
    assert (apply_thresholds(scores, thr, min_tags=0) == Y.astype(bool)).all()


def _frequent_and_rare(rare_rank: int) -> tuple[np.ndarray, np.ndarray]:
    """A perfectly separated tag on 100 of 200 articles, and a tag whose one positive ranks `rare_rank`."""
    n = 200
    Y = np.zeros((n, 2))
    Y[:100, 0] = 1
    scores = np.zeros((n, 2))
    scores[:, 0] = Y[:, 0] + np.linspace(0, 0.5, n)
    scores[:, 1] = -np.arange(n, dtype=float)  # article i ranks i-th on the rare tag
    Y[rare_rank, 1] = 1
    return scores, Y


def test_micromacro_does_not_flood_a_rare_tag():
    scores, Y = _frequent_and_rare(rare_rank=19)  # best own F1: keep the top 20 (F1 2/21)
    f1_cut = tune_thresholds(scores, Y, rule="scutfbr", fbr=0.0)
    assert (scores[:, 1] >= f1_cut[1]).sum() == 20
    thr = tune_thresholds(scores, Y)
    assert thr[1] > scores[:, 1].max()  # 19 false positives cost more micro-F1 than 1/2 of 2/21 macro
    assert (apply_thresholds(scores, thr, min_tags=0)[:, 0] == Y[:, 0].astype(bool)).all()


def test_micromacro_keeps_a_rare_tag_it_ranks_well():
    scores, Y = _frequent_and_rare(rare_rank=0)
    thr = tune_thresholds(scores, Y)
    assert (apply_thresholds(scores, thr, min_tags=0)[:, 1] == Y[:, 1].astype(bool)).all()


def _micromacro_reference(scores: np.ndarray, Y: np.ndarray) -> list[int]:
    """Articles kept per tag, by the rule's definition written as plain loops (no vectorisation)."""
    n, n_tags = Y.shape
    order = sorted(range(n_tags), key=lambda j: -Y[:, j].sum())  # stable: ties keep column order
    TP = FPFN = 0.0
    kept = [0] * n_tags
    for m, j in enumerate(order, start=1):
        ranked = sorted(range(n), key=lambda i: -scores[i, j])
        best, best_k, best_tp, best_err = -1.0, 0, 0.0, 0.0
        for k in range(n + 1):
            tp = sum(Y[i, j] for i in ranked[:k])
            err = (k - tp) + (Y[:, j].sum() - tp)
            micro = 2 * (tp + TP) / (2 * (tp + TP) + err + FPFN) if (tp + TP + err + FPFN) else 0.0
            macro = (2 * tp / (2 * tp + err) if (tp + err) else 0.0) / m
            if micro + macro > best + 1e-12:
                best, best_k, best_tp, best_err = micro + macro, k, tp, err
        kept[j] = best_k
        TP += best_tp
        FPFN += best_err
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_micromacro_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    n, n_tags = 40, 5
    Y = (rng.random((n, n_tags)) < rng.uniform(0.05, 0.5, n_tags)).astype(float)
    scores = Y * rng.uniform(0, 1.5) + rng.normal(0, 0.5, (n, n_tags))  # distinct scores
    thr = tune_thresholds(scores, Y)
    kept = (scores >= thr).sum(axis=0).tolist()
    assert kept == _micromacro_reference(scores, Y)


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="rule must be one of"):
        tune_thresholds(np.zeros((2, 1)), np.zeros((2, 1)), rule="best")


def test_share_of_best_and_allowed_mask():
    proba = np.array([[0.9, 0.5, 0.05], [0.2, 0.01, 0.1]])
    allowed = share_of_best(proba, 0.1)
    assert allowed.tolist() == [[True, True, False], [True, False, True]]
    # allowed removes a tag that passes its threshold; the min_tags guarantee still applies afterwards
    decided = apply_thresholds(proba, 0.05, allowed=allowed)
    assert decided.tolist() == [[True, True, False], [True, False, True]]
    none = apply_thresholds(proba, 0.05, allowed=np.zeros(proba.shape, dtype=bool), min_tags=1)
    assert none.sum(axis=1).tolist() == [1, 1] and none[:, 0].all()
    assert share_of_best(np.zeros((2, 0)), 0.1).shape == (2, 0)
