import numpy as np
import pytest
from scipy import optimize, sparse

from classifier.model.squared_hinge import fit, solve_tag, start_set

ALPHA = 0.3


def _problem(seed: int, n: int = 60, d: int = 25):
    rng = np.random.default_rng(seed)
    X = sparse.random(n, d, density=0.3, random_state=rng, dtype=np.float32, format="csr")
    w_true = rng.normal(size=d)
    Y = np.stack([(X @ w_true > np.median(X @ w_true)), (X @ -w_true > 0.4)], axis=1).astype(np.float32)
    return X, Y


def _ridge(X, Y, alpha=ALPHA):
    K = (X @ X.T).toarray().astype(np.float64) + 1.0
    return np.linalg.solve(K + alpha * np.eye(X.shape[0]), Y).astype(np.float32)


def _objective(wb: np.ndarray, X, y: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """Primal squared-hinge objective (bias regularised like a constant feature) and its gradient."""
    w, b = wb[:-1], wb[-1]
    f = X @ w + b
    r = np.where(y > 0, np.minimum(0.0, f - 1.0), np.maximum(0.0, f))  # d loss / d f = 2 r
    value = alpha * (w @ w + b * b) + float(r @ r)
    grad = np.append(2 * alpha * w + 2 * (X.T @ r), 2 * alpha * b + 2 * r.sum())
    return value, grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_refine_reaches_the_squared_hinge_minimum(seed):
    X, Y = _problem(seed)
    A = _ridge(X, Y)
    A2, _, info = fit(X, Y, ALPHA, n_jobs=2)
    Xd = X.toarray().astype(np.float64)
    for j in range(Y.shape[1]):
        ours = np.append(Xd.T @ A2[:, j], A2[:, j].sum())
        best = optimize.minimize(_objective, np.zeros(Xd.shape[1] + 1), args=(Xd, Y[:, j], ALPHA), jac=True,
                                 method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-14, "maxiter": 5000})
        ours_value, ours_grad = _objective(ours, Xd, Y[:, j], ALPHA)
        assert ours_value <= best.fun + 1e-4
        assert np.abs(ours_grad).max() < 1e-3
        ridge = np.append(Xd.T @ A[:, j], A[:, j].sum())
        assert _objective(ridge, Xd, Y[:, j], ALPHA)[0] > ours_value  # not the ridge solution
    assert all(1 <= s <= 30 for s in info["iterations"])


def test_leave_one_out_scores_match_explicit_refits():
    X, Y = _problem(3, n=40)
    y = Y[:, 0] > 0
    a, loo, _, _ = solve_tag(X, y, ALPHA, np.arange(X.shape[0]))
    f = X @ (X.T @ a) + a.sum()
    active = np.where(y, f < 1, f > 0)
    exact = 0
    for i in range(X.shape[0]):
        keep = np.arange(X.shape[0]) != i
        Xi, yi = X[keep], Y[keep][:, :1]
        ai, _, _, _ = solve_tag(Xi, yi[:, 0] > 0, ALPHA, np.arange(Xi.shape[0]))
        held_out = float((X[i] @ (Xi.T @ ai))[0] + ai.sum())
        fi = Xi @ (Xi.T @ ai) + ai.sum()
        if not active[i]:  # dropping an article outside the margin changes nothing
            assert loo[i] == pytest.approx(held_out, abs=1e-4)
            exact += 1
        elif np.array_equal(np.where(yi[:, 0] > 0, fi < 1, fi > 0), active[keep]):  # same active set: exact
            assert loo[i] == pytest.approx(held_out, abs=1e-3)
            exact += 1
    assert exact >= X.shape[0] // 2


def test_refine_in_two_processes_matches_one():
    X, Y = _problem(5, n=80)
    Y = np.hstack([Y, Y[:, ::-1], 1 - Y])  # six tags, so both processes get work
    one, loo_one, info_one = fit(X, Y, ALPHA, n_jobs=1)
    seen = []
    two, loo_two, info_two = fit(X, Y, ALPHA, n_jobs=2, progress=lambda *event: seen.append(event))
    assert np.array_equal(one, two) and np.array_equal(loo_one, loo_two) and info_one == info_two
    assert seen[0] == ("start sets", 0, 6) and ("start sets", 6, 6) in seen and seen[-1] == ("squared hinge", 6, 6)


@pytest.mark.parametrize("start", ["liblinear", "everything", "positives only"])
def test_any_start_reaches_the_same_minimum(start):
    X, Y = _problem(7)
    y = Y[:, 0] > 0
    S0 = {"liblinear": start_set(X.astype(np.float64), y, ALPHA), "everything": np.arange(X.shape[0]),
          "positives only": np.flatnonzero(y)}[start]
    a, _, _, _ = solve_tag(X, y, ALPHA, S0)
    reference, _, _, _ = solve_tag(X, y, ALPHA, np.arange(X.shape[0]))
    assert np.allclose(a, reference, atol=1e-5)


