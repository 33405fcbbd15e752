"""The two jobs users run: train a model from a corpus file, and tag texts with a saved model.

The CLI calls these and only prints; they never print.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import artifacts
from .data import DEFAULT_TEST, DEFAULT_TRAIN, load_articles
from .errors import DataError
from .model import Progress, TagModel, _no_progress
from .types import Corpus, Prediction


@dataclass
class TrainResult:
    """What `train` produced: the saved run folder, the fitted model and its manifest."""

    run_dir: Path
    model: TagModel
    manifest: dict[str, Any]
    corpus: Corpus
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def train(data: str | Path | None = None, *, out: str | Path | None = None, text_col: str = "text",
          tags_col: str = "tags", title_col: str | None = "title", id_col: str = "id", tag_sep: str | None = None,
          tag_map: dict[str, str] | None = None, test_data: str | Path | None = None,
          progress: Progress | None = None, **model_params: Any) -> TrainResult:
    """Read `data` (default: the bundled OrangeSum training split), fit a `TagModel`, save the run.

    `model_params` go to `TagModel` (language, alpha, min_tag_count, fbr, min_tags, ...). The run goes
    to `out`, or to a new folder under the artifacts root; `latest` is pointed at it. `tag_map` renames
    or drops tags first. With `test_data` (default: the bundled test split when training on the bundled
    training split), near-duplicates shared by the two are counted in `notes`: they inflate every metric.
    """
    progress = progress or _no_progress
    started = time.perf_counter()
    path = Path(data) if data is not None else DEFAULT_TRAIN
    progress("reading", 0, 0)
    corpus = load_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col,
                           tag_sep=tag_sep)
    progress("reading", len(corpus), len(corpus))
    if tag_map:
        from .stats import apply_tag_map

        corpus.tags = apply_tag_map(corpus.tags, tag_map)
    if not any(corpus.tags):
        raise DataError(f"{path}: no article has tags; training needs labeled articles (see --tags-col)")
    notes = []
    test_path = Path(test_data) if test_data is not None else (DEFAULT_TEST if data is None else None)
    if test_path is not None:
        notes += _leakage_notes(corpus, test_path, text_col, title_col, id_col, progress)
    model = TagModel(**model_params)
    model.fit(corpus.texts, corpus.tags, progress=progress)
    seconds = time.perf_counter() - started
    run_dir = Path(out) if out is not None else artifacts.new_run_dir()
    manifest = build_manifest(model, corpus, path, seconds)
    if notes:
        manifest["leakage_check"] = notes
    progress("saving", 0, 1)
    artifacts.save_model(model, run_dir, manifest)
    artifacts.point_latest(run_dir)
    progress("saving", 1, 1)
    return TrainResult(run_dir, model, manifest, corpus, seconds, notes)


def _leakage_notes(corpus: Corpus, test_path: Path, text_col: str, title_col: str | None, id_col: str,
                   progress: Progress) -> list[str]:
    from .duplicates import find_shared

    progress("leakage check", 0, 1)
    test = load_articles(test_path, text_col=text_col, title_col=title_col, id_col=id_col, require_tags=False)
    shared = find_shared(corpus.texts, test.texts, threshold=0.9)
    progress("leakage check", 1, 1)
    if not shared:
        return []
    examples = ", ".join(f"{corpus.ids[p.a]}~{test.ids[p.b]}" for p in shared[:5])
    return [f"{len({p.b for p in shared})} of {len(test)} articles in {test_path} are near-duplicates "
            f"(cosine >= 0.9) of training articles ({examples}{' ...' if len(shared) > 5 else ''}); "
            "they inflate every metric measured on that split"]


def build_manifest(model: TagModel, corpus: Corpus, path: Path, seconds: float) -> dict[str, Any]:
    """Everything needed to know what a saved model is, without loading it."""
    params = model.get_params()
    params["ngram_range"] = list(params["ngram_range"])
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "training_data": {
            "path": str(path.resolve()), "sha256": artifacts.sha256_of(path), "articles": len(corpus),
            "skipped": len(corpus.skipped), "skipped_examples": [vars(s) for s in corpus.skipped[:20]],
            "tag_merges": corpus.tag_merges,
        },
        "settings": params,
        "tags": {str(t): {"support": int(s), "threshold": round(float(th), 6)}
                 for t, s, th in zip(model.classes_, model.tag_support_, model.thresholds_)},
        "tags_learned": len(model.classes_),
        "tags_left_out": len(model.dropped_tags_),
        "features": len(model.features_),
        "validation": model.validation_,
        "training_seconds": round(seconds, 2),
    }


def predict(model: TagModel, texts: Sequence[str], *, ids: Sequence[str] | None = None, top_k: int | None = None,
            threshold: float | None = None, min_share: float | None = None, n_scores: int = 10,
            batch_size: int = 20000, progress: Progress | None = None) -> list[Prediction]:
    """Tag `texts`. Each `Prediction` has the decided tags (best first) and the calibrated scores of
    its `n_scores` best tags (at least every decided tag). `top_k`, `threshold` and `min_share` are
    `TagModel.decide`'s options."""
    progress = progress or _no_progress
    if isinstance(texts, str):
        raise DataError("texts must be a list of strings; wrap a single text in a list")
    ids = [str(i) for i in ids] if ids is not None else [str(i + 1) for i in range(len(texts))]
    if len(ids) != len(texts):
        raise DataError(f"{len(texts)} texts but {len(ids)} ids")
    from functools import partial

    from .features import map_texts

    out: list[Prediction] = []
    tag_chunk = partial(_tag_chunk, model, [str(c) for c in model.classes_], threshold, top_k, min_share, n_scores)
    for start in range(0, len(texts), batch_size):
        progress("tagging", start, len(texts))
        batch = list(zip(ids[start:start + batch_size], texts[start:start + batch_size]))
        if len(batch) >= model.row_batch_limit:
            _ = model.coef_  # decoded once, before forking, so that worker processes inherit it
        # Each process scores, decides and formats its share of the batch.
        for part in map_texts(tag_chunk, batch, n_jobs=model._n_jobs()):
            out.extend(part)
    progress("tagging", len(texts), len(texts))
    return out


