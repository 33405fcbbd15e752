"""`classifier import`: saved pages, HTML, CSV/JSONL/Parquet exports, folders and .gz files -> one
JSONL corpus in the schema the rest of the tool reads. Every input record is accounted for: imported,
merged into a duplicate, or rejected with its reason (written to a rejects file)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.corpus.articles import split_tags
from classifier.corpus.duplicates import find_duplicates, groups, text_key
from classifier.corpus.pages import DEFAULT_PROFILE, PageProfile, parse_date, parse_html_page, parse_text_page
from classifier.corpus.reader import (
    REPAIRED,
    TABLE_KINDS,
    decode,
    file_kind,
    iter_records,
    read_bytes,
    repair_surrogates,
)
from classifier.corpus.tagmap import apply_tag_map
from classifier.errors import DataError, ParseError
from classifier.fileio import atomic_write_text
from classifier.progress import Progress, no_progress
from classifier.types import Article, Skipped


@dataclass
class Columns:
    """Column names of tabular exports."""

    text: str = "text"
    title: str = "title"
    tags: str = "tags"
    id: str = "id"
    date: str = "date"
    section: str = "section"
    author: str = "author"
    url: str = "url"
    tag_sep: str | None = None
    id_named: bool = False  # the id column was named (--id-col): a table without it is a misspelt column


@dataclass
class ImportReport:
    """Counts of what happened to every record read."""

    out: Path
    rejects: Path
    read: int = 0
    imported: int = 0
    merged: int = 0
    repaired: int = 0  # records read with U+FFFD for a lone surrogate (listed in the rejects file)
    rejected: Counter = field(default_factory=Counter)  # reason -> records
    decoded: Counter = field(default_factory=Counter)  # encoding -> files

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "rejects": str(self.rejects), "read": self.read, "imported": self.imported,
                "merged_duplicates": self.merged,
                "repaired": self.repaired, "rejected": dict(self.rejected), "encodings": dict(self.decoded)}


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def _from_record(record: dict, where: str, cols: Columns) -> Article:
    def get(name: str) -> str | None:
        value = record.get(name)
        if value is None or (isinstance(value, float) and value != value):
            return None
        return str(value).strip() or None

    raw_date = get(cols.date)
    return Article(id=get(cols.id) or "", title=get(cols.title) or "", text=get(cols.text) or "",
                   tags=split_tags(record.get(cols.tags), f"{where}: field {cols.tags!r}", cols.tag_sep),
                   date=parse_date(raw_date) if raw_date else None, section=get(cols.section),
                   author=get(cols.author), url=get(cols.url), source=where)


def _articles(paths: list[Path], profile: PageProfile, cols: Columns, report: ImportReport,
              rejects: list[dict]) -> Iterator[Article]:
    def reject(where: str, reason: str) -> None:
        report.read += 1
        report.rejected[reason.split(":")[0]] += 1
        rejects.append({"source": where, "status": "rejected", "reason": reason})

    for path in _files(paths):
        kind = file_kind(path)
        if kind is None:
            reject(str(path), "unsupported file type: use .txt pages, .html, .jsonl, .csv, .tsv or .parquet")
        elif kind in TABLE_KINDS:
            yield from _table_articles(path, cols, report, reject, rejects)
        else:
            article = _page_article(path, kind, profile, report, reject)
            if article is not None:
                report.read += 1
                yield article


def _page_article(path: Path, kind: str, profile: PageProfile, report: ImportReport, reject) -> Article | None:
    try:
        text, encoding = decode(read_bytes(path), str(path))
    except DataError as exc:
        reason = "unreadable encoding" if "encoding" in str(exc) else "unreadable file"
        reject(str(path), f"{reason}: {exc}")
        return None
    report.decoded[encoding] += 1
    try:
        parse = parse_text_page if kind == "page" else parse_html_page
        return parse(text, profile=profile, source=str(path), article_id=path.name.split(".")[0])
    except ParseError as exc:
        reject(str(path), f"parse failure: {exc}")
        return None


def _table_articles(path: Path, cols: Columns, report: ImportReport, reject, rejects: list[dict]) -> Iterator[Article]:
    skipped: list[Skipped] = []
    encodings: Counter = Counter()
    repaired: list[str] = []
    missing_id, first = None, True
    try:
        for where, record in iter_records(path, on_error="skip", skipped=skipped, fallback=True,
                                          encodings=encodings, repaired=repaired):
            if first and cols.id_named and cols.id not in record:
                missing_id = (where, list(record))
                break
            first = False
            try:
                article = _from_record(record, where, cols)
            except DataError as exc:
                reject(where, f"parse failure: {exc}")
                continue
            report.read += 1
            yield article
    except DataError as exc:  # the file as a whole (unreadable, not gzip)
        reject(str(path), f"unreadable file: {exc}")
    if missing_id is not None:  # a misspelt column, not one bad record: every id would be made up
        fields = ", ".join(repr(k) for k in missing_id[1])
        raise DataError(f"{missing_id[0]}: no field {cols.id!r} (the --id-col); fields are {fields}; "
                        "name the id column with --id-col, or leave it out to use 'id' where present")
    for s in skipped:
        reject(s.where, s.reason if s.reason.startswith(("parse failure", "unreadable")) else
               f"parse failure: {s.reason}")
    for encoding in encodings:
        report.decoded[encoding] += 1
    report.repaired += len(repaired)
    rejects += [{"source": where, "status": "repaired", "reason": REPAIRED} for where in repaired]


def import_paths(paths: list[str | Path], out: str | Path, *, profile: PageProfile = DEFAULT_PROFILE,
                 columns: Columns | None = None, tag_map: dict[str, str] | None = None, dedupe: str = "exact",
                 near_threshold: float = 0.9, require_tags: bool = True,
                 progress: Progress | None = None) -> ImportReport:
    """Import `paths` (files or folders) into the JSONL corpus `out`; rejects go to `<out>.rejects.jsonl`.

    `dedupe`: 'none', 'exact' (same normalised text) or 'near' (also TF-IDF cosine >= near_threshold);
    duplicates are merged into the first article of their group, with the union of their tags. When
    no article can be imported (empty, unreadable or all rejected), `DataError` says why and
    nothing is written, so an earlier import in `out` stays as it was.
    """
    if dedupe not in ("none", "exact", "near"):
        raise DataError(f"dedupe must be none, exact or near; got {dedupe!r}")
    progress = progress or no_progress
    out = Path(out)
    cols = columns or Columns()
    report = ImportReport(out, out.with_name(out.name.removesuffix(".gz").removesuffix(".jsonl") + ".rejects.jsonl"))
    rejects: list[dict] = []
    kept: list[Article] = []
    missing = [str(p) for p in map(Path, paths) if not p.exists()]
    if missing:
        raise DataError(f"no such file or folder: {', '.join(missing)}")
    for target in (out, report.rejects):
        if any(target.resolve() == f.resolve() for f in _files([Path(p) for p in paths])):
            raise DataError(f"{target}: is one of the inputs; writing it would overwrite it; choose another --out")
    progress("reading", 0, 0)
    for article in _articles([Path(p) for p in paths], profile, cols, report, rejects):
        _repair(article, report, rejects)
        if tag_map:
            article.tags = apply_tag_map([article.tags], tag_map)[0]
        reason = None
        if not (article.text or "").strip():
            reason = "no text"
        elif require_tags and not article.tags:
            reason = "no tags"
        if reason:
            report.rejected[reason] += 1
            rejects.append({"source": article.source, "status": "rejected", "reason": reason})
            continue
        kept.append(article)
        if len(kept) % 1000 == 0:
            progress("reading", len(kept), 0)
    progress("reading", len(kept), len(kept))
    if not kept:
        raise _nothing_imported([Path(p) for p in paths], report, rejects)
    kept = _unique_ids(kept)
    if dedupe != "none" and kept:
        progress("duplicates", 0, 1)
        kept = _merge_duplicates(kept, dedupe, near_threshold, report, rejects)
        progress("duplicates", 1, 1)
    report.imported = len(kept)
    atomic_write_text(out, "".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in kept))
    atomic_write_text(report.rejects, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects))
    return report


def _repair(article: Article, report: ImportReport, rejects: list[dict]) -> None:
    """Lone surrogates that came some other way than a JSONL record (which the reader repairs), such
    as an HTML page's JSON-LD, replaced by U+FFFD: counted and listed, as the reader's are."""
    fields = vars(article)
    fixed = repair_surrogates(fields)
    if fixed != fields:
        fields.update(fixed)
        report.repaired += 1
        rejects.append({"source": article.source, "status": "repaired", "reason": REPAIRED})


def _nothing_imported(paths: list[Path], report: ImportReport, rejects: list[dict]) -> DataError:
    names = ", ".join(map(str, paths[:3])) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    if not rejects:
        return DataError(f"nothing imported from {names}: no record found (empty files, or none); give saved "
                         "pages or exports that hold articles")
    reasons = ", ".join(f"{reason}: {n}" for reason, n in report.rejected.most_common())
    hint = "; articles without tags are kept with --allow-untagged" if report.rejected.get("no tags") else ""
    return DataError(f"nothing imported from {names}: every record was rejected ({reasons}); the first, "
                     f"{rejects[0]['source']}: {rejects[0]['reason']}{hint}")


def _unique_ids(articles: list[Article]) -> list[Article]:
    seen: Counter = Counter()
    for a in articles:
        base = a.id or (hashlib.sha1(a.url.encode()).hexdigest()[:12] if a.url else text_key(a.text)[:12])
        seen[base] += 1
        a.id = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return articles


def _merge_duplicates(articles: list[Article], dedupe: str, threshold: float, report: ImportReport,
                      rejects: list[dict]) -> list[Article]:
    from classifier.corpus.duplicates import Pair

    by_key: dict[str, int] = {}
    pairs = []
    for i, a in enumerate(articles):
        key = text_key(a.title + "\n" + a.text)
        if key in by_key:
            pairs.append(Pair(by_key[key], i, 1.0))
        else:
            by_key[key] = i
    if dedupe == "near":
        pairs += find_duplicates([a.title + "\n" + a.text for a in articles], threshold=threshold)
    drop = set()
    for group in groups(len(articles), pairs):
        keep = articles[group[0]]
        for i in group[1:]:
            other = articles[i]
            keep.tags = list(dict.fromkeys(keep.tags + other.tags))
            drop.add(i)
            report.merged += 1
            rejects.append({"source": other.source, "id": other.id, "status": "merged",
                            "reason": f"duplicate of {keep.id}"})
    return [a for i, a in enumerate(articles) if i not in drop]
