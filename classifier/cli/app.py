"""The `classifier` command: a thin typer shell over the public API (`classifier.__all__`).

Each command parses its options, calls one API function and prints (`output`). The API is imported
inside the commands, so `classifier --help` imports neither NumPy nor the model.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import typer

from classifier.cli import output, training_output
from classifier.cli.options import (
    BUDGET,
    BY_MONTH,
    CUTOFF,
    DATE_COL,
    EXPLAIN,
    FEEDBACK,
    FORMAT,
    ID_COL,
    METRIC,
    MODEL,
    NEAR_THRESHOLD,
    ON_ERROR,
    QUIET,
    READ_SECTION_COL,
    SECTION_COL,
    SPLIT_BY,
    TAG_MAP,
    TAG_SEP,
    TAGS_COL,
    TEXT_COL,
    TITLE_COL,
    TRIALS,
    TUNE,
    Dedupe,
    Format,
    Language,
    Loss,
    Metric,
    OnError,
    PredictFormat,
    Solver,
    SplitBy,
    ThresholdRule,
)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Tag news articles the way a site's editors would. Train, then predict.")


@app.command()
def train(
    data: Path | None = typer.Argument(None, help="Labeled corpus (JSONL, CSV, Parquet; .gz ok). "
                                          "Default: the bundled OrangeSum training split."),
    out: Path | None = typer.Option(None, help="Run folder to write (default: a new folder under artifacts/)."),
    force: bool = typer.Option(False, "--force", help="Replace the run already in --out."),
    text_col: str = TEXT_COL, title_col: str = TITLE_COL, tags_col: str = TAGS_COL, id_col: str | None = ID_COL,
    tag_sep: str | None = TAG_SEP, section_col: str = SECTION_COL,
    language: Language = typer.Option(Language.fr, help="Text preprocessing: fr (elisions, French stop words) or en."),
    min_tag_count: int = typer.Option(5, min=1, help="Tags on fewer articles than this are not learned."),
    solver: Solver = typer.Option(Solver.auto, help="dual (exact leave-one-out scores; memory grows as articles "
                                  "squared), primal (LIBLINEAR tag by tag; linear cost) or auto (dual up to 20,000 "
                                  "articles)."),
    loss: Loss = typer.Option(Loss.auto, help="ridge (least squares), squared_hinge (L2-SVM: more accurate on "
                              "Reuters), ensemble (the mean of both; dual path only) or auto (ensemble on the "
                              "dual path, squared_hinge on the primal path)."),
    alpha: float = typer.Option(0.3, min=1e-6, help="Regularisation strength (higher: smoother models)."),
    threshold_rule: ThresholdRule = typer.Option(
        ThresholdRule.micromacro, help="How each tag's cut is chosen on held-out scores: micromacro (micro-F1 plus "
        "the tag's share of macro-F1: rare tags are not flooded) or scutfbr (each tag's own best F1, see --fbr)."),
    fbr: float = typer.Option(0.2, min=0.0, max=1.0, help="With --threshold-rule scutfbr: tags whose held-out F1 "
                              "stays below this get a conservative threshold."),
    min_tags: int = typer.Option(1, min=0, help="Every article gets at least this many tags (0: may get none)."),
    min_share: float = typer.Option(0.2, min=0.0, max=0.99, help="Drop a tag whose calibrated probability is below "
                                    "this share of the article's best tag's (0: off); see --share-min-support."),
    share_min_support: int = typer.Option(20, min=0, help="Tags learned from fewer stories (articles, near-duplicates "
                                          "once) are exempt from --min-share (their thresholds weigh macro-F1)."),
    title_weight: int = typer.Option(3, min=1, help="How many times the title (the first line of a text) counts."),
    tag_map: Path | None = TAG_MAP,
    test: Path | None = typer.Option(None, help="A test split to check for near-duplicates of training articles "
                                     "(default: the bundled test split when DATA is the bundled training split)."),
    on_error: OnError = ON_ERROR,
    feedback: Path | None = FEEDBACK,
    dask: str | None = typer.Option(None, "--dask", help="Fit the primal path's tags on a Dask cluster: a "
                                    "scheduler address (tcp://host:8786) or 'local' to start one here."),
    tune: bool = TUNE, budget: float = BUDGET, metric: Metric = METRIC, trials: int | None = TRIALS,
    format: Format = FORMAT, quiet: bool = QUIET,
) -> None:
    """Train a tagger and save it as a new run (model.joblib + manifest.json).

    Example: classifier train training_data/orangesum_train.jsonl.gz --out artifacts/my-run
    """
    from classifier import train as train_model

    def work():
        with output.Reporter(quiet) as reporter:
            return train_model(
                data, out=out, text_col=text_col, tags_col=tags_col, title_col=title_col or None, id_col=id_col,
                section_col=section_col or None, tag_sep=tag_sep, tag_map=tag_map, test_data=test,
                on_error=on_error.value, feedback=feedback, tune=budget if tune else None, tune_metric=metric.value,
                tune_trials=trials,
                on_trial=lambda t: reporter.note(training_output.trial_line(t.as_dict())), progress=reporter,
                language=language.value, min_tag_count=min_tag_count, solver=solver.value, loss=loss.value,
                alpha=alpha, threshold_rule=threshold_rule.value, fbr=fbr, min_tags=min_tags, min_share=min_share,
                share_min_support=share_min_support, title_weight=title_weight, dask=dask, force=force)

    result = output.run(work)
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    summary, lines = training_output.train_summary(result, min_tag_count)
    output.echo_json(summary) if format == Format.json else typer.echo("\n".join(lines))


def _tune_command(**options) -> None:
    """Choose the settings for DATA, then train with them and save the run.

    Tries title weight, loss, regularisation, share cut, n-grams, min/max document frequency and
    threshold rule one after another (a fixed order; a change is kept when it raises the criterion),
    each candidate scored by its held-out validation on DATA alone (leave-one-out on the dual path,
    k-fold on the primal path), until a pass changes nothing, --trials is reached or --budget has no
    room for the next. The best is then checked against the starting settings by 3-fold
    cross-validation and kept only if it gains more than one standard error there; otherwise the
    starting settings are the choice. The run is the chosen candidate; its manifest's "search" lists
    every trial and the check.

    Example: classifier tune training_data/orangesum_train.jsonl.gz --budget 10 --out artifacts/tuned
    """
    train(**{**options, "tune": True})


# `classifier tune` is `classifier train --tune`: the same options (the search starts from them), one
# signature, so that the two cannot drift apart.
_tune_command.__signature__ = inspect.signature(train, eval_str=True).replace(parameters=[
    p.replace(default=typer.Option(True, "--tune", hidden=True, help="Always on here.")) if p.name == "tune" else p
    for p in inspect.signature(train, eval_str=True).parameters.values()])
app.command("tune")(_tune_command)


@app.command()
def predict(
    text: str | None = typer.Argument(None, help="The article text (omit to use --file or stdin)."),
    file: Path | None = typer.Option(None, "--file", "-f", help="A plain-text article, or a JSONL/CSV/"
                                        "Parquet corpus (one prediction per article)."),
    model: Path | None = MODEL,
    format: PredictFormat = typer.Option(PredictFormat.table, "--format", help="table, json, csv or jsonl; with "
                                         "--dask, the part files' form: jsonl (default), csv or parquet."),
    dask: str | None = typer.Option(None, "--dask", help="Tag the --file corpus on a Dask cluster: a scheduler "
                                    "address (tcp://host:8786) or 'local' to start one here; needs --out."),
    out: Path | None = typer.Option(None, "--out", help="With --dask: the folder for part-00000.<format>, ... "
                                    "(readable and writable by every worker)."),
    top_k: int | None = typer.Option(None, min=1, help="Decide at most this many tags per article: the first "
                                     "ones of its ranking by score that reach the cut."),
    threshold: float | None = typer.Option(None, min=0.0, max=1.0, help="Decide every tag whose score is at least "
                                           "this (default 0.5, where each tag's score crosses its tuned threshold)."),
    min_share: float | None = typer.Option(None, min=0.0, max=0.99, help="Cap a tag's score below the cut when "
                                           "its calibrated probability is under this share of the article's best "
                                           "tag's (0: off; default: the model's). Rare tags are exempt, as set at "
                                           "training."),
    explain: int = EXPLAIN, text_col: str = TEXT_COL, title_col: str = TITLE_COL, id_col: str | None = ID_COL,
    section_col: str = READ_SECTION_COL, on_error: OnError = ON_ERROR,
    quiet: bool = QUIET,
) -> None:
    """Tag a text, a file, stdin, or a whole corpus (read and written batch by batch).

    Tags come ranked by score, decided ones first; a score is 0.5 at its tag's tuned threshold, and a tag is
    decided when its score reaches 0.5 (or --threshold). The calibrated probabilities come beside them.

    Examples: classifier predict "Le Maroc et Israël" --explain 5 ; classifier predict -f corpus.jsonl --format jsonl
    """
    if dask is not None:
        return _predict_on_cluster(file, model, out, dask, format.value, top_k, threshold, min_share,
                                   dict(text_col=text_col, title_col=title_col or None, id_col=id_col,
                                        section_col=section_col or None, on_error=on_error.value), quiet, explain)
    if format == PredictFormat.parquet or out is not None:
        output.fail("--format parquet and --out go with --dask; without it predictions go to stdout", 2)
    from classifier import is_corpus_file, load_model, numbering_note, read_batches, section_column
    from classifier import predict as predict_tags

    def work() -> None:
        tagger = load_model(model)
        if not quiet:
            typer.echo(f"model: {tagger.manifest_['run_dir']}", err=True)
        headed = file is not None and text is None and is_corpus_file(file)
        writer = output.PredictionWriter(format, headed=headed, cut=0.5 if threshold is None else threshold,
                                         model=tagger.manifest_["run_dir"], explain=explain > 0)
        done = numbered = 0
        with output.Reporter(quiet or not headed) as reporter:
            for batch in read_batches(text, file, text_col=text_col, title_col=title_col or None, id_col=id_col,
                                      section_col=section_column(tagger, section_col or None), on_error=on_error.value):
                output.warn_read([(s.where, s.reason) for s in batch.skipped], batch.repaired)
                writer.write(predict_tags(tagger, batch.texts, ids=batch.ids, top_k=top_k, threshold=threshold,
                                          min_share=min_share, explain=explain))
                done, numbered = done + len(batch), numbered + batch.numbered
                reporter("tagging", done, 0)
        writer.close()
        if headed and numbered:  # after the predictions, with the whole file's count
            typer.echo(f"warning: {numbering_note(file, numbered, done, id_col)}", err=True)

    output.run(work)


def _predict_on_cluster(file: Path | None, model: Path | None, out: Path | None, address: str, format: str,
                        top_k: int | None, threshold: float | None, min_share: float | None, columns: dict,
                        quiet: bool, explain: int) -> None:
    if explain:
        output.fail("--explain goes without --dask: the part files carry no evidence", 2)
    if file is None or out is None:
        output.fail("--dask needs --file CORPUS and --out FOLDER", 2)
    format = "jsonl" if format == "table" else format  # the default, for files
    if format not in ("jsonl", "csv", "parquet"):
        output.fail("with --dask, --format is jsonl, csv or parquet (the part files' form)", 2)
    from classifier import predict_on_cluster

    def work():
        with output.Reporter(quiet) as reporter:
            return predict_on_cluster(model, file, out, address=address, format=format, top_k=top_k,
                                      threshold=threshold, min_share=min_share, progress=reporter, **columns)

    summary = output.run(work)
    output.warn_read(summary["skipped"], summary["repaired"])
    if summary["numbered"]:
        from classifier import numbering_note

        typer.echo(f"warning: {numbering_note(file, summary['numbered'], summary['articles'], columns['id_col'])}",
                   err=True)
    if not quiet:
        typer.echo(f"Tagged {summary['articles']} articles in {summary['parts']} parts into {summary['out']} "
                   f"(model {summary['model']})", err=True)


@app.command()
def evaluate(
    data: Path | None = typer.Argument(None, help="Labeled articles to evaluate on (default: the bundled "
                                          "OrangeSum test split; with --cv, the training set to fold)."),
    model: Path | None = MODEL,
    out: Path | None = typer.Option(None, help="Folder for report.html, metrics.json, per_tag.csv and the "
                                       "plots, or cross_validation.json (default: the model's run folder)."),
    compare: Path | None = typer.Option(None, help="Another run folder: show both models side by side."),
    learning_curve: bool = typer.Option(False, "--learning-curve", help="Also retrain on 10%..100% of the "
                                        "training data and plot F1 against training size."),
    train_data: Path | None = typer.Option(None, "--train", help="Training data for the learning curve "
                                              "(default: the file the model was trained on)."),
    cv: int | None = typer.Option(None, "--cv", min=2, help="Cross-validate on DATA with K stratified folds "
                                     "(the model's settings, or the defaults when there is no model)."),
    feedback: Path | None = FEEDBACK,
    split_by: SplitBy | None = SPLIT_BY, cutoff: str | None = CUTOFF, by_month: bool = BY_MONTH,
    text_col: str = TEXT_COL, title_col: str = TITLE_COL, tags_col: str = TAGS_COL, id_col: str | None = ID_COL,
    date_col: str = DATE_COL, section_col: str = READ_SECTION_COL,
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Measure a model on labeled articles and write a self-contained HTML report with plots.

    Example: classifier evaluate training_data/orangesum_test.jsonl.gz --out artifacts/eval
    Time split: classifier evaluate --split-by date --cutoff 2020-06-01 --out artifacts/by-date
    """
    output.check_evaluate_options(cv=cv, feedback=feedback, split_by=split_by, cutoff=cutoff, compare=compare,
                                  learning_curve=learning_curve)
    from classifier import cross_validate, evaluate_by_date
    from classifier import evaluate as evaluate_model

    columns = dict(text_col=text_col, title_col=title_col or None, tags_col=tags_col, id_col=id_col,
                   section_col=section_col or None)

    def work():
        with output.Reporter(quiet) as reporter:
            if cv is not None:
                return cross_validate(data, folds=cv, model=model, out=out, progress=reporter, **columns)
            if split_by is not None:
                return evaluate_by_date(data, cutoff=cutoff, model=model, out=out, date_col=date_col,
                                        progress=reporter, **columns)
            return evaluate_model(data, model=model, out=out, compare_with=compare, learning_curve=learning_curve,
                                  train_data=train_data, feedback=feedback, by_month=by_month, date_col=date_col,
                                  progress=reporter, **columns)

    result = output.run(work)
    if cv is not None:
        summary = {k: result[k] for k in ("folds", "mean", "std", "data", "model")}
        output.echo_json(summary) if format == Format.json else typer.echo("\n".join(output.cv_lines(result)))
        return
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    summary, lines = output.evaluate_summary(result)
    output.echo_json(summary) if format == Format.json else typer.echo("\n".join(lines))


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(..., help="Saved pages (.txt), HTML pages, CSV/TSV/JSONL/Parquet exports, "
                                       "folders (searched recursively); .gz allowed."),
    out: Path = typer.Option(..., help="The JSONL corpus to write (rejects go beside it, *.rejects.jsonl)."),
    profile: Path | None = typer.Option(None, help="JSON page profile: tag_labels, tag_separators, end_markers, "
                                        "skip_lines, author_prefix, meta_separator (default: French news sites)."),
    tag_map: Path | None = TAG_MAP,
    dedupe: Dedupe = typer.Option(Dedupe.exact, help="Merge duplicates: none, exact (same text) or near (also "
                                  "cosine >= --near-threshold)."),
    near_threshold: float = NEAR_THRESHOLD,
    allow_untagged: bool = typer.Option(False, "--allow-untagged", help="Keep articles without tags."),
    text_col: str = TEXT_COL, title_col: str = TITLE_COL, tags_col: str = TAGS_COL, id_col: str | None = ID_COL,
    tag_sep: str | None = TAG_SEP,
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Turn saved pages and exports into a training corpus, accounting for every record.

    Example: classifier import saved_pages/ export.csv --out training_data/site.jsonl
    """
    from classifier import import_corpus

    def work():
        with output.Reporter(quiet) as reporter:
            return import_corpus(paths, out, profile=profile, tag_map=tag_map, dedupe=dedupe.value,
                                 near_threshold=near_threshold, require_tags=not allow_untagged, text_col=text_col,
                                 title_col=title_col, tags_col=tags_col, id_col=id_col, tag_sep=tag_sep,
                                 progress=reporter)

    report = output.run(work)
    output.echo_json(report.to_dict()) if format == Format.json else typer.echo("\n".join(output.import_lines(report)))


@app.command()
def stats(
    data: Path | None = typer.Argument(None, help="Corpus (default: the bundled training split)."),
    tag_map: Path | None = TAG_MAP,
    near_threshold: float = NEAR_THRESHOLD,
    text_col: str = TEXT_COL, title_col: str = TITLE_COL, tags_col: str = TAGS_COL, id_col: str | None = ID_COL,
    date_col: str = DATE_COL,
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Corpus statistics, probable tag variants (case, accents, plural, spacing) and duplicates.

    Example: classifier stats training_data/orangesum_train.jsonl.gz
    """
    from classifier import stats as corpus_stats

    def work():
        with output.Reporter(quiet) as reporter:
            return corpus_stats(data, tag_map=tag_map, near_threshold=near_threshold, text_col=text_col,
                                title_col=title_col or None, tags_col=tags_col, id_col=id_col, date_col=date_col,
                                progress=reporter)

    s = output.run(work)
    output.echo_json(s) if format == Format.json else typer.echo("\n".join(output.stats_lines(s)))


@app.command()
def serve(
    model: Path | None = MODEL,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes, each with the model loaded once."),
    feedback: Path | None = typer.Option(None, "--feedback", help="The JSONL file POST /v1/feedback appends to "
                                         "(default: feedback.jsonl in the artifacts root)."),
    max_body: int | None = typer.Option(None, "--max-body", min=1, help="Largest request body in bytes (default: "
                                        "$CLASSIFIER_MAX_BODY, else 1048576); larger ones get 413."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request (errors are always logged)."),
) -> None:
    """Serve the tagger over HTTP (FastAPI on uvicorn): /v1/tag, /v1/tag-batch, /v1/feedback, the editor's page.

    Set CLASSIFIER_ADMIN_TOKEN to turn on POST /v1/admin/reload. Example: classifier serve --workers 2 --port 8000
    """
    from classifier import serve as serve_http

    output.run(lambda: serve_http(model, host=host, port=port, workers=workers, feedback=feedback,
                                  max_body=max_body, access_log=access_log))


def main() -> None:
    app(prog_name="classifier")
