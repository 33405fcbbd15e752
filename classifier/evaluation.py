"""Evaluate a trained model on labeled articles: metrics, per-tag figures, errors, examples;
k-fold cross-validation, learning curves and model comparison. Plain data out; nothing printed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataError
from .metrics import compute_metrics, per_tag_prf
from .model import Progress, TagModel, _no_progress
from .text import fold_accents
from .types import Corpus


@dataclass
class Evaluation:
    """Everything one evaluation found, as arrays aligned on `classes` (the model's tags)."""

    data_path: str
    ids: list[str]
    texts: list[str]
    classes: list[str]
    gold: np.ndarray  # bool, articles × tags
    pred: np.ndarray  # bool
    raw: np.ndarray  # raw scores
    proba: np.ndarray  # calibrated scores
    thresholds: np.ndarray
    metrics: dict[str, float]
    unknown_tags: Counter = field(default_factory=Counter)  # gold tags the model never learned
    skipped: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)

    def per_tag(self) -> list[dict[str, Any]]:
        """Rows: tag, gold support, predicted count, precision, recall, F1, threshold; by support."""
        prf = per_tag_prf(self.gold, self.pred)
        train = self.manifest.get("tags", {})
        rows = [{"tag": t, "support": int(prf["support"][j]), "predicted": int(prf["predicted"][j]),
                 "precision": round(float(prf["precision"][j]), 4), "recall": round(float(prf["recall"][j]), 4),
                 "f1": round(float(prf["f1"][j]), 4), "train_support": int(train.get(t, {}).get("support", 0)),
                 "threshold": round(float(self.thresholds[j]), 4)} for j, t in enumerate(self.classes)]
        return sorted(rows, key=lambda r: (-r["support"], -r["train_support"], r["tag"]))

    def article_f1(self) -> np.ndarray:
        inter = (self.gold & self.pred).sum(1)
        denom = self.gold.sum(1) + self.pred.sum(1)
        return np.where(denom > 0, 2 * inter / np.maximum(denom, 1), 1.0)

    def examples(self, n: int = 5) -> dict[str, list[dict[str, Any]]]:
        """The n best- and n worst-tagged articles that have gold tags, with hits, misses, spurious tags."""
        f1 = self.article_f1()
        rows = np.flatnonzero(self.gold.any(1))
        order = rows[np.lexsort((-self.gold[rows].sum(1), f1[rows]))]  # worst first; ties: more gold tags

        def describe(i: int) -> dict[str, Any]:
            g, p = self.gold[i], self.pred[i]
            name = lambda mask: [self.classes[j] for j in np.flatnonzero(mask)]  # noqa: E731
            return {"id": self.ids[i], "f1": round(float(f1[i]), 3), "text": self.texts[i][:600],
                    "hits": name(g & p), "missed": name(g & ~p), "spurious": name(~g & p)}

        best = order[::-1][:n]
        return {"best": [describe(i) for i in best], "worst": [describe(i) for i in order[:n]]}

    def confused_pairs(self, top: int = 15) -> list[tuple[str, str, int]]:
        """(predicted tag, gold tag it displaced, articles): on articles where the model predicted A
        and missed B, counted over every such pair."""
        counts: Counter = Counter()
        for g, p in zip(self.gold, self.pred):
            spurious, missed = np.flatnonzero(p & ~g), np.flatnonzero(g & ~p)
            for a in spurious:
                for b in missed:
                    counts[(a, b)] += 1
        return [(self.classes[a], self.classes[b], c) for (a, b), c in counts.most_common(top)]


def align_tags(tag_lists: list[list[str]], classes: list[str],
               merges: dict[str, str] | None = None) -> tuple[np.ndarray, Counter]:
    """Indicator matrix of `tag_lists` over `classes`, matching spellings that differ only by case or
    accents; returns it with the count of each tag the model does not know."""
    index = {t: j for j, t in enumerate(classes)}
    folded = {fold_accents(t).casefold(): j for j, t in enumerate(classes)}
    merges = merges or {}
    Y = np.zeros((len(tag_lists), len(classes)), dtype=bool)
    unknown: Counter = Counter()
    for i, tags in enumerate(tag_lists):
        for t in tags:
            t = merges.get(t, t)
            j = index.get(t)
            if j is None:
                j = folded.get(fold_accents(t).casefold())
            if j is None:
                unknown[t] += 1
            else:
                Y[i, j] = True
    return Y, unknown


def evaluate_model(model: TagModel, corpus: Corpus, *, progress: Progress | None = None) -> Evaluation:
    """Tag `corpus` with `model` and measure it against the corpus's own tags."""
    progress = progress or _no_progress
    if not corpus.has_tags or not any(corpus.tags):
        raise DataError(f"{corpus.path}: no article has tags, so there is nothing to evaluate against; "
                        "give a labeled file (see --tags-col)")
    classes = [str(c) for c in model.classes_]
    manifest = getattr(model, "manifest_", {}) or {}
    gold, unknown = align_tags(corpus.tags, classes, manifest.get("training_data", {}).get("tag_merges"))
    progress("tagging", 0, len(corpus))
    raw = model.decision_function(corpus.texts)
    progress("tagging", len(corpus), len(corpus))
    pred = model.decide(raw)
    proba = model.scores_to_proba(raw)
    progress("scoring", 0, 1)
    metrics = compute_metrics(gold, pred, proba)
    progress("scoring", 1, 1)
    return Evaluation(corpus.path, list(corpus.ids), list(corpus.texts), classes, gold, pred, raw, proba,
                      np.asarray(model.thresholds_), metrics, unknown, len(corpus.skipped), manifest)


