import numpy as np

from classifier.model.calibration import apply_platt, fit_platt


def test_platt_is_monotone_bounded_and_calibrated():
    rng = np.random.default_rng(0)
    n = 4000
    Y = (rng.random((n, 3)) < [0.05, 0.3, 0.5]).astype(np.float32)
    S = (rng.normal(size=(n, 3)) * 0.3 + Y * 0.8).astype(np.float32)
    a, b = fit_platt(S, Y)
    P = apply_platt(S, a, b)
    assert (a > 0).all()
    assert ((P >= 0) & (P <= 1)).all()
    # mean predicted probability matches the base rate (a property of logistic fits with intercept)
    assert np.allclose(P.mean(0), Y.mean(0), atol=0.01)
    # higher raw score -> higher probability
    order = np.argsort(S[:, 0])
    assert (np.diff(P[order, 0]) >= -1e-6).all()


def test_platt_separable_tag_stays_finite():
    S = np.array([[0.0]] * 50 + [[1.0]] * 3, dtype=np.float32)
    Y = np.array([[0]] * 50 + [[1]] * 3, dtype=np.float32)
    a, b = fit_platt(S, Y)
    assert np.isfinite(a).all() and np.isfinite(b).all()
    P = apply_platt(S, a, b)
    assert P[-1, 0] > 0.5 > P[0, 0]


def test_apply_platt_in_place_is_the_plain_expression_to_the_bit():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(300, 7)).astype(np.float32)
    a, b = rng.normal(size=7).astype(np.float32), rng.normal(size=7).astype(np.float32)
    before = S.copy()
    def plain(S):  # the expression before the in-place version
        return (0.5 * (1.0 + np.tanh(0.5 * (S * a + b).astype(np.float32)))).astype(np.float32)

    assert np.array_equal(apply_platt(S, a, b), plain(S)) and np.array_equal(S, before)  # the input is left alone
    S64 = S.astype(np.float64) * 1.001
    assert np.array_equal(apply_platt(S64, a, b), plain(S64))  # other dtypes: the old expression, its rounding
    assert np.isclose(apply_platt(np.float32(0.3), np.float32(2.0), np.float32(-1.0)), 1 / (1 + np.exp(0.4)))
