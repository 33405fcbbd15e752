"""Measure a trained model on labeled articles: metrics, per-tag figures, errors, examples, and the
comparison of two evaluations. Plain data out; nothing printed, nothing trained."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from classifier.errors import DataError
from classifier.evaluation.metrics import compute_metrics, per_tag_prf
from classifier.progress import Progress, no_progress
from classifier.text.normalize import fold_accents
from classifier.types import Corpus


class Scorer(Protocol):
    """What an evaluation needs of a fitted model (`TagModel` is one)."""

    classes_: Any
    thresholds_: Any

    def decision_function(self, X: list[str]) -> np.ndarray: ...

    def decide(self, scores: np.ndarray) -> np.ndarray: ...

    def scores_to_proba(self, scores: np.ndarray) -> np.ndarray: ...


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
    metrics_all_gold: dict[str, float] = field(default_factory=dict)  # unknown gold tags counted as misses

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
        """The n best- and n worst-tagged articles that have gold tags (`row`: their place in `ids`),
        with hits, misses, spurious tags."""
        f1 = self.article_f1()
        rows = np.flatnonzero(self.gold.any(1))
        order = rows[np.lexsort((-self.gold[rows].sum(1), f1[rows]))]  # worst first; ties: more gold tags

        def describe(i: int) -> dict[str, Any]:
            g, p = self.gold[i], self.pred[i]
            name = lambda mask: [self.classes[j] for j in np.flatnonzero(mask)]  # noqa: E731
            return {"id": self.ids[i], "row": int(i), "f1": round(float(f1[i]), 3), "text": self.texts[i][:600],
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


ALL_GOLD_METRICS = ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall")


def unknown_indicator(tag_lists: list[list[str]], classes: list[str],
                      merges: dict[str, str] | None = None) -> np.ndarray:
    """Articles × (gold tags not in `classes`, sorted) indicator: the tags no model of these classes
    can find, which count as misses when models with different tags are compared."""
    _, unknown = align_tags(tag_lists, classes, merges)
    names = sorted(unknown)
    index = {t: k for k, t in enumerate(names)}
    merges = merges or {}
    U = np.zeros((len(tag_lists), len(names)), dtype=bool)
    for i, tags in enumerate(tag_lists):
        for t in tags:
            k = index.get(merges.get(t, t))
            if k is not None:
                U[i, k] = True
    return U


def evaluate_model(model: Scorer, corpus: Corpus, *, progress: Progress | None = None) -> Evaluation:
    """Tag `corpus` with `model` and measure it against the corpus's own tags."""
    progress = progress or no_progress
    if not corpus.has_tags or not any(corpus.tags):
        raise DataError(f"{corpus.path}: no article has tags, so there is nothing to evaluate against; "
                        "give a labeled file (see --tags-col)")
    classes = [str(c) for c in model.classes_]
    manifest = getattr(model, "manifest_", {}) or {}
    gold, unknown = align_tags(corpus.tags, classes, manifest.get("training_data", {}).get("tag_merges"))
    missed = unknown_indicator(corpus.tags, classes, manifest.get("training_data", {}).get("tag_merges"))
    progress("tagging", 0, len(corpus))
    raw = model.decision_function(corpus.texts)
    progress("tagging", len(corpus), len(corpus))
    pred = model.decide(raw)
    proba = model.scores_to_proba(raw)
    progress("scoring", 0, 1)
    metrics = compute_metrics(gold, pred, proba)
    seen = gold.any(axis=0)  # the label set is the evaluation data's tags, as score.py takes it
    everything = compute_metrics(np.hstack([gold[:, seen], missed]), np.hstack([pred[:, seen], np.zeros_like(missed)]),
                                 names=ALL_GOLD_METRICS)
    progress("scoring", 1, 1)
    return Evaluation(corpus.path, list(corpus.ids), list(corpus.texts), classes, gold, pred, raw, proba,
                      np.asarray(model.thresholds_), metrics, unknown, len(corpus.skipped), manifest, everything)


def compare(a: Evaluation, b: Evaluation) -> dict[str, Any]:
    """Metric and per-tag F1 deltas of `b` against `a` (positive: b is better), named by run.

    `metrics` scores both on the same gold tags, every tag of the evaluation data, the ones a model
    never learned counted as its misses (as ../shared/bench/score.py does): a model that learned
    fewer tags cannot look better for it. `known_tags` is each model on the tags it learned."""
    def deltas(x: dict[str, float], y: dict[str, float]) -> dict[str, dict[str, float]]:
        return {k: {"a": x[k], "b": y[k], "delta": round(y[k] - x[k], 4)} for k in x if k in y}

    metrics = deltas(a.metrics_all_gold, b.metrics_all_gold)
    known = deltas(a.metrics, b.metrics)
    fa = {r["tag"]: r for r in a.per_tag()}
    tags = []
    for r in b.per_tag():
        old = fa.get(r["tag"])
        if old is None or (r["support"] == 0 and old["support"] == 0):
            continue
        tags.append({"tag": r["tag"], "support": r["support"], "f1_a": old["f1"], "f1_b": r["f1"],
                     "delta": round(r["f1"] - old["f1"], 4)})
    tags.sort(key=lambda r: (-abs(r["delta"]), -r["support"]))
    return {"a": a.manifest.get("run_dir"), "b": b.manifest.get("run_dir"), "metrics": metrics,
            "known_tags": known, "tags": tags, "only_in_a": sorted(set(a.classes) - set(b.classes)),
            "only_in_b": sorted(set(b.classes) - set(a.classes))}