def _tag_chunk(model: TagModel, classes: list[str], threshold: float | None, top_k: int | None,
               min_share: float | None, n_scores: int, batch: Sequence[tuple[str, str]]) -> list[Prediction]:
    texts = [t for _, t in batch]
    raw = model._scores_serial(texts)
    proba = model.scores_to_proba(raw)
    decided = model.decide(raw, threshold=threshold, top_k=top_k, min_share=min_share, proba=proba)
    return _predictions([i for i, _ in batch], classes, decided, proba, n_scores)


def _predictions(ids: Sequence[str], classes: list[str], decided: np.ndarray, proba: np.ndarray,
                 n_scores: int) -> list[Prediction]:
    """One `Prediction` per row: decided tags and the scores of the best `n_scores` tags plus every
    decided tag, both ordered by score (vectorised: one sort for the whole batch)."""
    n, n_tags = proba.shape
    shown = decided.copy()
    k = min(n_scores, n_tags)
    if 0 < k < n_tags:
        np.put_along_axis(shown, np.argpartition(-proba, k - 1, axis=1)[:, :k], True, axis=1)
    elif k == n_tags:
        shown[:] = True
    rows, cols = np.nonzero(shown)
    values = proba[rows, cols]
    order = np.lexsort((-values, rows))
    rows, cols, values = rows[order], cols[order], np.round(values[order].astype(np.float64), 4)
    is_decided = decided[rows, cols]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    names = [classes[c] for c in cols.tolist()]
    value_list, flag_list = values.tolist(), is_decided.tolist()
    out = []
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        tags = [names[j] for j in range(a, b) if flag_list[j]]
        out.append(Prediction(ids[i], tags, dict(zip(names[a:b], value_list[a:b]))))
    return out


