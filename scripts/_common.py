"""What the measuring scripts (ablation.py, cv_thresholds.py, cv_title_share.py) share: their command
line, the article-id folds, and F1 pooled over held-out articles by the project's `compute_metrics`.

Scripts import it as `from _common import ...`: Python puts a script's own folder first on the path.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from classifier import Corpus, TagModel, compute_metrics
from classifier.evaluation.splits import hash_folds


def parser(doc: str, *, folds: bool = False) -> argparse.ArgumentParser:
    """The options every measuring script takes (TRAIN, --language, --min-tag-count, --json) and, with
    `folds`, the cross-validation ones (--loss, --folds)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("train", help="training corpus (JSONL, CSV, Parquet; .gz ok): never a test split")
    ap.add_argument("--language", default="fr", choices=("fr", "en"))
    ap.add_argument("--min-tag-count", type=int, default=5, help="tags on fewer training articles are not learned")
    if folds:
        ap.add_argument("--loss", default="ridge", choices=("ridge", "squared_hinge", "ensemble"),
                        help="ridge (default here: these scripts' earlier figures used it), squared_hinge, ensemble")
        ap.add_argument("--folds", type=int, default=5, help="k: articles are dealt to k folds by a hash of their id")
    ap.add_argument("--json", dest="json_out", help="also write the rows to this JSON file")
    return ap


def write_json(path: str | None, rows: list[dict]) -> None:
    if path:
        Path(path).write_text(json.dumps(rows, indent=2) + "\n")


def frequent_tags(tag_lists: Iterable[Iterable[str]], min_count: int) -> list[str]:
    """Tags on at least `min_count` articles, sorted."""
    counts = Counter(t for tags in tag_lists for t in set(tags))
    return sorted(t for t, c in counts.items() if c >= min_count)


def indicator(tag_lists: Sequence[Iterable[str]], labels: Sequence[str]) -> np.ndarray:
    """Boolean matrix (articles x labels) of the tags in `labels`; other tags are ignored."""
    index = {t: j for j, t in enumerate(labels)}
    out = np.zeros((len(tag_lists), len(labels)), dtype=bool)
    for i, tags in enumerate(tag_lists):
        for t in tags:
            j = index.get(t)
            if j is not None:
                out[i, j] = True
    return out


def on_labels(decided: np.ndarray, classes: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """A model's decisions (columns in `classes` order) as columns of `labels`; a label the model did
    not learn is never decided, a class outside `labels` is dropped."""
    index = {t: j for j, t in enumerate(labels)}
    out = np.zeros((len(decided), len(labels)), dtype=bool)
    for j, t in enumerate(classes):
        if t in index:
            out[:, index[t]] = decided[:, j]
    return out


def f1(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Micro- and macro-F1 (macro over the labels with gold support), rounded to 4 places."""
    return compute_metrics(gold, pred, names=["micro_f1", "macro_f1"])


def cross_fit(corpus: Corpus, k: int, make_model: Callable[[], TagModel]) -> Iterator[tuple[np.ndarray, TagModel,
                                                                                             np.ndarray]]:
    """For each of k folds (by a hash of the article id): (held-out indices, a model fitted on the other
    folds, its raw scores on the held-out articles)."""
    fold = hash_folds(corpus.ids, k)
    for f in range(k):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        start = time.perf_counter()
        model = make_model()
        model.fit([corpus.texts[i] for i in train], [corpus.tags[i] for i in train])
        scores = model.decision_function([corpus.texts[i] for i in test])
        print(f"fold {f}: trained and scored in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        yield test, model, scores