def compare(a: Evaluation, b: Evaluation) -> dict[str, Any]:
    """Metric and per-tag F1 deltas of `b` against `a` (positive: b is better)."""
    metrics = {k: {"a": a.metrics[k], "b": b.metrics[k], "delta": round(b.metrics[k] - a.metrics[k], 4)}
               for k in a.metrics if k in b.metrics}
    fa = {r["tag"]: r for r in a.per_tag()}
    tags = []
    for r in b.per_tag():
        old = fa.get(r["tag"])
        if old is None or (r["support"] == 0 and old["support"] == 0):
            continue
        tags.append({"tag": r["tag"], "support": r["support"], "f1_a": old["f1"], "f1_b": r["f1"],
                     "delta": round(r["f1"] - old["f1"], 4)})
    tags.sort(key=lambda r: (-abs(r["delta"]), -r["support"]))
    return {"metrics": metrics, "tags": tags, "only_in_a": sorted(set(a.classes) - set(b.classes)),
            "only_in_b": sorted(set(b.classes) - set(a.classes))}


def stratified_folds(Y: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """Fold number (0..k-1) per article by iterative stratification (Sechidis et al. 2011): the rarest
    tags are dealt out first, each article to the fold that most lacks its tag, so that rare tags
    reach every fold they can."""
    Y = np.asarray(Y, dtype=bool)
    n = len(Y)
    if not 2 <= k <= n:
        raise DataError(f"--cv needs 2 <= K <= number of articles ({n}); got {k}")
    rng = np.random.default_rng(seed)
    folds = np.full(n, -1)
    want_total = np.full(k, n / k)
    want_tag = np.tile(Y.sum(0) / k, (k, 1)).astype(np.float64)
    remaining = Y.copy()
    unassigned = np.ones(n, dtype=bool)
    while unassigned.any():
        counts = remaining[unassigned].sum(0)
        if counts.max() == 0:
            rest = np.flatnonzero(unassigned)
            for i in rng.permutation(rest):
                f = int(np.argmax(want_total + rng.random(k) * 1e-6))
                folds[i] = f
                want_total[f] -= 1
            break
        tag = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
        for i in rng.permutation(np.flatnonzero(unassigned & Y[:, tag])):
            need = want_tag[:, tag]
            best = np.flatnonzero(need == need.max())
            if len(best) > 1:
                best = best[want_total[best] == want_total[best].max()]
            f = int(rng.choice(best))
            folds[i] = f
            unassigned[i] = False
            want_total[f] -= 1
            want_tag[f] -= Y[i]
    return folds


def cross_validate(corpus: Corpus, params: dict[str, Any], k: int, *, progress: Progress | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Mean and standard deviation of every metric over k stratified folds of `corpus`."""
    progress = progress or _no_progress
    probe = TagModel(**params)
    counts = Counter(t for tags in corpus.tags for t in set(tags))
    classes = sorted(t for t, c in counts.items() if c >= probe.min_tag_count)
    Y, _ = align_tags(corpus.tags, classes)
    folds = stratified_folds(Y, k, seed=seed)
    per_fold = []
    for f in range(k):
        progress("cross-validation", f, k)
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        model = TagModel(**params).fit([corpus.texts[i] for i in train], [corpus.tags[i] for i in train])
        sub = Corpus(corpus.path, [corpus.ids[i] for i in test], [corpus.texts[i] for i in test],
                     [corpus.tags[i] for i in test])
        per_fold.append(evaluate_model(model, sub).metrics)
    progress("cross-validation", k, k)
    names = list(per_fold[0])
    return {"folds": k, "per_fold": per_fold,
            "mean": {m: round(float(np.mean([p[m] for p in per_fold])), 4) for m in names},
            "std": {m: round(float(np.std([p[m] for p in per_fold])), 4) for m in names}}


def learning_curve(train: Corpus, test: Corpus, params: dict[str, Any], *,
                   fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0), seed: int = 0,
                   progress: Progress | None = None) -> list[dict[str, Any]]:
    """Micro/macro F1 on `test` of models trained on growing random shares of `train`."""
    progress = progress or _no_progress
    order = np.random.default_rng(seed).permutation(len(train))
    rows = []
    for step, frac in enumerate(fractions):
        progress("learning curve", step, len(fractions))
        take = np.sort(order[: max(2, int(round(frac * len(train))))])
        try:
            model = TagModel(**params).fit([train.texts[i] for i in take], [train.tags[i] for i in take])
        except DataError:
            continue  # too few articles for any tag to reach min_tag_count
        m = evaluate_model(model, test).metrics
        rows.append({"articles": len(take), "fraction": frac, "micro_f1": m["micro_f1"],
                     "macro_f1": m["macro_f1"], "tags_learned": len(model.classes_)})
    progress("learning curve", len(fractions), len(fractions))
    return rows
