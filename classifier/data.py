"""The one reader of corpora: JSONL, CSV and Parquet (optionally gzipped), validated up front.

Returns plain structures and never prints. Title and body are joined into one text; tags may be a
list or a delimited string; tag spellings that differ only by case or accents are merged.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import DataError
from .text import fold_accents
from .types import Corpus, Skipped

TRAINING_DATA = Path(__file__).resolve().parent.parent / "training_data"
DEFAULT_TRAIN = TRAINING_DATA / "orangesum_train.jsonl.gz"
DEFAULT_TEST = TRAINING_DATA / "orangesum_test.jsonl.gz"

SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
_TAG_SEPARATORS = ("|", ";", ",", " - ")


def file_kind(path: Path) -> str:
    """'jsonl', 'csv', 'tsv' or 'parquet' from the file name (a trailing .gz is allowed)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, kind in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".csv", "csv"),
                         (".tsv", "tsv"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return kind
    raise DataError(
        f"{path}: unknown file type; use one of {', '.join(SUFFIXES)} (optionally .gz), "
        "or pass the text with --file for a single plain-text article"
    )


def split_tags(value: Any, where: str, sep: str | None = None) -> list[str]:
    """A tag field as a list of stripped, NFC-normalised, de-duplicated tags.

    Accepts a list, a JSON list written as a string, or a delimited string (`sep`, or the first of
    | ; , ' - ' found in it).
    """
    if value is None:
        return []
    if isinstance(value, float) and value != value:  # pandas NaN
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text[1:-1]
        if isinstance(value, str):
            use = sep or next((s for s in _TAG_SEPARATORS if s in value), None)
            value = value.split(use) if use else [value]
    if hasattr(value, "tolist"):  # numpy array from Parquet
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise DataError(f"{where}: tags must be a list or a delimited string; got {type(value).__name__}")
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str):
            tag = str(tag)
        tag = " ".join(unicodedata.normalize("NFC", tag).split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def merge_tag_variants(tag_lists: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """Merge spellings that differ only by case or accents into the most frequent one.

    Returns the new tag lists and the merges made (variant -> kept spelling). Ties go to the
    spelling that sorts first, so the result is deterministic.
    """
    counts = Counter(t for tags in tag_lists for t in tags)
    groups: dict[str, list[str]] = {}
    for tag in counts:
        groups.setdefault(fold_accents(tag).casefold(), []).append(tag)
    merges: dict[str, str] = {}
    for spellings in groups.values():
        if len(spellings) > 1:
            keep = min(spellings, key=lambda t: (-counts[t], t))
            merges.update({t: keep for t in spellings if t != keep})
    if not merges:
        return tag_lists, merges
    merged = []
    for tags in tag_lists:
        out: list[str] = []
        for t in tags:
            t = merges.get(t, t)
            if t not in out:
                out.append(t)
        merged.append(out)
    return merged, merges


def _jsonl_records(path: Path) -> Iterator[tuple[str, dict]]:
    raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
    with raw as handle:
        lineno = 0
        while True:
            lineno += 1
            try:
                data = handle.readline()
            except (OSError, EOFError) as exc:
                raise DataError(f"{path}: cannot read ({exc}); is the file truncated or not gzip?") from None
            if not data:
                return
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"{path}:{lineno}: not valid UTF-8 ({exc.reason} at column {exc.start + 1}); "
                    "re-save the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)"
                ) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
            yield f"{path}:{lineno}", record


def _table_records(path: Path, kind: str) -> Iterator[tuple[str, dict]]:
    import pandas as pd

    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False,
                                encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start}); re-save the file as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; it needs a header row and one row per article") from None
    except Exception as exc:  # pandas and pyarrow raise many types for malformed files
        raise DataError(f"{path}: cannot read as {kind.upper()} ({exc})") from None
    offset = 2 if kind != "parquet" else 1  # CSV row numbers count the header line
    for i, record in enumerate(frame.to_dict(orient="records")):
        yield (f"{path}:{i + offset}" if kind != "parquet" else f"{path}:row {i + offset}"), record


def _iter_records(path: Path) -> Iterator[tuple[str, dict]]:
    kind = file_kind(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give a JSONL, CSV or Parquet file")
    if kind == "jsonl":
        return _jsonl_records(path)
    return _table_records(path, kind)


def _field(record: dict, name: str | None) -> Any:
    if name is None:
        return None
    value = record.get(name)
    if isinstance(value, float) and value != value:
        return None
    return value


def load_articles(
    path: str | Path,
    *,
    text_col: str = "text",
    tags_col: str | None = "tags",
    title_col: str | None = "title",
    id_col: str = "id",
    tag_sep: str | None = None,
    require_tags: bool = True,
    merge_variants: bool = True,
) -> Corpus:
    """Read a corpus file into a `Corpus`.

    Articles whose title and text are both empty are skipped and listed in `Corpus.skipped`.
    With `require_tags` the tags column must exist in every record (an empty list is allowed);
    otherwise tags are read when present.
    Raises `DataError` naming the file and line for anything it cannot use.
    """
    path = Path(path)
    ids: list[str] = []
    texts: list[str] = []
    tags: list[list[str]] = []
    skipped: list[Skipped] = []
    seen_text_col = seen_tags_col = False
    n_records = 0
    first_keys: list[str] = []
    for where, record in _iter_records(path):
        n_records += 1
        if n_records == 1:
            first_keys = list(record)
        has_text = text_col in record
        has_tags = tags_col is not None and tags_col in record
        seen_text_col |= has_text
        seen_tags_col |= has_tags
        if not has_text and not (title_col and title_col in record):
            raise DataError(
                f"{where}: no field {text_col!r}; fields are {', '.join(map(repr, record))}; "
                "name the text column with --text-col"
            )
        if require_tags and not has_tags:
            raise DataError(
                f"{where}: no field {tags_col!r}; fields are {', '.join(map(repr, record))}; "
                "name the tag column with --tags-col"
            )
        title = _field(record, title_col)
        body = _field(record, text_col)
        parts = [str(p).strip() for p in (title, body) if p is not None and str(p).strip()]
        if not parts:
            skipped.append(Skipped(where, "no text (title and body are empty)"))
            continue
        texts.append("\n".join(parts))
        raw_id = _field(record, id_col)
        ids.append(str(raw_id) if raw_id is not None and str(raw_id) != "" else str(n_records))
        tags.append(split_tags(_field(record, tags_col), f"{where}: field {tags_col!r}", tag_sep) if has_tags else [])
    if n_records == 0:
        raise DataError(f"{path}: the file has no articles (it is empty)")
    if not seen_text_col and not texts:
        raise DataError(f"{path}: no field {text_col!r} in any record; fields are {first_keys}")
    merges: dict[str, str] = {}
    if merge_variants and seen_tags_col:
        tags, merges = merge_tag_variants(tags)
    return Corpus(str(path), ids, texts, tags, skipped, merges, has_tags=seen_tags_col)


def iter_texts(lines: Iterable[str]) -> list[str]:
    """Plain-text input (one article per call) cleaned of surrounding white space."""
    return [line.strip() for line in lines if line.strip()]
