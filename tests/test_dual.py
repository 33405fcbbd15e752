import numpy as np
import pytest
from scipy import sparse

from classifier.model import dual

ALPHA = 0.5


def _with_copies(seed: int = 0, n: int = 30, d: int = 40):
    """n articles, then exact copies of articles 0-4, near copies (a little noise) of 5-7, and a
    third copy of article 0: groups of 3, 2 and 1 articles."""
    rng = np.random.default_rng(seed)
    base = sparse.random(n, d, density=0.3, random_state=seed + 1, format="csr", dtype=np.float32)
    noise = sparse.random(3, d, density=0.1, random_state=seed + 2, format="csr", dtype=np.float32) * 0.1
    X = sparse.vstack([base, base[:5], base[5:8] + noise, base[:1]]).tocsr()
    Y = (rng.random((n, 3)) < 0.4).astype(np.float32)
    Y = np.vstack([Y, Y[:5], Y[5:8], Y[:1]])
    groups = np.r_[np.arange(n), np.arange(5), np.arange(5, 8), [0]]
    return X, Y, groups


def _refit_without(X, Y, rows):
    """Brute force: the ridge fit on every article but `rows`, scoring `rows`."""
    K = (X @ X.T).toarray().astype(np.float64) + 1.0
    rest = np.setdiff1d(np.arange(X.shape[0]), rows)
    A = np.linalg.solve(K[np.ix_(rest, rest)] + ALPHA * np.eye(len(rest)), Y[rest])
    return K[np.ix_(rows, rest)] @ A


def test_leave_group_out_scores_match_refits_without_the_group():
    X, Y, groups = _with_copies()
    A, heldout = dual.solve(X, Y, ALPHA, groups=groups)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        assert np.allclose(heldout[rows], _refit_without(X, Y, rows), atol=1e-3), g
    _, loo = dual.solve(X, Y, ALPHA)
    copied = np.isin(groups, [0, 1, 2, 3, 4, 5, 6, 7])
    assert np.array_equal(heldout[~copied], loo[~copied])  # articles alone keep their leave-one-out score
    # a copy's leave-one-out score leaks its twin's label; the group's does not
    assert np.abs(loo[copied] - Y[copied]).mean() < 0.5 * np.abs(heldout[copied] - Y[copied]).mean()


def test_duplicate_groups_lists_the_groups_of_several_by_size():
    found = dual.duplicate_groups(np.array([4, 1, 4, 2, 1, 4, 3]))
    assert [m.tolist() for m in found] == [[[1, 4]], [[0, 2, 5]]]
    assert dual.duplicate_groups(np.arange(5)) == []


@pytest.mark.parametrize("budget", [1, 1 << 23])
def test_leave_groups_out_in_small_batches_is_the_same(budget):
    X, Y, groups = _with_copies(seed=3)
    K = (X @ X.T).toarray().astype(np.float64) + 1.0
    H = np.linalg.inv(K + ALPHA * np.eye(X.shape[0]))
    A = H @ Y
    out = np.zeros_like(Y, dtype=np.float64)
    dual.leave_groups_out(out, np.triu(H), A, Y, dual.duplicate_groups(groups), budget=budget)
    for g in range(8):
        rows = np.flatnonzero(groups == g)
        assert np.allclose(out[rows], _refit_without(X, Y, rows), atol=1e-6)


def test_large_factorisations_run_on_one_blas_thread(monkeypatch):
    import scipy.linalg as sla
    from threadpoolctl import threadpool_info

    seen = []
    real = sla.lapack.spotrf

    def spy(*args, **kwargs):
        seen.append(min(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
        return real(*args, **kwargs)

    monkeypatch.setattr(sla.lapack, "spotrf", spy)
    X, Y, _ = _with_copies()
    monkeypatch.setattr(dual, "SINGLE_THREAD_ABOVE", X.shape[0] - 1)
    dual.solve(X, Y, ALPHA)
    assert seen == [1]
