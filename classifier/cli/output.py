"""What the commands print: progress bars on stderr, and each command's summary as text or JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from classifier.cli.options import Format


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def check_evaluate_options(*, cv: int | None, feedback: Any, split_by: Any, cutoff: str | None, compare: Any,
                           learning_curve: bool) -> None:
    """Exit 2 naming the clash when `evaluate`'s options do not go together."""
    if cv is not None and feedback is not None:
        fail("--feedback goes with an evaluation, not with --cv", 2)
    if split_by is not None and cutoff is None:
        fail("--split-by date needs --cutoff YYYY-MM-DD (the first day of the test side)", 2)
    if cutoff is not None and split_by is None:
        fail("--cutoff goes with --split-by date", 2)
    if split_by is not None and (cv is not None or feedback is not None or compare is not None or learning_curve):
        fail("--split-by date trains its own model: it goes without --cv, --feedback, --compare and "
             "--learning-curve", 2)


def run(action: Callable[[], Any]) -> Any:
    """`action()`, with the tool's own errors turned into a one-line message and exit code 1, and so
    any other operating-system error (a full disk, a file that cannot be read or written) with
    the file it names; a closed pipe (`| head`) ends quietly, as click has it."""
    from classifier import ClassifierError

    try:
        return action()
    except ClassifierError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        raise
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror}" if exc.filename else f"{exc.strerror or exc} ({type(exc).__name__})")


def repaired_line(places: list[str]) -> str:
    """Which records were read with U+FFFD for a lone surrogate (the reader's repair), the first five named."""
    return (f"repaired {len(places)} record(s): a lone UTF-16 surrogate (\\ud800 without its pair) replaced by "
            "U+FFFD: " + shorten(places, 5))


def warn_read(skipped: list[tuple[str, str]], repaired: list[str]) -> None:
    """Warnings on stderr for the records a read skipped ((where, reason) pairs) and repaired."""
    for where, reason in skipped:
        typer.echo(f"warning: skipped {where}: {reason}", err=True)
    if repaired:
        typer.echo(f"warning: {repaired_line(repaired)}", err=True)


def echo_json(payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False) + "\n"
    run(lambda: write_stdout(text))


def write_stdout(text: str, out: Any = None, what: str = "the output could not be written ({})") -> None:
    """Write `text` to stdout (or `out`) whole or fail with a `WriteError` saying `what` (its {} the
    reason): on a file descriptor, os.write until every byte is out, since CPython can report a large
    buffered write cut short by a full disk or a file size limit as a success."""
    from classifier import WriteError

    out = out or sys.stdout
    try:
        out.flush()
        try:
            fd = out.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
            out.write(text)
            out.flush()
            return
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise WriteError("standard output: " + what.format(exc.strerror or exc)) from None


class Reporter:
    """Progress on stderr (rich), one bar per stage; silent with quiet=True."""

    LABELS = {"reading": "Reading articles", "vectorising": "Vectorising", "kernel": "Article similarities",
              "solving": "Fitting all tags", "start sets": "Squared hinge: LIBLINEAR starts",
              "squared hinge": "Squared hinge: Newton steps", "thresholds": "Tuning thresholds", "weights": "Weights",
              "saving": "Saving model", "tagging": "Tagging", "scoring": "Scoring", "plotting": "Plotting",
              "learning curve": "Learning curve", "cross-validation": "Cross-validation",
              "leakage check": "Checking test overlap", "duplicates": "Finding duplicates",
              "signatures": "Duplicates: MinHash", "candidates": "Duplicates: LSH bands",
              "verifying": "Duplicates: cosines", "search": "Settings search: trials", "final fit": "Final fit"}

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.progress = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> Reporter:
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

    def note(self, line: str) -> None:
        """A line printed above the bars (a settings search's trials)."""
        if self.progress is not None:
            self.progress.console.print(line, highlight=False)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage), total=total or None)
        self.progress.update(task, completed=done, total=total or None)


def shorten(items: list[str], n: int, sep: str = ", ") -> str:
    return sep.join(items[:n]) + (" ..." if len(items) > n else "")


