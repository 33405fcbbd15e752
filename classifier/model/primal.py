"""One-vs-rest linear classifiers fitted in the primal, tag by tag, with LIBLINEAR: the path for
corpora too large for the dual's n × n matrix.

Each tag is a LIBLINEAR fit (`liblinear-official`, the authors' binding) on one shared copy of
the rows: squared hinge by dual coordinate descent (solver 1), or least squares by trust-region
Newton (solver 11, ε = 0: ridge). Memory grows linearly in the articles and their non-zero
features; one fit's time a little faster (per tag, on the scale corpus: 0.18 s at 50,000 articles,
1.09 s at 200,000), which fewer folds on larger corpora offset. The tags are dealt among forked
processes (or a Dask cluster's workers), which all read one copy of the rows.

Held-out scores for thresholds and calibration come from k-fold cross-fitting (each article of a
fold is scored by the model fitted on the other folds) or, as an option, from one held-out
slice scored by a model fitted on the rest; the final weights are a fit on every article
or the mean of the k fold models (see `fit`). Scores are put on the dual path's scale
(about 0 absent, 1 present): with LIBLINEAR's ±1 labels and score g, ours is (g + 1) / 2, and our
α‖w‖² + Σ loss is LIBLINEAR's objective with C = 1 / (2α).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.errors import DataError
from classifier.evaluation.splits import hash_folds
from classifier.parallel import map_shared
from classifier.progress import Progress, no_progress

if TYPE_CHECKING:
    from scipy import sparse

SOLVERS = {"squared_hinge": 1, "ridge": 11}
SEED = 1
TOLERANCE = {"squared_hinge": 0.3, "ridge": 0.001}


def _liblinear():
    try:
        from liblinear import liblinear
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise DataError(f"the primal solver needs LIBLINEAR: pip install liblinear-official ({exc})") from None
    return liblinear


def _libc():
    return ctypes.CDLL(None)


class Rows:
    """The training rows in LIBLINEAR's layout, built once from float32 CSR rows without a float64
    copy of the whole matrix: per row its (index, value) nodes, a bias node (value 1), an end node."""

    def __init__(self, X: sparse.csr_matrix, chunk: int = 65536):
        ll = _liblinear()
        n, d = X.shape
        self.n, self.d = n, d
        counts = np.diff(X.indptr).astype(np.int64) + 2
        self.starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self.space = np.empty(int(self.starts[-1]), dtype=ll.feature_node)
        index, value = self.space["index"], self.space["value"]
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            part = X[lo:hi]
            rows = np.repeat(np.arange(lo, hi), np.diff(part.indptr))
            where = self.starts[rows] + (np.arange(part.nnz) - np.repeat(part.indptr[:-1], np.diff(part.indptr)))
            index[where] = part.indices + 1
            value[where] = part.data
        ends = self.starts[1:]
        index[ends - 2], value[ends - 2] = d + 1, 1.0  # the bias feature
        index[ends - 1], value[ends - 1] = -1, 0.0
        self.pointers = self.space.ctypes.data + self.starts[:-1] * ctypes.sizeof(ll.feature_node)

    def problem(self, rows: np.ndarray, y: np.ndarray):
        """A LIBLINEAR problem over `rows` (indices) with labels `y` (±1), sharing these nodes."""
        ll = _liblinear()
        p = ll.problem.__new__(ll.problem)
        p.l, p.n, p.bias = len(rows), self.d + 1, 1.0
        x = (ctypes.POINTER(ll.feature_node) * len(rows))()
        np.ctypeslib.as_array(ctypes.cast(x, ctypes.POINTER(ctypes.c_uint64)), (len(rows),))[:] = self.pointers[rows]
        labels = (ctypes.c_double * len(rows))()
        np.ctypeslib.as_array(labels, (len(rows),))[:] = y
        p.x, p.y = x, labels
        p._keep = (x, labels, self)  # the C struct points into these
        return p


def _fit_one(rows: Rows, subset: np.ndarray, y: np.ndarray, param) -> np.ndarray:
    """LIBLINEAR's weights (d + 1, the bias last) for labels `y` (bool) on the articles `subset`,
    signed so that a positive score means the tag."""
    ll = _liblinear()
    if not y.any():
        w = np.zeros(rows.d + 1)
        w[-1] = -1.0
        return w
    problem = rows.problem(subset, np.where(y, 1.0, -1.0))
    _libc().srand(SEED)  # LIBLINEAR shuffles with rand(): the same start for every fit
    model = ll.liblinear.train(ctypes.pointer(problem), ctypes.pointer(param))
    try:
        m = model.contents
        w = np.ctypeslib.as_array(m.w, (rows.d + 1,)).copy()
        if m.param.solver_type == SOLVERS["ridge"]:  # regression: the weights predict y itself
            return w
        if m.nr_class == 1 or m.label[0] != 1:
            w = -w if m.nr_class == 2 else np.where(np.arange(rows.d + 1) == rows.d, -1.0, 0.0)
    finally:
        ll.liblinear.free_and_destroy_model(ctypes.pointer(model))
    return w


def auto_folds(n: int) -> int:
    """Folds for `n` articles when none are set: 5 while a fold is small, fewer as one fold already
    holds tens of thousands (two folds from 150,000 articles: two fits per tag). One held-out
    slice plus a refit (`folds=1`) also costs two fits per tag, but at 200,000 articles (before C
    was scaled by groups) it took 31% longer than two folds' mean, tagged worse on micro-F1 and
    level on macro-F1 (docs/benchmarks.md), so it is an option only."""
    return 5 if n < 50_000 else 3 if n < 150_000 else 2


def heldout_slice(keys: np.ndarray, size: int) -> np.ndarray:
    """The rows (sorted) of whole groups, first in hash order of their `keys`, up to `size` rows:
    the articles one held-out model scores."""
    h = hash_folds(keys, 1 << 30)
    scored = np.flatnonzero(h < np.sort(h)[min(size, len(h) - 1)])
    if len(scored) == 0:
        raise DataError(f"a held-out slice of whole groups: no group of near-duplicates fits in {size} "
                        "articles, or there is only one; use folds (cv_folds >= 2)")
    return scored


@dataclass(frozen=True, eq=False)
class Plan:
    """What every tag's fits share: the folds (training rows, scored rows and where their scores
    go), whether to refit on every article, and LIBLINEAR's settings."""

    n: int
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (train rows, scored rows, their positions)
    n_scored: int
    refit: bool
    settings: str
    max_negatives: int | None = None
    rank: np.ndarray | None = None  # each article's place in the order negatives are sampled in


