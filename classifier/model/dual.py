"""Ridge one-vs-rest solved in the dual, for every tag at once.

With K = X Xᵀ + 1 (the +1 is the intercept) and G = K + αI, the dual weights of every tag come from
one Cholesky factorisation of G, and the exact leave-one-out score of every training article for
every tag comes from the diagonal of G⁻¹ at no extra cost (Y - G⁻¹Y / diag(G⁻¹)). The primal
weights are then W = Xᵀ A. Memory grows as n² and time as n³ in the number of articles.
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


def solve(X: sparse.csr_matrix, Y: np.ndarray, alpha: float,
          progress: Progress = no_progress) -> tuple[np.ndarray, np.ndarray]:
    """Dual ridge for every tag at once: returns dual weights A (n × tags) and leave-one-out scores."""
    import scipy.linalg as sla

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
    factor, info = sla.lapack.spotrf(G, lower=0, overwrite_a=1)
    if info != 0:
        raise DataError(f"the kernel matrix is not positive definite (LAPACK info {info}); raise alpha")
    progress("solving", 1, 3)
    inverse, info = sla.lapack.spotri(factor, lower=0, overwrite_c=1)  # upper triangle of G⁻¹
    del factor, G
    progress("solving", 2, 3)
    A = sla.blas.ssymm(1.0, inverse, Y, side=0, lower=0)
    loo = Y - A / np.diag(inverse)[:, None]
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
