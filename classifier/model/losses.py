"""The dual path's losses: ridge, the squared hinge, and their ensemble, each with held-out scores.

`ensemble` is the mean of the ridge and squared-hinge fits: its dual weights are the mean of theirs,
so the model is still one linear weight per feature and tag, of the same size. An article's held-out
score is the mean of its two held-out scores (each fit's leave-one-out, or leave-group-out for
near-duplicates): the mean is linear in the two fits, so this is the ensemble's own held-out score.
Ridge pulls every article towards its 0/1 target; the squared hinge ignores those beyond the margin;
their mean ranks rare tags better than either on Reuters (docs/benchmarks.md, "Loss by
cross-validation"). It costs the two fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from classifier.errors import DataError
from classifier.progress import Progress, no_progress

if TYPE_CHECKING:
    from scipy import sparse

DUAL_LOSSES = ("ridge", "squared_hinge", "ensemble")


def fit_dual(X: sparse.csr_matrix, Y: np.ndarray, alpha: float, loss: str, *, groups: np.ndarray | None = None,
             n_jobs: int = 1, progress: Progress = no_progress) -> tuple[np.ndarray, np.ndarray]:
    """Dual weights A (articles × tags) and held-out scores of `loss` on rows `X` and 0/1 targets `Y`."""
    if loss not in DUAL_LOSSES:
        raise DataError(f"loss must be one of {', '.join(DUAL_LOSSES)} on the dual path; got {loss!r}")
    parts = []
    if loss in ("ridge", "ensemble"):
        from classifier.model import dual

        parts.append(dual.solve(X, Y, alpha, progress, groups=groups))
    if loss in ("squared_hinge", "ensemble"):
        from classifier.model import squared_hinge

        A, heldout, _ = squared_hinge.fit(X, Y, alpha, groups=groups, n_jobs=n_jobs, progress=progress)
        parts.append((A, heldout))
    if len(parts) == 1:
        return parts[0]
    (A1, h1), (A2, h2) = parts
    A1 += A2
    A1 *= 0.5
    h1 += h2
    h1 *= 0.5
    return A1, h1