def sampled_rows(rows: np.ndarray, y: np.ndarray, plan: Plan) -> tuple[np.ndarray, float]:
    """The articles of `rows` one tag's fit sees, and the weight of its negatives: every article
    with the tag (`y`, over all articles) and, when the others outnumber `plan.max_negatives`, that
    many of them, the first in `plan.rank`'s order (the same order for every tag), each standing
    for (others / kept) of them, so the loss stays an unbiased estimate of the full one."""
    cap = plan.max_negatives
    if cap is None or plan.rank is None:
        return rows, 1.0
    negative = rows[~y[rows]]
    if len(negative) <= cap:
        return rows, 1.0
    kept = negative[np.argpartition(plan.rank[negative], cap - 1)[:cap]]
    return np.sort(np.concatenate([rows[y[rows]], kept])), len(negative) / cap


_rows_cache: dict[int, tuple[Any, Rows]] = {}


def _shared_rows(X: sparse.csr_matrix) -> Rows:
    """`Rows(X)`, built once per process for the same matrix (a forked worker inherits the parent's)."""
    hit = _rows_cache.get(id(X))
    if hit is None or hit[0] is not X:
        _rows_cache.clear()
        hit = _rows_cache[id(X)] = (X, Rows(X))
    return hit[1]


def _fit_sampled(rows: Rows, subset: np.ndarray, y: np.ndarray, plan: Plan, param) -> tuple[np.ndarray, float]:
    """`_fit_one` on the articles of `subset` that `sampled_rows` keeps, negatives weighted; and
    that weight."""
    subset, weight = sampled_rows(subset, y, plan)
    if weight != 1.0:
        param = _liblinear().parameter(f"{plan.settings} -w-1 {weight!r}")
    return _fit_one(rows, subset, y[subset], param), weight


