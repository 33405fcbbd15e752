"""`evaluate_by_date`: learn from the articles before a cutoff date, evaluate on those after it, as
the model will be used (on news newer than anything it learned), with F1 by month and the drift."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from classifier.api import runs
from classifier.api.evaluating import EvaluateResult, explain_tags, settings_model
from classifier.api.training import build_manifest
from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN, load_articles, numbering_note
from classifier.corpus.reader import repaired_note
from classifier.evaluation.scoring import evaluate_model, unknown_indicator
from classifier.evaluation.timeline import by_month, drift, split_by_date
from classifier.model import TagModel
from classifier.progress import Progress, no_progress
from classifier.types import Corpus


def _rows(corpus: Corpus, rows: Any, path: str) -> Corpus:
    rows = [int(i) for i in rows]
    return Corpus(path, [corpus.ids[i] for i in rows], [corpus.texts[i] for i in rows],
                  [corpus.tags[i] for i in rows], tag_merges=corpus.tag_merges,
                  dates=[corpus.dates[i] for i in rows])


def _read(data: str | Path | None, columns: dict[str, Any]) -> tuple[Corpus, str]:
    """The corpus to split: `data`, or the bundled corpus whole (its training and test files)."""
    if data is not None:
        return load_articles(data, **columns), str(data)
    train, test = (load_articles(p, merge_variants=False, **columns) for p in (DEFAULT_TRAIN, DEFAULT_TEST))
    from classifier.corpus.articles import merge_tag_variants

    tags, merges = merge_tag_variants(train.tags + test.tags)
    both = Corpus(f"{DEFAULT_TRAIN} + {DEFAULT_TEST.name}", train.ids + test.ids, train.texts + test.texts, tags,
                  train.skipped + test.skipped, merges, repaired=train.repaired + test.repaired,
                  numbered=train.numbered + test.numbered, dates=train.dates + test.dates)
    return both, both.path


def evaluate_by_date(data: str | Path | None = None, *, cutoff: str, model: str | Path | None = None,
                     out: str | Path | None = None, text_col: str = "text", tags_col: str = "tags",
                     title_col: str | None = "title", id_col: str | None = None, tag_sep: str | None = None,
                     date_col: str = "date", section_col: str | None = runs.AUTO, progress: Progress | None = None,
                     **model_params: Any) -> EvaluateResult:
    """Train on the articles of `data` dated before `cutoff` ("YYYY-MM-DD"), evaluate on those dated
    on or after it, and write the report into `out` (default: `date-split-<cutoff>` under the
    artifacts folder). `data` defaults to the bundled corpus whole (training and test files). The
    settings are those of `model` (default: the latest run, if any; else the defaults), overridden
    by `model_params`; the model is not saved. Articles without a readable date are left out and
    counted in the notes. The result's `timeline` holds the split, the F1 by month of the later
    articles and the drift (`evaluation.timeline.drift`)."""
    progress = progress or no_progress
    run_dir, settings = settings_model(model)
    params = {**(settings.get_params() if settings is not None else {}), **model_params}
    columns = dict(text_col=text_col, tags_col=tags_col, title_col=title_col, id_col=id_col, tag_sep=tag_sep,
                   date_col=date_col, section_col=runs.section_column(settings, section_col))
    progress("reading", 0, 0)
    corpus, where = _read(data, columns)
    progress("reading", len(corpus), len(corpus))
    split = split_by_date(corpus.dates, cutoff, where=where, date_col=date_col)
    before, after = _rows(corpus, split.before, where), _rows(corpus, split.after, where)
    started = time.perf_counter()
    tagger = TagModel(**params).fit(before.texts, before.tags, progress=progress)
    manifest = build_manifest(tagger, before, Path(data) if data is not None else DEFAULT_TRAIN,
                              time.perf_counter() - started)
    manifest["training_data"]["path"] = f"{where}: the {len(before)} articles dated before {split.cutoff}"
    manifest["run_dir"] = (f"a model trained on the articles before {split.cutoff} with the settings of "
                           f"{run_dir or 'the defaults'} (not saved)")
    tagger.manifest_ = manifest
    ev = evaluate_model(tagger, after, progress=progress)
    missed = unknown_indicator(after.tags, ev.classes, corpus.tag_merges)
    timeline = {"split": split.summary(), "by_month": by_month(after.dates, ev.gold, ev.pred, missed),
                "drift": drift(before.tags, after.tags, ev.classes, ev.gold, ev.pred), "settings_from":
                str(run_dir) if run_dir is not None else None}
    notes = [repaired_note(corpus.repaired)] if corpus.repaired else []
    if corpus.numbered:
        notes.append(numbering_note(where, corpus.numbered, len(corpus), id_col))
    if split.undated:
        notes.append(f"{where}: {len(split.undated)} of {len(corpus)} articles have no ISO-8601 date in their "
                     f"{date_col!r} field (first: {corpus.ids[split.undated[0]]}); they are left out of both sides")
    from classifier.evaluation.report import write_report

    target = Path(out) if out is not None else runs.artifacts_root() / f"date-split-{split.cutoff}"
    paths = write_report(ev, target, cooccurrence=getattr(tagger, "cooccurrence_", None),
                         why=explain_tags(tagger, ev), timeline=timeline, progress=progress)
    return EvaluateResult(ev, paths, notes=notes, timeline=timeline)