def test_liblinear_start_is_close_to_the_final_active_set():
    X, Y = _problem(8, n=120)
    y = Y[:, 0] > 0
    S0 = start_set(X.astype(np.float64), y, ALPHA)
    a, _, steps, size = solve_tag(X, y, ALPHA, S0)
    f = X @ (X.T @ a) + a.sum()
    final = np.flatnonzero(np.where(y, f < 1, f > 0))
    assert len(np.setxor1d(S0, final)) <= max(3, len(final) // 5)


def test_a_tag_on_every_article_needs_no_liblinear_start():
    X, _ = _problem(9, n=30)
    assert np.array_equal(start_set(X.astype(np.float64), np.ones(30, bool), ALPHA), np.arange(30))


def _with_copies(n: int = 40):
    """`_problem`'s articles, then exact copies of 0-5 and near copies (a little noise) of 6-9."""
    X, Y = _problem(11, n=n)
    noise = sparse.random(4, X.shape[1], density=0.2, random_state=12, format="csr", dtype=np.float32) * 0.05
    X2 = sparse.vstack([X, X[:6], X[6:10] + noise]).tocsr()
    Y2 = np.vstack([Y, Y[:6], Y[6:10]])
    groups = np.r_[np.arange(n), np.arange(10)]
    return X2, Y2, groups


def _ridge_on(X, y, S, rows):
    """Brute force: ridge on the articles S (targets y), scoring `rows`."""
    K = (X @ X.T).toarray().astype(np.float64) + 1.0
    a = np.linalg.solve(K[np.ix_(S, S)] + ALPHA * np.eye(len(S)), y[S])
    return K[np.ix_(rows, S)] @ a


def test_leave_groups_out_is_the_ridge_on_the_active_set_without_the_group():
    """For any active set S, a group's scores are those of the ridge on S without the group's
    members, whether the group lies inside S, outside it, or on both sides."""
    from classifier.model import dual
    from classifier.model.squared_hinge import _exact, _leave_groups_out

    X, Y, groups = _with_copies()
    y = Y[:, 0].astype(np.float64)
    n = X.shape[0]
    S = np.setdiff1d(np.arange(n), [0, 3, 46, 7, 47, 20])  # groups 0, 3, 6 on both sides, 7 outside
    a, f, U_inv = _exact(X, S, y, ALPHA)
    loo = f.copy()  # as `solve_tag` starts: the fit's own scores, right for articles outside S
    _leave_groups_out(X, S, a, f, y, U_inv, dual.duplicate_groups(groups), loo)
    for g in range(10):
        rows = np.flatnonzero(groups == g)
        expected = _ridge_on(X, y, np.setdiff1d(S, rows), rows)
        assert np.allclose(loo[rows], expected, atol=1e-4), g
    assert np.array_equal(loo[groups >= 10], f[groups >= 10])  # articles alone are left to leave-one-out


def test_leave_group_out_scores_match_refits_without_the_group():
    from classifier.model import dual

    X, Y, groups = _with_copies()
    y = Y[:, 0] > 0
    n = X.shape[0]
    a, heldout, _, _ = solve_tag(X, y, ALPHA, np.arange(n), groups=dual.duplicate_groups(groups))
    _, loo, _, _ = solve_tag(X, y, ALPHA, np.arange(n))
    f = X @ (X.T @ a) + a.sum()
    active = np.where(y, f < 1, f > 0)
    exact, refits = 0, np.zeros(n)
    for g in range(10):
        rows = np.flatnonzero(groups == g)
        keep = np.setdiff1d(np.arange(n), rows)
        ag, _, _, _ = solve_tag(X[keep], y[keep], ALPHA, np.arange(len(keep)))
        refits[rows] = X[rows] @ (X[keep].T @ ag) + ag.sum()
        fg = X[keep] @ (X[keep].T @ ag) + ag.sum()
        if not active[rows].any() or np.array_equal(np.where(y[keep], fg < 1, fg > 0), active[keep]):
            assert np.allclose(heldout[rows], refits[rows], atol=1e-3), g  # the same active set: exact
            exact += 1
    assert exact >= 5
    # Elsewhere the active set moved when the group left (as it can for one article): still far
    # nearer the refit than the leave-one-out score, which its twin pulls towards its own label.
    copied = groups < 10
    assert np.abs(heldout - refits)[copied].mean() < 0.25 * np.abs(loo - refits)[copied].mean()
    assert np.array_equal(heldout[~copied], loo[~copied])  # articles alone: leave-one-out