def fit_tags(X: sparse.csr_matrix, Yc: sparse.csc_matrix, plan: Plan,
             tags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """Fit `tags` (columns of `Yc`) in this process: (tags, weights, intercepts, held-out scores,
    each sampled fit's negative weight).
    Module-level, so that a Dask worker can run it on the matrix it was sent once."""
    param = _liblinear().parameter(plan.settings)
    rows = _shared_rows(X)
    n = plan.n
    W = np.zeros((X.shape[1], len(tags)), dtype=np.float32)
    intercept = np.zeros(len(tags), dtype=np.float32)
    heldout = np.zeros((plan.n_scored, len(tags)), dtype=np.float32)
    scored_rows = [X[scored] for _, scored, _ in plan.parts]  # sliced once per call, not once per tag
    sampled: list[float] = []
    for c, j in enumerate(np.asarray(tags).tolist()):
        y = np.zeros(n, dtype=bool)
        y[Yc.indices[Yc.indptr[j]:Yc.indptr[j + 1]]] = True
        mean = np.zeros(rows.d + 1)
        for (train, _, position), X_scored in zip(plan.parts, scored_rows):
            w, weight = _fit_sampled(rows, train, y, plan, param)
            sampled += [weight] if weight != 1.0 else []
            g = X_scored @ w[:-1].astype(np.float32) + np.float32(w[-1])
            heldout[position, c] = (g + 1.0) / 2.0
            mean += w / len(plan.parts)
        if plan.refit:
            w, weight = _fit_sampled(rows, np.arange(n), y, plan, param)
            sampled += [weight] if weight != 1.0 else []
        else:
            w = mean
        W[:, c] = w[:-1] / 2.0
        intercept[c] = (w[-1] + 1.0) / 2.0
    return np.asarray(tags), W, intercept, heldout, sampled


def fit(X: sparse.csr_matrix, Y: sparse.csc_matrix, alpha: float, *, loss: str = "squared_hinge",
        folds: int | None = None, refit: bool | None = None, max_heldout: int = 50_000,
        groups: np.ndarray | None = None, n_jobs: int = 1,
        tolerance: float | None = None, max_negatives: int | None = None, stats: dict | None = None,
        progress: Progress = no_progress) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit every tag (columns of the 0/1 matrix `Y`) on the rows `X`, once per fold.

    Articles are dealt to `folds` folds (default `auto_folds`) by a hash of their `groups` (default:
    their row numbers), so near-duplicates given one group never score each other; and LIBLINEAR's
    C is scaled by groups / articles, so the loss weighs as many articles as there are groups
    against the regulariser (one weight for all: exactly one per group when the groups are the same
    size, as 30 near-copies of each article, which then learn what the articles once would); each
    fold's model is fitted on the other folds and scores the fold's articles (at most `max_heldout`
    scored in all, chosen by hash, to bound memory). `folds=1` scores one slice of whole groups
    instead (`heldout_slice`, at most `max_heldout` articles and a quarter of them) with a model
    fitted on the rest. The final weights are a fit on every article (`refit`; the default below
    50,000 articles and with one slice) or the mean of the fold models, which saves that fit where
    a fold already holds tens of thousands of articles.

    `max_negatives` caps the articles without the tag that one squared-hinge fit sees (see
    `sampled_rows`): past it a fit's cost stops growing with the corpus. LIBLINEAR's least squares
    takes no class weights, so the ridge loss always sees every article. `stats`, when given, gets
    `heldout` ('one slice' or 'k-fold' with k), `fits`, `sampled_fits` and `largest_negative_weight`.

    The tags are dealt among `n_jobs` forked processes, or among the workers of the runner that
    `parallel.use_runner` made current (a Dask cluster), which receive the rows once.

    Returns (W, intercept, heldout, heldout_rows): float32 weights (features × tags) and
    intercepts on the 0..1 score scale, and the held-out scores (len(heldout_rows) × tags).
    """
    if loss not in SOLVERS:
        raise DataError(f"loss must be one of {', '.join(SOLVERS)}; got {loss!r}")
    n, n_tags = X.shape[0], Y.shape[1]
    folds = folds or auto_folds(n)
    tol = TOLERANCE[loss] if tolerance is None else tolerance
    extra = " -p 0" if loss == "ridge" else ""
    keys = np.arange(n) if groups is None else np.asarray(groups)
    distinct = n if groups is None else len(np.unique(keys))  # the loss's total weight: one per group
    if folds == 1:  # one held-out slice of whole groups
        sampled = heldout_slice(keys, min(max_heldout, n // 4))
        parts = [(np.setdiff1d(np.arange(n), sampled, assume_unique=True), sampled, np.arange(len(sampled)))]
    else:
        fold = hash_folds(keys, folds)
        sampled = np.arange(n) if n <= max_heldout else np.sort(
            np.argsort(hash_folds(range(n), 1 << 30), kind="stable")[:max_heldout])
        parts = []
        for k in range(folds):
            scored = sampled[fold[sampled] == k]
            parts.append((np.flatnonzero(fold != k), scored, np.searchsorted(sampled, scored)))
    capped = max_negatives is not None and loss == "squared_hinge" and n > max_negatives
    rank = hash_folds((f"negative {i}" for i in range(n)), 1 << 30) * n + np.arange(n) if capped else None
    plan = Plan(n, parts, len(sampled), (n < 50_000 or folds == 1) if refit is None else refit,
                f"-s {SOLVERS[loss]} -c {distinct / n / (2.0 * alpha)} -e {tol}{extra} -q",
                max_negatives if capped else None, rank)
    Yc = Y.tocsc()
    order = np.argsort(-np.diff(Yc.indptr), kind="stable")  # frequent (slow) tags first
    W = np.zeros((X.shape[1], n_tags), dtype=np.float32)
    intercept = np.zeros(n_tags, dtype=np.float32)
    heldout = np.zeros((len(sampled), n_tags), dtype=np.float32)
    # Processes, not threads: LIBLINEAR draws from the C library's one random sequence, which a
    # process reseeds before each fit, so a tag's weights never depend on what ran beside it.
    done = 0
    progress("primal", 0, n_tags)
    weights: list[float] = []
    for tags, W_part, b_part, h_part, sampled_weights in map_shared(fit_tags, (X, Yc, plan), order, n_jobs=n_jobs,
                                                  before_fork=lambda: _shared_rows(X)):
        W[:, tags], intercept[tags], heldout[:, tags] = W_part, b_part, h_part
        weights += sampled_weights
        done += len(tags)
        progress("primal", done, n_tags)
    _rows_cache.clear()  # LIBLINEAR's copy of the rows: not needed past the fits
    if stats is not None:
        stats.update(heldout="one slice" if folds == 1 else f"{folds}-fold", fits=n_tags * (folds + plan.refit),
                     sampled_fits=len(weights),
                     largest_negative_weight=round(max(weights, default=1.0), 3))
    return W, intercept, heldout, sampled
