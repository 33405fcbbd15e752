"""Options and choices shared by several commands, defined once.

Language, ThresholdRule, Loss and Solver repeat `text.normalize.LANGUAGES`, `model.thresholds.RULES`,
`model.LOSSES` and `model.SOLVERS` so that `--help` and start-up need not import NumPy and the model;
tests/test_cli.py keeps them the same.
"""

from __future__ import annotations

from enum import StrEnum

import typer


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


class PredictFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


class Language(StrEnum):
    fr = "fr"
    en = "en"


class ThresholdRule(StrEnum):
    micromacro = "micromacro"
    scutfbr = "scutfbr"


class Loss(StrEnum):
    auto = "auto"
    squared_hinge = "squared_hinge"
    ridge = "ridge"
    ensemble = "ensemble"


class Metric(StrEnum):
    micro_macro = "micro+macro"
    micro = "micro"
    macro = "macro"


class Solver(StrEnum):
    auto = "auto"
    dual = "dual"
    primal = "primal"


class OnError(StrEnum):
    raise_ = "raise"
    skip = "skip"


class SplitBy(StrEnum):
    date = "date"


class Dedupe(StrEnum):
    none = "none"
    exact = "exact"
    near = "near"


TUNE = typer.Option(False, "--tune", help="Search the settings first (as `classifier tune`, --budget minutes) "
                    "by held-out validation on DATA, the best checked against the start by 3-fold "
                    "cross-validation; the options given are where the search starts.")
BUDGET = typer.Option(10.0, "--budget", min=0.1, help="With --tune: minutes the search may take (default 10).")
METRIC = typer.Option(Metric.micro_macro, "--metric", help="With --tune: the criterion, micro+macro (default: "
                      "micro-F1 + macro-F1), micro or macro.")
TRIALS = typer.Option(None, "--trials", min=1, help="With --tune: at most this many candidates (the order is "
                      "fixed, so a number of trials reproduces a search exactly).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress output.")
FORMAT = typer.Option(Format.table, "--format", help="Output as a table, or json for machines.")
TEXT_COL = typer.Option("text", "--text-col", help="Column or field with the article body.")
TITLE_COL = typer.Option("title", "--title-col", help="Column with the title (joined to the body when present).")
SECTION_COL = typer.Option("section", "--section-col", help="Column with the article's section (Politique, "
                           "Sport...): learned as one more word of the title when present; '' to leave it out. "
                           "The run's manifest records it for prediction.")
READ_SECTION_COL = typer.Option("auto", "--section-col", help="Column with the article's section, read as one "
                                "more word of the title (auto: the column the model learned from; '' to leave "
                                "it out).")
TAGS_COL = typer.Option("tags", "--tags-col", help="Column with the tags: a list, or a delimited string.")
ID_COL = typer.Option(None, "--id-col", help="Column with the article id (default: id; an article without "
                      "one is named by its line, and a warning says so). A named column must exist.")
TAG_SEP = typer.Option(None, "--tag-sep", help="Tag separator in string tag fields (default: guess | ; ,).")
TAG_MAP = typer.Option(None, "--tag-map", help="CSV of from,to rows: rename (or, with an empty to, drop) tags.")
MODEL = typer.Option(None, "--model", help="Run folder (default: the latest run under artifacts/).")
NEAR_THRESHOLD = typer.Option(0.9, "--near-threshold", min=0.5, max=1.0,
                              help="TF-IDF cosine at or above which two articles are near-duplicates.")
EXPLAIN = typer.Option(0, "--explain", min=0, metavar="N", help="Show why: beside each tag, the N words of the "
                       "text that raised its score most and the N that lowered it most, each with its share of the "
                       "tag's raw score (0: off; table, json, jsonl and csv).")
ON_ERROR = typer.Option(OnError.raise_, "--on-error", help="A malformed record: raise (stop with an error naming "
                        "its line, before any long computation) or skip (count it, list it, go on).")
FEEDBACK = typer.Option(None, "--feedback", help="An editors' feedback file (JSONL, as `classifier serve` writes it): "
                        "its corrected articles join the data with the editors' tags, replacing those of the same id.")
SPLIT_BY = typer.Option(None, "--split-by", help="date: train on DATA's articles dated before --cutoff, "
                        "evaluate on those dated on or after it (default DATA: the bundled corpus whole).")
CUTOFF = typer.Option(None, "--cutoff", metavar="YYYY-MM-DD", help="The day a --split-by date starts its test side.")
BY_MONTH = typer.Option(False, "--by-month", help="Add micro/macro F1 for each month of the evaluated articles.")
DATE_COL = typer.Option("date", "--date-col", help="Column with the article's ISO-8601 date or date-time.")