@dataclass
class EvaluateResult:
    """What `evaluate` produced: the evaluation, the files written, and the optional extras."""

    evaluation: Any
    paths: dict[str, Path]
    comparison: dict[str, Any] | None = None
    learning: list[dict[str, Any]] | None = None


def evaluate(data: str | Path | None = None, *, model: str | Path | None = None, out: str | Path | None = None,
             compare_with: str | Path | None = None, learning_curve: bool = False,
             train_data: str | Path | None = None, text_col: str = "text", tags_col: str = "tags",
             title_col: str | None = "title", id_col: str = "id", tag_sep: str | None = None,
             progress: Progress | None = None) -> EvaluateResult:
    """Evaluate a saved model on labeled `data` (default: the bundled test split) and write metrics.json,
    per_tag.csv, the plots and report.html into `out` (default: the model's run folder).

    `compare_with` evaluates a second model on the same data and reports the deltas; `learning_curve`
    retrains on growing shares of the training data (the manifest's, or `train_data`).
    """
    from .evaluation import compare, evaluate_model
    from .evaluation import learning_curve as make_learning_curve
    from .report import write_report

    progress = progress or _no_progress
    path = Path(data) if data is not None else DEFAULT_TEST
    run_dir = artifacts.resolve_model_dir(model)
    tagger = artifacts.load_model(run_dir)
    tagger.manifest_["run_dir"] = str(run_dir)
    progress("reading", 0, 0)
    corpus = load_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col,
                           tag_sep=tag_sep)
    progress("reading", len(corpus), len(corpus))
    ev = evaluate_model(tagger, corpus, progress=progress)
    comparison = None
    if compare_with is not None:
        other = artifacts.load_model(compare_with)
        comparison = compare(ev, evaluate_model(other, corpus, progress=progress))
        comparison["a"], comparison["b"] = str(run_dir), str(artifacts.resolve_model_dir(compare_with))
    learning = None
    if learning_curve:
        source = Path(train_data) if train_data is not None else Path(tagger.manifest_["training_data"]["path"])
        if not source.exists():
            raise DataError(f"{source}: training data for the learning curve not found; pass --train PATH")
        train_corpus = load_articles(source, text_col=text_col, tags_col=tags_col, title_col=title_col,
                                     id_col=id_col, tag_sep=tag_sep)
        learning = make_learning_curve(train_corpus, corpus, tagger.get_params(), progress=progress)
    paths = write_report(ev, Path(out) if out is not None else run_dir,
                         cooccurrence=getattr(tagger, "cooccurrence_", None), comparison=comparison,
                         learning=learning, progress=progress)
    return EvaluateResult(ev, paths, comparison, learning)


def cross_validate(data: str | Path | None = None, *, folds: int = 5, model: str | Path | None = None,
                   text_col: str = "text", tags_col: str = "tags", title_col: str | None = "title",
                   id_col: str = "id", tag_sep: str | None = None, progress: Progress | None = None,
                   **model_params: Any) -> dict[str, Any]:
    """Mean and spread of every metric over `folds` stratified folds of `data` (default: the bundled
    training split), with the settings of `model` if given, else `model_params`."""
    from .evaluation import cross_validate as run_cv

    path = Path(data) if data is not None else DEFAULT_TRAIN
    params = model_params
    if model is not None:
        params = {**artifacts.load_model(model).get_params(), **model_params}
    corpus = load_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col,
                           tag_sep=tag_sep)
    result = run_cv(corpus, params, folds, progress=progress)
    result["data"] = str(path)
    result["settings"] = {k: list(v) if isinstance(v, tuple) else v for k, v in TagModel(**params).get_params().items()}
    return result
