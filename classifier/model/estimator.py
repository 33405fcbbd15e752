"""`TagModel`: TF-IDF features, one-vs-rest linear classifiers, per-tag thresholds.

Each tag is, on the dual path, the mean of a ridge classifier solved for all tags at once (`dual`:
exact leave-one-out scores, leave-group-out for near-duplicates from `splits.near_duplicate_groups`)
and an L2-SVM (`squared_hinge`), or either alone (`losses`); on large corpora a per-tag primal fit
(`primal`, k-fold held-out scores).
Held-out scores choose the per-tag thresholds (`thresholds`) and fit the calibration (`calibration`).
Weights are kept one byte each (`weights.CompactWeights`). Prediction needs only NumPy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from classifier.errors import DataError, NotFittedError
from classifier.evaluation.metrics import compute_metrics
from classifier.evaluation.splits import first_members, hash_folds, near_duplicate_groups
from classifier.model import features, tags
from classifier.model.calibration import apply_platt
from classifier.model.params import Params
from classifier.model.thresholds import apply_thresholds, decision_scores, score_slope, tune_thresholds
from classifier.model.weights import CompactWeights
from classifier.parallel import available_memory, map_texts
from classifier.progress import Progress, no_progress
from classifier.text import tfidf
from classifier.text.normalize import weight_title

if TYPE_CHECKING:
    from scipy import sparse

# Weights under 1% of their tag's largest are stored as 0: about 70% of them, which halved the
# compressed codes (OrangeSum 16.7 -> 8.6 MB, Reuters 0.91 -> 0.48 MB as one zlib block) while
# validation F1 moved by at most 0.0025 (docs/benchmarks.md, ablation and model size).
PRUNE = 0.01
DERIVED = ("_coef", "_terms", "_slope", "_names")  # computed from the learned state, once per process


def _check_texts(X: Iterable[str], name: str = "X") -> list[str]:
    if isinstance(X, (str, bytes)):
        raise DataError(f"{name} must be a list of texts, not a single string; wrap it: [{name}]")
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise DataError(f"{name}[{i}] must be a string; got {type(t).__name__}")
    return texts


def _product(X: sparse.csr_matrix, W: np.ndarray, block: int = 512) -> np.ndarray:
    """X @ W for TF-IDF rows X and dense weights W, by blocks of rows taken column by column.

    Row by row (scipy's CSR product) every word of every text fetches its weight row from memory;
    column by column within a block, a word's weight row is fetched once for all the block's texts
    while the block's scores (512 × tags floats) stay in cache: about twice as fast here."""
    out = np.empty((X.shape[0], W.shape[1]), dtype=np.float32)
    for lo in range(0, X.shape[0], block):
        out[lo:lo + block] = X[lo:lo + block].tocsc() @ W
    return out


class TagModel(Params):
    """Multi-label tagger for news articles.

    Parameters (all keyword-only; `fit` learns, the constructor only stores):
        language: 'fr' (French normalisation: apostrophes, elisions, French stop words) or 'en'.
        loss: 'ridge' (least squares), 'squared_hinge' (L2-SVM), 'ensemble' (the mean of both fits,
            dual path only: `losses`) or 'auto': the ensemble on the dual path (at or above either
            loss on 5 of 6 cross-validated measures, docs/benchmarks.md), the squared hinge on the
            primal path (LIBLINEAR's least squares needs a tight tolerance). `loss_` records it.
        alpha: regularisation strength (on the primal path the loss's total weight is the number of
            near-duplicate groups, not of articles, see `primal.fit`; the dual path is unscaled).
        ngram_range, min_df, max_df, sublinear_tf: TF-IDF settings.
        min_tag_count: tags on fewer training articles are not learned.
        threshold_rule: how each tag's cut is chosen on held-out scores: 'micromacro' (micro-F1 plus
            the tag's share of macro-F1, tags from frequent to rare) or 'scutfbr' (see `thresholds`).
        fbr: under 'scutfbr', a tag whose best held-out F1 is below this falls back to a conservative cut.
        min_tags: every article gets at least this many tags (0 turns the guarantee off).
        min_share: a tag is dropped from an article when its calibrated probability is below this share
            of the article's best tag's (0 turns the rule off); its score then stays under the cut.
        share_min_support: tags learned from fewer stories (training articles, near-duplicates
            counted once) are exempt from `min_share`: their thresholds already price each false
            positive against macro-F1, and cutting them trades macro- for micro-F1
            (docs/benchmarks.md, 5-fold figures).
        title_weight: the first line of each text (its title: `load_articles` joins title and body
            with a line break) counts this many times in the features; a text of one line is left
            as it is. 3: chosen with the ensemble by cross-validation (docs/benchmarks.md).
        solver: 'dual' (all tags at once through an n×n matrix, exact leave-one-out scores: best up
            to some ten thousand articles), 'primal' (LIBLINEAR tag by tag, k-fold held-out scores:
            time and memory linear in the articles, see `primal`) or 'auto' (dual up to
            `dual_max_samples` articles, primal above). `solver_` records the choice.
        dual_max_samples: where 'auto' switches from the dual to the primal path.
        cv_folds: the primal path's folds (each article's held-out score comes from the model fitted
            on the other folds; the final weights are a fit on every article below 50,000 articles,
            else the fold models' mean), or 1: one held-out slice of whole groups scored by a model
            fitted on the rest, then a fit on every article; None: 5 below 50,000 articles, 3 below
            150,000, else 2 (`primal.auto_folds`). `max_heldout` caps the articles scored.
        max_negatives: on the primal path with the squared hinge, one tag's fit sees every article
            with the tag and at most this many without it, sampled by hash and weighted to stand for
            all of them, so a fit's cost stops growing with the corpus (None: all of them; see
            `primal.sampled_rows`). Below about twice this many articles nothing is sampled.
        n_jobs: processes (and threads) used to vectorise large batches and to fit tags (-1: all cores).

    Learned state: `classes_` (tag names), `features_` (the TF-IDF space), `weights_` (the compact
    form of `coef_`, features × tags, decoded on first use), `intercept_`, `thresholds_` (raw-score
    cut per tag), `calibration_` (slopes, intercepts), `tag_support_` (articles per tag), `tag_stories_`
    (the same with near-duplicates counted once), `cooccurrence_` (training
    co-occurrence of the 30 most frequent tags), `validation_` (held-out metrics), `dropped_tags_`
    (tags below min_tag_count), `near_duplicates_` in `near_duplicate_groups_` (held out together),
    on the primal path `primal_fits_` (how held-out scores were made, fits, those that sampled
    negatives, their largest weight).
    """

    row_batch_limit = 64  # below this many texts, decode only the weight rows their words use

    def __init__(self, *, language: str = "fr", loss: str = "auto", alpha: float = 0.3,
                 ngram_range: tuple[int, int] = (1, 1),
                 min_df: int = 2, max_df: float = 0.5, sublinear_tf: bool = True, min_tag_count: int = 5,
                 threshold_rule: str = "micromacro", fbr: float = 0.2, min_tags: int = 1, min_share: float = 0.2,
                 share_min_support: int = 20, title_weight: int = 3, solver: str = "auto",
                 dual_max_samples: int = 20000, cv_folds: int | None = None, max_heldout: int = 50_000,
                 max_negatives: int | None = 100_000, n_jobs: int = -1):
        self.language = language
        self.loss = loss
        self.alpha = alpha
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.min_tag_count = min_tag_count
        self.threshold_rule = threshold_rule
        self.fbr = fbr
        self.min_tags = min_tags
        self.min_share = min_share
        self.share_min_support = share_min_support
        self.title_weight = title_weight
        self.solver = solver
        self.dual_max_samples = dual_max_samples
        self.cv_folds = cv_folds
        self.max_heldout = max_heldout
        self.max_negatives = max_negatives
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------- fitting
    def _validate_params(self) -> None:
        from classifier.model.checks import check_params

        check_params(self)

    def worker_count(self) -> int:
        """Processes (and threads) to use: `n_jobs`, with -1 meaning every core."""
        return (os.cpu_count() or 1) if self.n_jobs in (None, -1) else self.n_jobs

    def _weighted(self, texts: Sequence[str]) -> Sequence[str]:
        if self.title_weight <= 1:
            return texts
        return [weight_title(t, int(self.title_weight)) for t in texts]

    def fit(self, X: Sequence[str], y: Sequence[Sequence[str]], *, progress: Progress | None = None) -> TagModel:
        """Learn from texts `X` and their tag lists `y`. Returns self."""
        texts = _check_texts(X)
        if isinstance(y, (str, bytes)):
            raise DataError("y must be a list of tag lists, one per text")
        tag_lists = [list(tags) for tags in y]
        if len(tag_lists) != len(texts):
            raise DataError(f"X has {len(texts)} texts but y has {len(tag_lists)} tag lists")
        return self.fit_stream(features.InMemory(texts, tag_lists), progress=progress)

    def fit_stream(self, source: features.ArticleSource, *, progress: Progress | None = None) -> TagModel:
        """Learn from a `source` that gives the texts chunk by chunk (read twice: term counts, then
        rows) and then the tags, so that the texts are never all in memory. Returns self."""
        self._validate_params()
        for derived in (*DERIVED, "primal_fits_"):  # of a previous fit
            self.__dict__.pop(derived, None)
        progress = progress or no_progress
        counts = features.count_terms(source, self, progress)
        tag_lists = [list(tags) for tags in source.tags()]
        if len(tag_lists) != counts.n:
            raise DataError(f"the source gave {counts.n} texts but {len(tag_lists)} tag lists")
        if counts.n < 2:
            raise DataError(f"need at least 2 training articles; got {counts.n}")
        self.classes_, self.dropped_tags_, Y = tags.indicator(tag_lists, self.min_tag_count)
        del tag_lists
        self.tag_support_ = np.asarray(Y.sum(axis=0)).ravel().astype(np.int64)
        self.cooccurrence_ = tags.cooccurrence(Y, self.classes_)
        self.solver_ = self._pick_solver(counts.n)  # before the features: a refused setting costs no second read
        self.loss_ = self.loss if self.loss != "auto" else ("ensemble" if self.solver_ == "dual" else "squared_hinge")
        if self.loss_ == "ensemble" and self.solver_ != "dual":
            raise DataError(f"loss 'ensemble' needs the dual path, and {counts.n} articles take the primal one; "
                            "use loss 'squared_hinge' or 'auto'")
        self.features_, Xs = features.vectorise(source, counts, self, progress)

        progress(f"{self.solver_} solver, {self.loss_}", 1, 1)
        groups = near_duplicate_groups(Xs)  # held out together on either path
        self.near_duplicates_ = int(len(groups) - len(np.unique(groups)))
        self.near_duplicate_groups_ = int((np.bincount(groups) > 1).sum())
        self.tag_stories_ = tags.stories(Y, groups)
        if self.solver_ == "dual":
            heldout, Y_heldout, W, intercept = self._fit_dual(Xs, Y.toarray(), groups, progress)
            heldout_groups = first_members(groups)  # an article alone keeps the half its index gave it
        else:
            from classifier.model import primal

            self.primal_fits_ = {}
            W, intercept, heldout, rows = primal.fit(Xs, Y, self.alpha, loss=self.loss_, folds=self.cv_folds,
                                                     max_heldout=self.max_heldout, groups=groups,
                                                     max_negatives=self.max_negatives, stats=self.primal_fits_,
                                                     n_jobs=self.worker_count(), progress=progress)
            Y_heldout = Y[rows].toarray()
            # halves dealt apart from the primal folds: with 2 folds, a half would be one fold, and a tag
            # absent from the other would get its cut from one model's all-zero scores
            heldout_groups = [f"halves {g}" for g in groups[rows].tolist()]
        del Xs  # the rows: only held-out scores are needed from here on
        progress("thresholds", 0, len(self.classes_))
        self.thresholds_ = self._tune(heldout, Y_heldout).astype(np.float32)
        from classifier.model.calibration import fit_platt

        self.calibration_ = fit_platt(heldout, Y_heldout)
        self.validation_ = self._cross_fit_validation(heldout, Y_heldout, heldout_groups)
        progress("thresholds", len(self.classes_), len(self.classes_))
        progress("weights", 0, 1)
        self.weights_ = CompactWeights.from_dense(W, prune=PRUNE)
        self.__dict__.pop("_coef", None)
        self.intercept_ = np.asarray(intercept, dtype=np.float32)
        progress("weights", 1, 1)
        return self

    def _pick_solver(self, n: int) -> str:
        """'dual' or 'primal': the setting, or for 'auto' the dual up to `dual_max_samples` articles
        when its n×n matrix fits in the memory available. A forced dual path that cannot fit is
        refused, saying how much memory it needs."""
        need = 2 * 4 * n * n  # the n×n matrix and its factor's work space, float32
        available = available_memory()
        fits = available is None or need <= available
        if self.solver == "auto":
            return "dual" if n <= self.dual_max_samples and fits else "primal"
        if self.solver == "dual" and not fits:
            raise DataError(f"the dual solver needs about {need / 2**20:,.0f} MiB for {n} articles and "
                            f"{available / 2**20:,.0f} MiB is available; use solver 'primal' (or 'auto')")
        return self.solver

    def _fit_dual(self, Xs: sparse.csr_matrix, Y: np.ndarray, groups: np.ndarray, progress: Progress):
        """Dual path: (held-out scores: leave-one-out, leave-group-out for near-duplicates; their 0/1
        targets; weights; intercepts)."""
        from classifier.model.losses import fit_dual

        A, loo = fit_dual(Xs, Y, self.alpha, self.loss_, groups=groups, n_jobs=self.worker_count(), progress=progress)
        from classifier.model.dual import primal_weights

        return loo, Y, primal_weights(Xs, A, self.worker_count()), A.sum(axis=0)

    def _scores(self, raw: np.ndarray, thresholds: np.ndarray, proba: np.ndarray | None, share: float) -> np.ndarray:
        """`thresholds.decision_scores`, the share rule on tags with `share_min_support` stories or more
        (a model saved before stories were counted: articles)."""
        slope = self.__dict__.get("_slope")
        if slope is None:  # derived from the calibration: computed once per model and process
            slope = self.__dict__["_slope"] = score_slope(self.calibration_[0])
        return decision_scores(raw, thresholds, slope, proba=proba, share=share,
                               frequent=self.__dict__.get("tag_stories_", self.tag_support_) >= self.share_min_support)

    def _tune(self, scores: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return tune_thresholds(scores, Y, rule=self.threshold_rule, fbr=self.fbr)

    def _cross_fit_validation(self, loo: np.ndarray, Y: np.ndarray, groups: Sequence) -> dict:
        """Held-out micro/macro F1: thresholds tuned on one half of the articles, scored on the other
        (halves by a hash of `groups`: near-duplicates on the same side)."""
        fold = hash_folds(groups, 2)
        decided = np.zeros(Y.shape, dtype=bool)
        # The share rule reads the calibration fitted on all held-out scores: two numbers per tag,
        # monotone, so what it learns of the scored half is negligible.
        proba = apply_platt(loo, *self.calibration_)
        for k in (0, 1):
            tune, test = fold != k, fold == k
            thr = self._tune(loo[tune], Y[tune])
            scores = self._scores(loo[test], thr, proba[test], self.min_share)
            decided[test] = apply_thresholds(scores, 0.5, min_tags=self.min_tags, tiebreak=loo[test] - thr)
        scores = compute_metrics(Y > 0, decided, names=["micro_f1", "macro_f1"])
        source = ("leave-one-out (near-duplicates: leave-group-out)" if self.solver_ == "dual"
                  else f"{len(Y)} articles' held-out ({self.primal_fits_.get('heldout', 'k-fold')})")
        return {"method": f"{source} scores, thresholds tuned on one half, scored on the other",
                **scores}

    # -------------------------------------------------------------- prediction
    @property
    def coef_(self) -> np.ndarray:
        """Weights (n_features, n_tags) as float32, decoded from `weights_` on first use."""
        self._check_fitted()
        cached = self.__dict__.get("_coef")
        if cached is None:
            cached = self.weights_.dense(self.worker_count())
            self.__dict__["_coef"] = cached
        return cached

    def __getstate__(self) -> dict:
        # Derived state is not saved: decoded weights (the file keeps the one-byte codes), the terms
        # (explain.feature_names), the score slope (from calibration_), classes_ as text (tagging).
        return {k: v for k, v in self.__dict__.items() if k not in DERIVED}

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise NotFittedError("this TagModel is not trained yet; call fit(texts, tags) first")

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Raw scores (n_texts, n_tags): a ridge estimate of tag membership, ~0 absent, ~1 present."""
        self._check_fitted()
        texts = _check_texts(X)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        if len(texts) >= self.row_batch_limit:
            _ = self.coef_  # decode the weights before forking, so that workers inherit them
        return np.vstack(map_texts(self.scores_in_process, texts, n_jobs=self.worker_count()))

    def scores_in_process(self, texts: Sequence[str], *, known: list | None = None) -> np.ndarray:
        """Raw scores computed here (callers share batches among processes): a sparse product with the decoded
        weights for `row_batch_limit` texts or more once decoded (callers decode them via `coef_`), else text by
        text through their words' weight rows. `known`, if given, receives each text's number of known terms."""
        texts = self._weighted(texts)
        coef = self.__dict__.get("_coef")
        if coef is not None and len(texts) >= self.row_batch_limit:
            X = tfidf.transform(self.features_, texts)
            indptr, scores = X.indptr, _product(X, coef)
        else:  # NumPy only: a cold `classifier predict` need not import SciPy, and a few texts skip its overhead
            indptr, indices, data = tfidf.transform_arrays(self.features_, texts)
            used, where = (None, None) if coef is not None else np.unique(indices, return_inverse=True)
            rows = coef if coef is not None else self.weights_.rows(used)  # the same values either way
            scores = np.zeros((len(texts), rows.shape[1]), dtype=np.float32)
            for i in range(len(texts)):
                # Summed in feature order, one float32 term after another, as the sparse product sums:
                # the same scores to the last bit, so a text's tags do not depend on its batch.
                a, b, order = indptr[i], indptr[i + 1], np.argsort(indices[indptr[i]:indptr[i + 1]], kind="stable")
                terms = rows[(indices if coef is not None else where)[a:b][order]]
                np.add.reduce(np.multiply(terms, data[a:b][order, None], out=terms), axis=0, out=scores[i])
        if known is not None:
            known.extend(np.diff(indptr).tolist())
        return np.asarray(scores, dtype=np.float32) + self.intercept_

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Calibrated scores in [0, 1] (per-tag Platt scaling fitted on held-out scores)."""
        return self.scores_to_proba(self.decision_function(X))

    def scores_to_proba(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated scores from raw `decision_function` output."""
        self._check_fitted()
        return apply_platt(scores, *self.calibration_)

    def decision_scores(self, raw: np.ndarray, *, min_share: float | None = None,
                        proba: np.ndarray | None = None) -> np.ndarray:
        """Scores in [0, 1] from raw scores, on which every decision is one cut: 0.5 is each tag's tuned
        threshold, and a tag that `min_share` (default: the model's) rules out scores under 0.5
        (`thresholds.decision_scores`). `proba`: the calibrated probabilities, if already computed."""
        self._check_fitted()
        min_share = self.min_share if min_share is None else min_share
        if not 0 <= min_share < 1:
            raise DataError(f"min_share must be in [0, 1); got {min_share!r}")
        if proba is None and min_share > 0:
            proba = self.scores_to_proba(raw)
        return self._scores(raw, self.thresholds_, proba, min_share)

    def decide(self, raw: np.ndarray, *, threshold: float | None = None, top_k: int | None = None,
               min_tags: int | None = None, min_share: float | None = None, proba: np.ndarray | None = None,
               scores: np.ndarray | None = None) -> np.ndarray:
        """Boolean decisions from raw scores: the tags whose `decision_scores` reach `threshold` (default
        0.5: each tag's tuned threshold), or the best-scored `min_tags` (default: the model's) if fewer
        do, at most `top_k`: always the head of the text's ranking by score. `scores`: the
        `decision_scores(raw, min_share=min_share)`, if already computed."""
        min_tags = self.min_tags if min_tags is None else min_tags
        if scores is None:
            scores = self.decision_scores(raw, min_share=min_share, proba=proba)
        return apply_thresholds(scores, 0.5 if threshold is None else threshold, min_tags=min_tags, top_k=top_k,
                                tiebreak=raw - self.thresholds_)

    def explain(self, X: Sequence[str], tags: Sequence[Sequence[str]], *, top_n: int = 10) -> list[dict]:
        """For each text, each of its `tags` mapped to its evidence: the words that raised (then
        lowered) the tag's raw score most, each with its exact share of it (`explain.evidence`)."""
        from classifier.model.explain import evidence

        return evidence(self, _check_texts(X), tags, top_n=top_n)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """Indicator matrix (n_texts, n_tags) of the decided tags, columns in `classes_` order."""
        return self.decide(self.decision_function(X)).astype(np.int8)

    def predict_tags(self, X: Sequence[str], **decide_options) -> list[list[str]]:
        """Decided tags per text, best-scored first (`decide`'s options)."""
        raw = self.decision_function(X)
        scores = self.decision_scores(raw, min_share=decide_options.get("min_share"))
        decided = self.decide(raw, scores=scores, **decide_options)
        return [[str(self.classes_[j]) for j in idx[np.lexsort((-margin[idx], -row[idx]))]]
                for row, margin, idx in zip(scores, raw - self.thresholds_, map(np.flatnonzero, decided))]