class PredictionWriter:
    """Writes predictions to stdout batch by batch in one `format`, so a corpus streams through:
    jsonl and csv a line per article, json one array, table a block per article (headed by its id
    when `headed`) after one line saying what the columns are (`cut`: the score a tag must reach).
    In json each prediction also names the run it came from (`model`); jsonl keeps score.py's lean
    lines (the run is named on stderr). With `explain`, each tag's evidence: the json forms carry it
    already, csv adds an `evidence` column (the same lists as JSON), table its words beside each tag
    (`words_line`)."""

    def __init__(self, format: Format, *, headed: bool, cut: float = 0.5, model: str | None = None,
                 explain: bool = False):
        self.format, self.headed, self.count, self.cut, self.model = format, headed, 0, cut, model
        self.explain = explain
        self.out = sys.stdout

    def write(self, predictions: list) -> None:
        if self.format == Format.jsonl:
            text = "".join(p.to_json() + "\n" for p in predictions)
        elif self.format == Format.json:
            text = "".join(("[\n" if self.count + i == 0 else ",\n") + self._json(p) for i, p in enumerate(predictions))
        elif self.format == Format.csv:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if self.count == 0:
                writer.writerow(["id", "tags", "scores"] + (["evidence"] if self.explain else []))
            writer.writerows(p.csv_row() + ([_evidence_cell(p)] if self.explain else []) for p in predictions)
            text = buffer.getvalue()
        else:
            text = "".join(self._block(p) for p in predictions)
            if self.count == 0 and predictions:
                text = (f"(decided: score >= {self.cut:g}" + (", each tag's tuned threshold" if self.cut == 0.5 else "")
                        + "; probability: calibrated)\n" + text)
        self.count += len(predictions)
        self._emit(text)

    def _json(self, p: Any) -> str:
        if self.model is None:
            return p.to_json()
        return json.dumps({**p.to_dict(), "model": self.model}, ensure_ascii=False)

    def _block(self, p: Any) -> str:
        lines = [f"# {p.id}"] if self.headed else []
        lines += [f"({p.note})"] if p.note else []
        lines.append(f"{'tag':<28} {'score':>6}  decided  probability" + ("  evidence" if self.explain else ""))
        for tag, score in p.scores.items():
            probability = p.probability.get(tag)
            line = (f"{tag:<28} {score:>6.4f}  {'yes' if tag in p.tags else '':<7}"
                    + ("" if probability is None else f"  {probability:>11.4f}"))
            lines.append(line + f"  {words_line(p.evidence.get(tag, []))}" if self.explain else line)
        return "\n".join(lines) + "\n"

    def _emit(self, text: str) -> None:
        write_stdout(text, self.out, f"the predictions could not be written ({{}}); it is cut short, {self.count} "
                     "article(s) into the tagging")

    def close(self) -> None:
        if self.format == Format.json:
            self._emit("[]\n" if self.count == 0 else "\n]\n")


def words_line(evidence: list[tuple[str, float]]) -> str:
    """A tag's evidence on one line: `frontière +0.214, migrants +0.153 / football -0.041`, the words
    that raised its raw score, then after a slash those that lowered it ("-" where there are none)."""
    up = ", ".join(f"{w} {v:+.3f}" for w, v in evidence if v > 0)
    down = ", ".join(f"{w} {v:+.3f}" for w, v in evidence if v < 0)
    return f"{up or '-'} / {down}" if down else up or "-"


def _evidence_cell(p: Any) -> str:
    """The csv `evidence` cell: {tag: [{"word", "weight"}, ...]} as JSON (it starts with `{`, never
    like a formula)."""
    return json.dumps(p.to_dict().get("evidence", {}), ensure_ascii=False)


def cv_lines(result: dict[str, Any]) -> list[str]:
    lines = [f"{result['folds']}-fold stratified cross-validation on {result['data']}",
             f"{'metric':<20} {'mean':>7} {'std':>7}"]
    for name in ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall", "p_at_1"):
        lines.append(f"{name:<20} {result['mean'][name]:>7.4f} {result['std'][name]:>7.4f}")
    return lines


