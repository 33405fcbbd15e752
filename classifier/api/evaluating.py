"""`evaluate` a saved model on labeled articles (metrics, report, comparison, learning curve) and
`cross_validate` settings over stratified folds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier.api import runs
from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN, load_articles, numbering_note
from classifier.corpus.reader import repaired_note
from classifier.errors import DataError
from classifier.evaluation.scoring import align_tags, compare, evaluate_model
from classifier.evaluation.splits import nested_samples, stratified_folds
from classifier.fileio import write_json
from classifier.model import TagModel
from classifier.progress import Progress, no_progress
from classifier.types import Corpus


@dataclass
class EvaluateResult:
    """What `evaluate` produced: the evaluation, the files written, and the optional extras."""

    evaluation: Any
    paths: dict[str, Path]
    comparison: dict[str, Any] | None = None
    learning: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)  # what was read in a way that needs saying
    timeline: dict[str, Any] | None = None  # by month, and for a date split the split and the drift


def evaluate(data: str | Path | None = None, *, model: str | Path | None = None, out: str | Path | None = None,
             compare_with: str | Path | None = None, learning_curve: bool = False,
             train_data: str | Path | None = None, text_col: str = "text", tags_col: str = "tags",
             title_col: str | None = "title", id_col: str | None = None, tag_sep: str | None = None,
             section_col: str | None = runs.AUTO, feedback: str | Path | None = None, by_month: bool = False,
             date_col: str = "date", progress: Progress | None = None) -> EvaluateResult:
    """Evaluate a saved model on labeled `data` (default: the bundled test split) and write metrics.json,
    per_tag.csv, the plots and report.html into `out` (default: the model's run folder).

    `compare_with` evaluates a second model on the same data and reports the deltas; `learning_curve`
    retrains on growing shares of the training data (the manifest's, or `train_data`). `feedback`
    (an editors' feedback file) evaluates on its corrected articles, the editors' tags as gold: alone
    when `data` is not given, else with `data`'s articles, a corrected one replacing that of its id.
    `by_month` adds micro/macro F1 for each month of the articles' `date_col` (see `evaluate_by_date`
    for learning from the past and testing on what came after).
    """
    from classifier.evaluation.report import write_report

    progress = progress or no_progress
    path = Path(data) if data is not None else DEFAULT_TEST
    run_dir = runs.resolve_model_dir(model)
    tagger = runs.load_model(run_dir)
    section_col = runs.section_column(tagger, section_col)
    progress("reading", 0, 0)
    if feedback is not None and data is None:
        corpus = Corpus(str(feedback), [], [], [])
    else:
        corpus = load_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col,
                               tag_sep=tag_sep, date_col=date_col, section_col=section_col)
    if by_month and feedback is not None and data is None:
        raise DataError(f"{feedback}: --by-month needs dated articles, and editors' feedback carries no dates; "
                        "give a dated corpus as DATA too, or leave out --by-month")
    if feedback is not None:
        corpus = with_feedback(corpus, feedback)
    if by_month:
        _undated(corpus, date_col)  # no date at all: said before the evaluation, not after
    progress("reading", len(corpus), len(corpus))
    ev = evaluate_model(tagger, corpus, progress=progress)
    comparison = None
    if compare_with is not None:
        other = runs.load_model(compare_with)
        comparison = compare(ev, evaluate_model(other, corpus, progress=progress))
    learning = None
    if learning_curve:
        source = Path(train_data) if train_data is not None else Path(tagger.manifest_["training_data"]["path"])
        if not source.exists():
            raise DataError(f"{source}: training data for the learning curve not found; pass --train PATH")
        train_corpus = load_articles(source, text_col=text_col, tags_col=tags_col, title_col=title_col,
                                     id_col=id_col, tag_sep=tag_sep, section_col=section_col)
        learning = fit_learning_curve(train_corpus, corpus, tagger.get_params(), progress=progress)
    notes = [repaired_note(corpus.repaired)] if corpus.repaired else []
    if corpus.numbered:
        notes.append(numbering_note(path, corpus.numbered, len(corpus), id_col))
    timeline = monthly_view(corpus, ev, date_col, notes) if by_month else None
    paths = write_report(ev, Path(out) if out is not None else run_dir,
                         cooccurrence=getattr(tagger, "cooccurrence_", None), comparison=comparison,
                         learning=learning, why=explain_tags(tagger, ev), timeline=timeline, progress=progress)
    return EvaluateResult(ev, paths, comparison, learning, notes, timeline)


def _undated(corpus: Corpus, date_col: str) -> int:
    """How many of `corpus`'s articles have no readable date; `DataError` when none has one."""
    from classifier.dates import day_of

    undated = sum(day_of(d) is None for d in corpus.dates) if corpus.dates else len(corpus)
    if undated == len(corpus):
        raise DataError(f"{corpus.path}: --by-month needs dates, and no article has an ISO-8601 date in its "
                        f"{date_col!r} field; name the date column with --date-col")
    return undated


def monthly_view(corpus: Corpus, ev: Any, date_col: str, notes: list[str]) -> dict[str, Any]:
    """{"by_month": rows} of `timeline.by_month` for `ev` (the evaluation of `corpus`); the articles
    without a readable date are counted into `notes`. `DataError` when none has a date."""
    from classifier.evaluation.scoring import unknown_indicator
    from classifier.evaluation.timeline import by_month

    undated = _undated(corpus, date_col)
    if undated:
        notes.append(f"{corpus.path}: {undated} of {len(corpus)} articles have no ISO-8601 date in their "
                     f"{date_col!r} field; they are left out of the F1 by month")
    missed = unknown_indicator(corpus.tags, ev.classes, ev.manifest.get("training_data", {}).get("tag_merges"))
    return {"by_month": by_month(corpus.dates, ev.gold, ev.pred, missed)}


def explain_tags(tagger: TagModel, ev: Any, *, n_tags: int = 8, top_n: int = 8, words: int = 5) -> dict[str, Any]:
    """The report's "why" parts: for the `n_tags` tags learned from the most training articles, their
    `top_n` largest and most negative weights (`model.explain.top_weights`); for each example article
    the report shows (`ev.examples()`, keyed by row), the evidence of its predicted and missed tags
    (`words` words each way)."""
    from classifier.model.explain import evidence, top_weights

    classes = [str(c) for c in tagger.classes_]
    support = np.asarray(tagger.tag_support_)
    tags = []
    for j in np.argsort(-support, kind="stable")[:n_tags].tolist():
        learned = top_weights(tagger, classes[j], top_n=top_n)
        tags.append({"tag": classes[j], "support": int(support[j]),
                     "positive": [(w, v) for w, v in learned if v > 0],
                     "negative": [(w, v) for w, v in learned if v < 0]})
    shown = {e["row"]: e for group in ev.examples().values() for e in group}
    rows = list(shown)
    wanted = [shown[i]["hits"] + shown[i]["spurious"] + shown[i]["missed"] for i in rows]
    found = evidence(tagger, [ev.texts[i] for i in rows], wanted, top_n=words) if rows else []
    return {"tags": tags, "examples": dict(zip(rows, found))}


def with_feedback(corpus: Corpus, feedback: str | Path) -> Corpus:
    """`corpus` with the corrected articles of the feedback file: each replaces the article of its
    id, the others come after."""
    from classifier.corpus.feedback import load_corrections

    corrections = load_corrections(feedback)
    if not len(corrections):
        raise DataError(f"{feedback}: no feedback event could be read; nothing to evaluate on")
    replaced = set(corrections.ids)
    keep = [i for i, article_id in enumerate(corpus.ids) if article_id not in replaced]
    return Corpus(corpus.path if corpus.ids else str(feedback), [corpus.ids[i] for i in keep] + corrections.ids,
                  [corpus.texts[i] for i in keep] + corrections.texts,
                  [corpus.tags[i] for i in keep] + corrections.tags,
                  corpus.skipped + corrections.skipped, corpus.tag_merges, repaired=corpus.repaired)


def settings_model(model: str | Path | None) -> tuple[Path | None, TagModel | None]:
    """The run whose settings (and section column) a retraining takes: `model`, else the latest run;
    (None, None) when there is none (the defaults)."""
    run_dir = runs.resolve_model_dir(model) if model is not None else runs.latest_run()
    return run_dir, runs.load_model(run_dir) if run_dir is not None else None


def cross_validate(data: str | Path | None = None, *, folds: int = 5, model: str | Path | None = None,
                   out: str | Path | None = None, text_col: str = "text", tags_col: str = "tags",
                   title_col: str | None = "title", id_col: str | None = None, tag_sep: str | None = None,
                   section_col: str | None = runs.AUTO, progress: Progress | None = None,
                   **model_params: Any) -> dict[str, Any]:
    """Mean and spread of every metric over `folds` stratified folds of `data` (default: the bundled
    training split), with the settings of `model` (default: the latest run, if there is one; else the
    defaults) overridden by `model_params`. With `out`, also written to `out`/cross_validation.json."""
    path = Path(data) if data is not None else DEFAULT_TRAIN
    run_dir, settings = settings_model(model)
    params = {**(settings.get_params() if settings is not None else {}), **model_params}
    section_col = runs.section_column(settings, section_col)
    corpus = load_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col,
                           tag_sep=tag_sep, section_col=section_col)
    result = _cross_validate(corpus, params, folds, progress=progress)
    result["data"] = str(path)
    result["model"] = str(run_dir) if run_dir is not None else None
    result["settings"] = {k: list(v) if isinstance(v, tuple) else v for k, v in TagModel(**params).get_params().items()}
    if out is not None:
        write_json(Path(out) / "cross_validation.json", result)
    return result


def _cross_validate(corpus: Corpus, params: dict[str, Any], k: int, *, progress: Progress | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Mean and standard deviation of every metric over k stratified folds of `corpus`."""
    progress = progress or no_progress
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


def fit_learning_curve(train: Corpus, test: Corpus, params: dict[str, Any], *,
                   fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0), seed: int = 0,
                   progress: Progress | None = None) -> list[dict[str, Any]]:
    """Micro/macro F1 on `test` of models trained on growing random shares of `train`."""
    progress = progress or no_progress
    rows = []
    for step, (frac, take) in enumerate(zip(fractions, nested_samples(len(train), fractions, seed=seed))):
        progress("learning curve", step, len(fractions))
        try:
            model = TagModel(**params).fit([train.texts[i] for i in take], [train.tags[i] for i in take])
        except DataError:
            continue  # too few articles for any tag to reach min_tag_count
        m = evaluate_model(model, test).metrics_all_gold  # a small model must not win by knowing fewer tags
        rows.append({"articles": len(take), "fraction": frac, "micro_f1": m["micro_f1"],
                     "macro_f1": m["macro_f1"], "tags_learned": len(model.classes_)})
    progress("learning curve", len(fractions), len(fractions))
    return rows
