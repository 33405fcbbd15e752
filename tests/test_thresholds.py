import numpy as np
import pytest

from classifier.model.thresholds import BELOW_HALF, apply_thresholds, decision_scores, score_slope, tune_thresholds


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


def test_decision_scores_reach_half_exactly_where_raw_scores_reach_their_thresholds():
    rng = np.random.default_rng(0)
    thr = rng.uniform(0, 0.5, 6).astype(np.float32)
    raw = rng.normal(0.2, 0.4, (300, 6)).astype(np.float32)
    raw[:6] = thr  # at the threshold
    raw[6:12] = np.nextafter(thr, np.float32(-1))  # one float under it
    raw[12:18] = np.nextafter(thr, np.float32(1))
    for slope in (22.0, 1e-3):  # with a gentle slope a bare sigmoid rounds every near miss to 0.5
        s = decision_scores(raw, thr, slope)
        assert ((s >= 0.5) == (raw >= thr)).all() and ((s >= 0) & (s <= 1)).all()
        assert (s[:6] == 0.5).all() and (s[6:12] <= BELOW_HALF).all()
    s = decision_scores(raw, thr, 22.0)
    for j in range(6):  # monotone in each tag's raw score
        assert (np.diff(s[np.argsort(raw[:, j], kind="stable"), j]) >= 0).all()
    # one slope for every tag: a text's tags rank as their margins over their own thresholds do
    margin = raw - thr
    for row, m in zip(s, margin):
        assert (np.diff(row[np.argsort(-m, kind="stable")]) <= 0).all()


def test_the_share_rule_is_part_of_the_score():
    proba = np.array([[0.9, 0.5, 0.05, 0.05], [0.2, 0.01, 0.1, 0.0], [0.5, 0.25, 0.1, 0.0]], dtype=np.float32)
    thr = np.zeros(4, dtype=np.float32)  # every tag is over its threshold
    frequent = np.array([True, True, True, False])
    s = decision_scores(proba, thr, 10.0, proba=proba, share=0.1, frequent=frequent)
    # a frequent tag under 0.1 of its article's best scores under 0.5; the rare last tag is exempt
    assert (s[:2] >= 0.5).tolist() == [[True, True, False, True], [True, False, True, True]]
    assert s[0, 2] == pytest.approx(0.5 * 0.05 / (0.1 * 0.9), rel=1e-5)  # capped at 0.5 x its share / 0.1
    # exactly at the share (0.25 = 0.5 x 0.5) is allowed, as the rule has always read
    at_edge = decision_scores(proba, thr, 10.0, proba=proba, share=0.5, frequent=frequent)
    assert (at_edge[2] >= 0.5).tolist() == [True, True, False, True]
    # a row whose probabilities are all 0 is not cut (0 >= share x 0), and share 0 turns the rule off
    zero = decision_scores(np.ones((1, 4), np.float32), thr, 10.0, proba=np.zeros((1, 4), np.float32),
                           share=0.5, frequent=frequent)
    assert (zero >= 0.5).all()
    assert (decision_scores(proba, thr, 10.0, proba=proba, share=0.0, frequent=frequent) >= 0.5).all()


def test_score_slope_is_the_median_positive_calibration_slope():
    assert score_slope(np.array([5.0, 20.0, 30.0, -1.0, np.nan])) == 20.0
    assert score_slope(np.array([-1.0, 0.0])) == 1.0


def test_equal_scores_are_ranked_by_the_tiebreak():
    scores = np.array([[1.0, 1.0, 1.0, 0.2], [0.3, 0.3, 0.1, 0.0]], dtype=np.float32)
    tiebreak = np.array([[0.1, 0.9, 0.5, 0.0], [0.1, 0.2, 0.3, 0.0]])
    assert apply_thresholds(scores, 0.5, top_k=1, tiebreak=tiebreak)[0].tolist() == [False, True, False, False]
    assert apply_thresholds(scores, 0.5, top_k=2, tiebreak=tiebreak)[0].tolist() == [False, True, True, False]
    # no tag of the second row reaches 0.5: min_tags gives its best-scored one, equal scores by tiebreak
    assert apply_thresholds(scores, 0.5, min_tags=1, tiebreak=tiebreak)[1].tolist() == [False, True, False, False]
    assert apply_thresholds(np.zeros((3, 0)), 0.5, tiebreak=np.zeros((3, 0))).shape == (3, 0)


def test_decision_scores_in_place_are_the_plain_expressions_to_the_bit():
    rng = np.random.default_rng(2)
    raw = rng.normal(size=(200, 9)).astype(np.float32)
    thr = rng.normal(size=9).astype(np.float32)
    proba = rng.random((200, 9)).astype(np.float32)
    frequent = rng.random(9) < 0.5
    kept = raw.copy(), proba.copy()
    margin = raw - thr
    plain = (0.5 * (1 + np.tanh(0.5 * (1.7 * margin)))).astype(np.float32)
    plain = np.where(margin >= 0, np.maximum(plain, np.float32(0.5)), np.minimum(plain, BELOW_HALF))
    best = proba.max(axis=1, keepdims=True)
    ratio = (0.5 * proba / (np.float32(0.2) * best)).astype(np.float32)
    ratio = np.where(proba >= 0.2 * best, np.maximum(ratio, np.float32(0.5)), np.minimum(ratio, BELOW_HALF))
    plain = np.where(frequent[None, :], np.minimum(plain, ratio), plain)
    got = decision_scores(raw, thr, 1.7, proba=proba, share=0.2, frequent=frequent)
    assert np.array_equal(got, plain) and np.array_equal(raw, kept[0]) and np.array_equal(proba, kept[1])