def evaluate_summary(result: Any) -> tuple[dict[str, Any], list[str]]:
    """The JSON summary of an evaluation and its text lines."""
    ev = result.evaluation
    payload = {**ev.metrics, "articles": len(ev.ids), "unknown_tag_uses": sum(ev.unknown_tags.values()),
               "all_gold_tags": ev.metrics_all_gold, "report": str(result.paths["report"]),
               "model": ev.manifest.get("run_dir"), "warnings": result.notes}
    if result.comparison:
        c = result.comparison  # both views the table shows, each metric as {a, b, delta}
        payload["comparison"] = {"a": c["a"], "b": c["b"], "all_gold_tags": c["metrics"], "known_tags": c["known_tags"]}
        payload["compared_with"] = c["b"]
    lines = [f"Evaluated {ev.manifest.get('run_dir')} on {len(ev.ids)} articles from {ev.data_path}"]
    if ev.unknown_tags:
        lines.append(f"{sum(ev.unknown_tags.values())} gold tag uses ({len(ev.unknown_tags)} tags) are unknown to "
                     "the model and not scored: " + shorten([t for t, _ in ev.unknown_tags.most_common()], 8))
    if result.comparison:
        c = result.comparison
        lines += [f"a: {c['a']}", f"b: {c['b']}",
                  "on every gold tag (unknown tags count as misses)  |  on each model's own tags",
                  f"{'metric':<18} {'a':>7} {'b':>7} {'delta':>7}  | {'a':>7} {'b':>7} {'delta':>7}"]
        for name, m in c["metrics"].items():
            k = c["known_tags"][name]
            lines.append(f"{name:<18} {m['a']:>7.4f} {m['b']:>7.4f} {m['delta']:>+7.4f}  | "
                         f"{k['a']:>7.4f} {k['b']:>7.4f} {k['delta']:>+7.4f}")
    else:
        lines.append(f"{'metric':<18} {'value':>7}")
        lines += [f"{name:<18} {ev.metrics[name]:>7.4f}" for name in
                  ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall", "p_at_1", "ndcg_at_5")]
        lines.append(f"on every gold tag (unknown ones as misses): micro-F1 {ev.metrics_all_gold['micro_f1']:.4f}, "
                     f"macro-F1 {ev.metrics_all_gold['macro_f1']:.4f}")
    timeline = getattr(result, "timeline", None) or {}
    if timeline:
        payload.update({k: timeline[k] for k in ("split", "by_month") if k in timeline})
        lines += timeline_lines(timeline)
        if "drift" in timeline:
            d = timeline["drift"]
            payload["drift"] = {"new_tags": len(d["new_tags"]), "new_tag_uses": d["new_tag_uses"],
                                "moved": d["moved"][:5]}
    if result.learning:
        lines.append("learning curve: " + ", ".join(f"{r['articles']} -> {r['micro_f1']:.3f}/{r['macro_f1']:.3f}"
                                                    for r in result.learning))
    lines.append(f"Report: {result.paths['report']}")
    return payload, lines


def import_lines(report: Any) -> list[str]:
    lines = [f"Read {report.read} records: imported {report.imported}, merged {report.merged} duplicates, "
             f"rejected {sum(report.rejected.values())}"]
    lines += [f"  rejected, {reason}: {n}" for reason, n in report.rejected.most_common()]
    lines += [f"  decoded {n} file(s) as {enc}" for enc, n in report.decoded.items() if enc != "utf-8"]
    if report.repaired:
        lines.append(f"  repaired {report.repaired} record(s): a lone UTF-16 surrogate replaced by U+FFFD")
    lines.append(f"Wrote {report.out}; rejects and merges listed in {report.rejects}")
    return lines


def timeline_lines(t: dict[str, Any]) -> list[str]:
    """The text lines of a date split, the F1 by month and the drift (`api.timesplit`)."""
    lines = []
    if "split" in t:
        s = t["split"]
        lines.append(f"time split at {s['cutoff']}: learned from {s['before']} articles before it, evaluated on "
                     f"{s['after']} on or after it ({s['undated']} undated left out; dates {s['first_date']} to "
                     f"{s['last_date']})")
    if t.get("by_month"):
        lines.append("F1 by month (learned tags): " + ", ".join(
            f"{r['month']} {r['micro_f1']:.3f}/{r['macro_f1']:.3f} ({r['articles']})" for r in t["by_month"]))
    if "drift" in t:
        d = t["drift"]
        lines.append(f"drift: {len(d['new_tags'])} tags of the later articles were never learned "
                     f"({d['new_tag_uses']} uses): " + shorten([r["tag"] for r in d["new_tags"]], 8))
        lines.append("moved most (share before -> after, F1 after): " + ", ".join(
            f"{r['tag']} {r['share_before']:.3f}->{r['share_after']:.3f}"
            + (f" F1 {r['f1_after']:.2f}" if r["f1_after"] is not None else "") for r in d["moved"][:6]))
    return lines


def stats_lines(s: dict[str, Any]) -> list[str]:
    tpa, chars = s["tags_per_article"], s["text_chars"]
    lines = [
        f"{s['path']}: {s['articles']} articles ({s['skipped']} skipped), {s['tags']} tags, {s['tag_uses']} tag uses",
        *([repaired_line(s["repaired"])] if s.get("repaired") else []),
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
    lines += ["  " + shorten(g, 10) for g in s["near_duplicate_groups"][:10]]
    if len(s["near_duplicate_groups"]) > 10:
        lines.append(f"  ... {len(s['near_duplicate_groups']) - 10} more groups (--format json lists all)")
    if s.get("by_month"):
        lines.append(f"tags by month ({len(s['by_month'])} months, {s['undated']} articles undated; "
                     "the month's articles, then its most frequent tags):")
        lines += [f"  {r['month']} {r['articles']:>6}  " + ", ".join(f"{t} ({c})" for t, c in r["tags"])
                  for r in s["by_month"]]
    return lines
