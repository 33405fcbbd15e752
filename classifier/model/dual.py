"""Ridge one-vs-rest solved in the dual, for every tag at once.

With K = X Xᵀ + 1 (the +1 is the intercept) and G = K + αI, the dual weights of every tag come from
one Cholesky factorisation of G, and the exact leave-one-out score of every training article for
every tag comes from the diagonal of G⁻¹ at no extra cost (Y - G⁻¹Y / diag(G⁻¹)). The primal
weights are then W = Xᵀ A. Memory grows as n² and time as n³ in the number of articles.

Near-duplicates (the same story twice) would score each other: an article's leave-one-out score
comes from a fit that still holds its copy. Given groups of near-duplicates, each group of more
than one article gets its exact leave-group-out score instead: with H = G⁻¹ and A = H Y, the fit
without group g scores it Y_g - (H_gg)⁻¹ A_g (the block form of the one-article formula; the
Schur complement of H_gg in H is the inverse of G without g's rows and columns).

Above `SINGLE_THREAD_ABOVE` articles the factorisation and inversion run on one BLAS thread: OpenBLAS's
multithreaded `spotrf` died with signal 11 on 27,000-40,000 articles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from classifier.errors import DataError
from classifier.parallel import run_threads
from classifier.progress import Progress, no_progress

if TYPE_CHECKING:
    from scipy import sparse

_BLOCK = 512
SINGLE_THREAD_ABOVE = 16_384


def duplicate_groups(groups: np.ndarray) -> list[np.ndarray]:
    """The groups of more than one article in `groups` (a group number per article): one array
    (groups × size) of member indices, ascending within a group, per group size."""
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")  # stable: members in ascending order
    starts = np.r_[0, np.flatnonzero(np.diff(groups[order])) + 1]
    sizes = np.diff(np.r_[starts, len(groups)])
    return [order[starts[sizes == size][:, None] + np.arange(size)] for size in np.unique(sizes[sizes > 1])]


def leave_groups_out(loo: np.ndarray, inverse: np.ndarray, A: np.ndarray, Y: np.ndarray,
                     groups: list[np.ndarray], budget: int = 1 << 23) -> None:
    """Put in `loo` the leave-group-out scores Y_g - (H_gg)⁻¹ A_g of every group of `groups`
    (`duplicate_groups`), with `inverse` = H holding its upper triangle; batched by group size, in
    float64, at most about `budget` numbers at a time."""
    for members in groups:
        size = members.shape[1]
        step = max(1, budget // (size * max(size, A.shape[1])))
        for lo in range(0, len(members), step):
            M = members[lo:lo + step]
            H = inverse[M[:, :, None], M[:, None, :]]  # members ascending: the upper triangle is H's
            H = np.triu(H) + np.swapaxes(np.triu(H, 1), 1, 2)
            loo[M] = Y[M] - np.linalg.solve(H.astype(np.float64), A[M].astype(np.float64))


def solve(X: sparse.csr_matrix, Y: np.ndarray, alpha: float, progress: Progress = no_progress,
          groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dual ridge for every tag at once: returns dual weights A (n × tags) and held-out scores:
    leave-one-out, or leave-group-out for the articles that share a number in `groups`."""
    import scipy.linalg as sla
    from threadpoolctl import threadpool_limits

    n = X.shape[0]
    XT = X.T.tocsc()
    G = np.empty((n, n), dtype=np.float32, order="F")  # LAPACK order: factorised in place, no copy
    starts = list(range(0, n, _BLOCK))
    for done, s in enumerate(starts):
        # Upper triangle only: the Cholesky below reads nothing else.
        G[s:s + _BLOCK, s:] = (X[s:s + _BLOCK] @ XT[:, s:]).toarray()
        progress("kernel", done + 1, len(starts))
    G += 1.0  # intercept as a constant feature
    G[np.diag_indices(n)] += alpha
    progress("solving", 0, 3)
    # OpenBLAS's threaded potrf (and the potri built on the same threaded kernels) died with signal 11 on
    # large matrices; one thread there costs little on this project's machines (two cores).
    with threadpool_limits(1 if n > SINGLE_THREAD_ABOVE else None, user_api="blas"):
        factor, info = sla.lapack.spotrf(G, lower=0, overwrite_a=1)
        if info != 0:
            raise DataError(f"the kernel matrix is not positive definite (LAPACK info {info}); raise alpha")
        progress("solving", 1, 3)
        inverse, info = sla.lapack.spotri(factor, lower=0, overwrite_c=1)  # upper triangle of G⁻¹
    del factor, G
    progress("solving", 2, 3)
    A = sla.blas.ssymm(1.0, inverse, Y, side=0, lower=0)
    loo = Y - A / np.diag(inverse)[:, None]
    if groups is not None:
        leave_groups_out(loo, inverse, A, Y, duplicate_groups(groups))
    del inverse
    progress("solving", 3, 3)
    return A, loo


def primal_weights(X: sparse.csr_matrix, A: np.ndarray, n_threads: int, block: int = 4096) -> np.ndarray:
    """Xᵀ A by blocks of feature rows (so no temporary is the size of the result), shared among
    threads (scipy's sparse product releases the GIL in part)."""
    XT = X.T.tocsr()
    A = np.asarray(A, dtype=np.float32)
    W = np.empty((XT.shape[0], A.shape[1]), dtype=np.float32)

    def part(lo: int) -> None:
        W[lo:lo + block] = XT[lo:lo + block] @ A

    run_threads(part, range(0, XT.shape[0], block), n_threads)
    return W
