"""Command-line interface: a thin typer shell over the public Python API.

Each command parses options, calls one public function, and prints. Heavy imports happen inside the
commands so that `classifier --help` and `classifier predict` start fast.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from .errors import ClassifierError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Tag news articles the way a site's editors would. Train, then predict.")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


# Language, ThresholdRule and Loss repeat text.LANGUAGES, thresholds.RULES and model.LOSSES so that
# `--help` and start-up need not import NumPy and the model; tests/test_cli.py keeps them the same.
class Language(StrEnum):
    fr = "fr"
    en = "en"


class ThresholdRule(StrEnum):
    micromacro = "micromacro"
    scutfbr = "scutfbr"


class Loss(StrEnum):
    squared_hinge = "squared_hinge"
    ridge = "ridge"


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except ClassifierError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", 130)


class _Reporter:
    """Progress on stderr (rich), one bar per stage; silent with quiet=True."""

    LABELS = {"reading": "Reading articles", "vectorising": "Vectorising", "kernel": "Article similarities",
              "solving": "Fitting all tags", "start sets": "Squared hinge: LIBLINEAR starts",
              "squared hinge": "Squared hinge: Newton steps", "thresholds": "Tuning thresholds", "weights": "Weights",
              "saving": "Saving model", "tagging": "Tagging", "scoring": "Scoring", "plotting": "Plotting",
              "learning curve": "Learning curve", "cross-validation": "Cross-validation",
              "leakage check": "Checking test overlap", "duplicates": "Finding duplicates"}

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.progress = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Reporter:
        if not self.quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=False)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage), total=total or None)
        self.progress.update(task, completed=done, total=total or None)


QUIET = typer.Option(False, "--quiet", "-q", help="No progress output.")


@app.command()
def train(
    data: Path | None = typer.Argument(None, help="Labeled corpus (JSONL, CSV, Parquet; .gz ok). "
                                          "Default: the bundled OrangeSum training split."),
    out: Path | None = typer.Option(None, help="Run folder to write (default: a new folder under artifacts/)."),
    text_col: str = typer.Option("text", help="Column or field with the article body."),
    title_col: str = typer.Option("title", help="Column with the title (joined to the body when present)."),
    tags_col: str = typer.Option("tags", help="Column with the tags: a list, or a delimited string."),
    id_col: str = typer.Option("id", help="Column with the article id."),
    tag_sep: str | None = typer.Option(None, help="Tag separator in string tag fields (default: guess | ; ,)."),
    language: Language = typer.Option(Language.fr, help="Text preprocessing: fr (elisions, French stop words) or en."),
    min_tag_count: int = typer.Option(5, min=1, help="Tags on fewer articles than this are not learned."),
    loss: Loss = typer.Option(Loss.ridge, help="ridge (least squares: fast) or squared_hinge (L2-SVM: more "
                              "accurate on Reuters, slower with hundreds of tags)."),
    alpha: float = typer.Option(0.3, min=1e-6, help="Regularisation strength (higher: smoother models)."),
    threshold_rule: ThresholdRule = typer.Option(
        ThresholdRule.micromacro, help="How each tag's cut is chosen on held-out scores: micromacro (micro-F1 plus "
        "the tag's share of macro-F1: rare tags are not flooded) or scutfbr (each tag's own best F1, see --fbr)."),
    fbr: float = typer.Option(0.2, min=0.0, max=1.0, help="With --threshold-rule scutfbr: tags whose held-out F1 "
                              "stays below this get a conservative threshold."),
    min_tags: int = typer.Option(1, min=0, help="Every article gets at least this many tags (0: may get none)."),
    min_share: float = typer.Option(0.2, min=0.0, max=0.99, help="Drop a tag whose calibrated score is below this "
                                    "share of the article's best tag's (0: off); see --share-min-support."),
    share_min_support: int = typer.Option(20, min=0, help="Tags learned from fewer training articles are exempt "
                                          "from --min-share (their thresholds already weigh macro-F1)."),
    title_weight: int = typer.Option(1, min=1, help="How many times the title (the first line of a text) counts."),
    tag_map: Path | None = typer.Option(None, help="CSV of from,to rows: rename (or, with an empty to, drop) "
                                        "tags before training."),
    test: Path | None = typer.Option(None, help="A test split to check for near-duplicates of training articles "
                                     "(default: the bundled test split when DATA is the bundled training split)."),
    format: Format = typer.Option(Format.table, "--format", help="Summary as a table or json."),
    quiet: bool = QUIET,
) -> None:
    """Train a tagger and save it as a new run (model.joblib + manifest.json).

    Example: classifier train training_data/orangesum_train.jsonl.gz --out artifacts/my-run
    """
    from .workflow import train as train_model

    def work():
        from .stats import load_tag_map

        mapping = load_tag_map(tag_map) if tag_map else None
        with _Reporter(quiet) as reporter:
            return train_model(
                data, out=out, text_col=text_col, tags_col=tags_col, title_col=title_col or None, id_col=id_col,
                tag_sep=tag_sep, tag_map=mapping, test_data=test, progress=reporter, language=language.value,
                min_tag_count=min_tag_count, loss=loss.value, alpha=alpha, threshold_rule=threshold_rule.value, fbr=fbr,
                min_tags=min_tags, min_share=min_share, share_min_support=share_min_support,
                title_weight=title_weight)

    result = _run(work)
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    m = result.manifest
    summary = {
        "model": str(result.run_dir), "articles": len(result.corpus), "skipped": len(result.corpus.skipped),
        "tag_merges": len(result.corpus.tag_merges), "tags_learned": m["tags_learned"],
        "tags_left_out": m["tags_left_out"], "validation_micro_f1": m["validation"]["micro_f1"],
        "validation_macro_f1": m["validation"]["macro_f1"], "seconds": m["training_seconds"],
        "warnings": result.notes,
    }
    if format == Format.json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    corpus = result.corpus
    lines = [f"Read {len(corpus)} articles from {corpus.path}"]
    if corpus.skipped:
        lines.append(f"Skipped {len(corpus.skipped)} articles: " + "; ".join(
            f"{s.where} ({s.reason})" for s in corpus.skipped[:5]) + (" ..." if len(corpus.skipped) > 5 else ""))
    if corpus.tag_merges:
        shown = ", ".join(f"{a} -> {b}" for a, b in list(corpus.tag_merges.items())[:8])
        lines.append(f"Merged {len(corpus.tag_merges)} tag spellings: {shown}"
                     + (" ..." if len(corpus.tag_merges) > 8 else ""))
    lines += [
        f"Learned {m['tags_learned']} tags; left out {m['tags_left_out']} seen on fewer than "
        f"{min_tag_count} articles",
        f"Validation (held-out, training data only): micro-F1 {m['validation']['micro_f1']:.3f}, "
        f"macro-F1 {m['validation']['macro_f1']:.3f}",
        f"Trained in {m['training_seconds']:.1f} s; model saved to {result.run_dir}",
    ]
    typer.echo("\n".join(lines))


def _read_input(text: str | None, file: Path | None, text_col: str, title_col: str, id_col: str):
    """(ids, texts) from the text argument, --file (one article or a corpus), or stdin."""
    from .data import SUFFIXES, load_articles
    from .errors import DataError

    if text is not None and file is not None:
        raise DataError("give either a TEXT argument or --file, not both")
    if file is not None:
        name = file.name.lower().removesuffix(".gz")
        if name.endswith(SUFFIXES):
            corpus = load_articles(file, text_col=text_col, title_col=title_col or None, id_col=id_col,
                                   tags_col=None, require_tags=False, merge_variants=False)
            for s in corpus.skipped:
                typer.echo(f"warning: skipped {s.where}: {s.reason}", err=True)
            return corpus.ids, corpus.texts
        try:
            content = file.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise DataError(f"{file}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{file}: is a folder; give a text, JSONL, CSV or Parquet file") from None
        except UnicodeDecodeError as exc:
            raise DataError(f"{file}: not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
        if not content.strip():
            raise DataError(f"{file}: the file is empty")
        return [file.stem], [content]
    if text is None or text == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise DataError("no text: pass TEXT, --file PATH, or pipe the article on stdin")
        try:
            text = sys.stdin.buffer.read().decode("utf-8") if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        except UnicodeDecodeError as exc:
            raise DataError(f"stdin: not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise DataError("the text is empty; give an article's title and body")
    return ["1"], [text]


@app.command()
def predict(
    text: str | None = typer.Argument(None, help="The article text (omit to use --file or stdin)."),
    file: Path | None = typer.Option(None, "--file", "-f", help="A plain-text article, or a JSONL/CSV/"
                                        "Parquet corpus (one prediction per article)."),
    model: Path | None = typer.Option(None, help="Run folder (default: the latest run under artifacts/)."),
    format: Format = typer.Option(Format.table, "--format", help="table, json, csv or jsonl."),
    top_k: int | None = typer.Option(None, min=1, help="At most this many tags per article."),
    threshold: float | None = typer.Option(None, min=0.0, max=1.0, help="Cut every tag's calibrated "
                                              "score here instead of its tuned threshold."),
    min_share: float | None = typer.Option(None, min=0.0, max=0.99, help="Drop a tag whose calibrated score is "
                                           "below this share of the article's best tag's (0: off; default: the "
                                           "model's). Rare tags are exempt, as set at training."),
    text_col: str = typer.Option("text", help="Text column of a corpus file."),
    title_col: str = typer.Option("title", help="Title column of a corpus file."),
    id_col: str = typer.Option("id", help="Id column of a corpus file."),
    quiet: bool = QUIET,
) -> None:
    """Tag a text, a file, stdin, or a whole corpus.

    Examples: classifier predict "Le Maroc et Israël ..." ; classifier predict --file corpus.jsonl --format jsonl
    """
    from .artifacts import load_model
    from .workflow import predict as predict_tags

    def work():
        ids, texts = _read_input(text, file, text_col, title_col, id_col)
        tagger = load_model(model)
        with _Reporter(quiet or len(texts) < 5000) as reporter:
            return predict_tags(tagger, texts, ids=ids, top_k=top_k, threshold=threshold, min_share=min_share,
                                progress=reporter)

    predictions = _run(work)
    _print_predictions(predictions, format)


def _print_predictions(predictions: list, format: Format) -> None:
    out = sys.stdout
    if format == Format.jsonl:
        out.write("".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in predictions))
    elif format == Format.json:
        out.write(json.dumps([p.to_dict() for p in predictions], ensure_ascii=False, indent=2) + "\n")
    elif format == Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "tags", "scores"])
        for p in predictions:
            writer.writerow([p.id, "|".join(p.tags), json.dumps(p.scores, ensure_ascii=False)])
        out.write(buffer.getvalue())
    else:
        lines = []
        for p in predictions:
            if len(predictions) > 1:
                lines.append(f"# {p.id}")
            lines.append(f"{'tag':<28} {'score':>6}  decided")
            for tag, score in p.scores.items():
                lines.append(f"{tag:<28} {score:>6.3f}  {'yes' if tag in p.tags else ''}")
        out.write("\n".join(lines) + "\n")


@app.command()
def evaluate(
    data: Path | None = typer.Argument(None, help="Labeled articles to evaluate on (default: the bundled "
                                          "OrangeSum test split; with --cv, the training set to fold)."),
    model: Path | None = typer.Option(None, help="Run folder (default: the latest run)."),
    out: Path | None = typer.Option(None, help="Folder for report.html, metrics.json, per_tag.csv and the "
                                       "plots (default: the model's run folder)."),
    compare: Path | None = typer.Option(None, help="Another run folder: show both models side by side."),
    learning_curve: bool = typer.Option(False, "--learning-curve", help="Also retrain on 10%..100% of the "
                                        "training data and plot F1 against training size."),
    train_data: Path | None = typer.Option(None, "--train", help="Training data for the learning curve "
                                              "(default: the file the model was trained on)."),
    cv: int | None = typer.Option(None, "--cv", min=2, help="Cross-validate on DATA with K stratified folds "
                                     "(the model's settings, or the defaults when there is no model)."),
    text_col: str = typer.Option("text", help="Column with the article body."),
    title_col: str = typer.Option("title", help="Column with the title."),
    tags_col: str = typer.Option("tags", help="Column with the tags."),
    id_col: str = typer.Option("id", help="Column with the article id."),
    format: Format = typer.Option(Format.table, "--format", help="Summary as a table or json."),
    quiet: bool = QUIET,
) -> None:
    """Measure a model on labeled articles and write a self-contained HTML report with plots.

    Example: classifier evaluate training_data/orangesum_test.jsonl.gz --out artifacts/eval
    """
    from . import workflow

    columns = dict(text_col=text_col, title_col=title_col or None, tags_col=tags_col, id_col=id_col)
    if cv is not None:
        def run_cv():
            use_model = model
            if use_model is None:
                from .artifacts import artifacts_root

                use_model = artifacts_root() / "latest" if (artifacts_root() / "latest").exists() else None
            with _Reporter(quiet) as reporter:
                return workflow.cross_validate(data, folds=cv, model=use_model, progress=reporter, **columns)

        result = _run(run_cv)
        if out is not None:
            from .artifacts import write_json

            write_json(out / "cross_validation.json", result)
        if format == Format.json:
            typer.echo(json.dumps({k: result[k] for k in ("folds", "mean", "std", "data")}, ensure_ascii=False))
            return
        typer.echo(f"{cv}-fold stratified cross-validation on {result['data']}")
        typer.echo(f"{'metric':<20} {'mean':>7} {'std':>7}")
        for name in ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall", "p_at_1"):
            typer.echo(f"{name:<20} {result['mean'][name]:>7.4f} {result['std'][name]:>7.4f}")
        return

    def work():
        with _Reporter(quiet) as reporter:
            return workflow.evaluate(data, model=model, out=out, compare_with=compare,
                                     learning_curve=learning_curve, train_data=train_data, progress=reporter,
                                     **columns)

    result = _run(work)
    ev = result.evaluation
    if format == Format.json:
        payload = {**ev.metrics, "articles": len(ev.ids), "unknown_tag_uses": sum(ev.unknown_tags.values()),
                   "report": str(result.paths["report"])}
        if result.comparison:
            payload["comparison"] = {k: v["delta"] for k, v in result.comparison["metrics"].items()}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    lines = [f"Evaluated on {len(ev.ids)} articles from {ev.data_path}"]
    if ev.unknown_tags:
        lines.append(f"{sum(ev.unknown_tags.values())} gold tag uses ({len(ev.unknown_tags)} tags) are unknown to "
                     "the model and not scored: " + ", ".join(t for t, _ in ev.unknown_tags.most_common(8))
                     + (" ..." if len(ev.unknown_tags) > 8 else ""))
    header = f"{'metric':<18} {'value':>7}" + (f" {'other':>7} {'delta':>7}" if result.comparison else "")
    lines.append(header)
    for name in ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall", "p_at_1", "ndcg_at_5"):
        row = f"{name:<18} {ev.metrics[name]:>7.4f}"
        if result.comparison:
            c = result.comparison["metrics"][name]
            row += f" {c['b']:>7.4f} {c['delta']:>+7.4f}"
        lines.append(row)
    if result.learning:
        lines.append("learning curve: " + ", ".join(f"{r['articles']} -> {r['micro_f1']:.3f}/{r['macro_f1']:.3f}"
                                                    for r in result.learning))
    lines.append(f"Report: {result.paths['report']}")
    typer.echo("\n".join(lines))


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(..., help="Saved pages (.txt), HTML pages, CSV/TSV/JSONL/Parquet exports, "
                                       "folders (searched recursively); .gz allowed."),
    out: Path = typer.Option(..., help="The JSONL corpus to write (rejects go beside it, *.rejects.jsonl)."),
    profile: Path | None = typer.Option(None, help="JSON page profile: tag_labels, tag_separators, end_markers, "
                                        "skip_lines, author_prefix, meta_separator (default: French news sites)."),
    tag_map: Path | None = typer.Option(None, help="CSV of from,to rows applied to every tag."),
    dedupe: str = typer.Option("exact", help="Merge duplicates: none, exact (same text) or near (also cosine >= "
                               "--near-threshold)."),
    near_threshold: float = typer.Option(0.9, min=0.5, max=1.0, help="Similarity for near-duplicates."),
    allow_untagged: bool = typer.Option(False, "--allow-untagged", help="Keep articles without tags."),
    text_col: str = typer.Option("text", help="Text column of tabular exports."),
    title_col: str = typer.Option("title", help="Title column of tabular exports."),
    tags_col: str = typer.Option("tags", help="Tags column of tabular exports."),
    id_col: str = typer.Option("id", help="Id column of tabular exports."),
    tag_sep: str | None = typer.Option(None, help="Tag separator in string tag fields."),
    format: Format = typer.Option(Format.table, "--format", help="Summary as a table or json."),
    quiet: bool = QUIET,
) -> None:
    """Turn saved pages and exports into a training corpus, accounting for every record.

    Example: classifier import saved_pages/ export.csv --out training_data/site.jsonl
    """
    from .ingest import Columns, import_paths
    from .pages import DEFAULT_PROFILE, PageProfile

    def work():
        from .stats import load_tag_map

        page_profile = PageProfile.load(profile) if profile else DEFAULT_PROFILE
        mapping = load_tag_map(tag_map) if tag_map else None
        cols = Columns(text=text_col, title=title_col, tags=tags_col, id=id_col, tag_sep=tag_sep)
        with _Reporter(quiet) as reporter:
            return import_paths(paths, out, profile=page_profile, columns=cols, tag_map=mapping, dedupe=dedupe,
                                near_threshold=near_threshold, require_tags=not allow_untagged, progress=reporter)

    report = _run(work)
    if format == Format.json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    lines = [f"Read {report.read} records: imported {report.imported}, merged {report.merged} duplicates, "
             f"rejected {sum(report.rejected.values())}"]
    lines += [f"  rejected, {reason}: {n}" for reason, n in report.rejected.most_common()]
    lines += [f"  decoded {n} file(s) as {enc}" for enc, n in report.decoded.items() if enc != "utf-8"]
    lines.append(f"Wrote {report.out}; rejects and merges listed in {report.rejects}")
    typer.echo("\n".join(lines))


@app.command()
def stats(
    data: Path | None = typer.Argument(None, help="Corpus (default: the bundled training split)."),
    tag_map: Path | None = typer.Option(None, help="CSV of from,to rows applied before counting."),
    near_threshold: float = typer.Option(0.9, min=0.5, max=1.0, help="Similarity for near-duplicates."),
    text_col: str = typer.Option("text", help="Text column."),
    title_col: str = typer.Option("title", help="Title column."),
    tags_col: str = typer.Option("tags", help="Tags column."),
    id_col: str = typer.Option("id", help="Id column."),
    format: Format = typer.Option(Format.table, "--format", help="table or json."),
) -> None:
    """Corpus statistics, probable tag variants (case, accents, plural, spacing) and duplicates.

    Example: classifier stats training_data/orangesum_train.jsonl.gz
    """
    from .data import DEFAULT_TRAIN, load_articles
    from .stats import apply_tag_map, corpus_stats, load_tag_map

    def work():
        corpus = load_articles(data or DEFAULT_TRAIN, text_col=text_col, title_col=title_col or None,
                               tags_col=tags_col, id_col=id_col, merge_variants=False)
        if tag_map:
            corpus.tags = apply_tag_map(corpus.tags, load_tag_map(tag_map))
        return corpus_stats(corpus, near_threshold=near_threshold)

    s = _run(work)
    if format == Format.json:
        typer.echo(json.dumps(s, ensure_ascii=False))
        return
    tpa, chars = s["tags_per_article"], s["text_chars"]
    lines = [
        f"{s['path']}: {s['articles']} articles ({s['skipped']} skipped), {s['tags']} tags, {s['tag_uses']} tag uses",
        f"tags per article: mean {tpa['mean']}, median {tpa['median']:.0f}, max {tpa['max']}; "
        f"articles without tags: {s['articles_without_tags']}",
        f"text length (characters): min {chars['min']}, p10 {chars['p10']:.0f}, median {chars['median']:.0f}, "
        f"p90 {chars['p90']:.0f}, max {chars['max']}",
        "most frequent tags: " + ", ".join(f"{t} ({c})" for t, c in s["most_frequent_tags"]),
        f"tail: {s['tags_once']} tags on one article, {s['tags_below_5']} on fewer than 5",
        f"probable tag variants ({len(s['tag_variants'])} groups):",
    ]
    lines += ["  " + " / ".join(f"{t} ({c})" for t, c in g) for g in s["tag_variants"][:20]]
    if len(s["tag_variants"]) > 20:
        lines.append(f"  ... {len(s['tag_variants']) - 20} more (--format json lists all)")
    lines.append(f"exact duplicates: {len(s['exact_duplicate_groups'])} groups; near-duplicates "
                 f"(cosine >= {s['near_duplicate_threshold']}): {s['near_duplicate_pairs']} pairs in "
                 f"{len(s['near_duplicate_groups'])} groups")
    lines += ["  " + ", ".join(g) for g in s["near_duplicate_groups"][:10]]
    typer.echo("\n".join(lines))


def main() -> None:
    app(prog_name="classifier")
