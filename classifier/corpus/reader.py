"""The one reader of files: every corpus, page and text the tool reads comes through here.

It knows file kinds by name (a trailing .gz is allowed), decompresses, decodes, and turns tabular
files (JSONL, CSV, TSV, Parquet) into records. One switch says what a bad record does:
`on_error="raise"` stops with a `DataError` naming the file and line (training, prediction), and
`on_error="skip"` records it in `skipped` with its reason and goes on (import, or a user who asked).
Nothing is ever dropped without a `Skipped` entry. A JSON string may escape half of a UTF-16 pair
alone (`"\\ud800"`), which no UTF-8 file can hold: such a lone surrogate is replaced by U+FFFD and
the record is listed in `repaired`, not dropped, so one cut emoji does not cost its article.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from classifier.errors import DataError
from classifier.types import Skipped

OnError = Literal["raise", "skip"]

KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv",
         ".parquet": "parquet", ".txt": "page", ".text": "page", ".html": "html", ".htm": "html", ".xhtml": "html"}
TABLE_KINDS = ("jsonl", "csv", "tsv", "parquet")
TABLE_SUFFIXES = tuple(s for s, k in KINDS.items() if k in TABLE_KINDS)
FALLBACK_ENCODING = "cp1252"


def file_kind(path: str | Path) -> str | None:
    """'jsonl', 'csv', 'tsv', 'parquet', 'page' (plain text) or 'html' from the name; None if unknown."""
    name = Path(path).name.lower().removesuffix(".gz")
    return next((kind for suffix, kind in KINDS.items() if name.endswith(suffix)), None)


def is_corpus_file(path: str | Path) -> bool:
    """Whether `path` names a corpus (JSONL, CSV, TSV, Parquet; .gz allowed; or a folder of such
    parts) rather than one article."""
    return file_kind(path) in TABLE_KINDS or Path(path).is_dir()


def corpus_files(path: str | Path) -> list[Path]:
    """The files of a corpus: `path` itself, or for a folder (a dataset written in parts, such as
    `part-00000.parquet` ...) its JSONL, CSV, TSV and Parquet files in name order (each read as its
    own kind), hidden ones and sub-folders left out. A folder with none is a `DataError`."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                   and file_kind(p) in TABLE_KINDS)
    if not files:
        raise DataError(f"{path}: no JSONL, CSV, TSV or Parquet file in this folder; give a corpus file, or a "
                        "folder of its parts")
    return files


def table_kind(path: str | Path) -> str:
    """The tabular kind of `path` (a folder: of its parts), or a `DataError` that lists the kinds this reads."""
    if Path(path).is_dir():
        return file_kind(corpus_files(path)[0])
    kind = file_kind(path)
    if kind not in TABLE_KINDS:
        raise DataError(f"{path}: unknown file type; use one of {', '.join(TABLE_SUFFIXES)} (optionally .gz), "
                        "or pass the text with --file for a single plain-text article")
    return kind


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give a file (JSONL, CSV, Parquet or a plain-text article)")


def limits() -> tuple[int, int]:
    """(longest line in bytes, largest expansion of a .gz file): $CLASSIFIER_MAX_LINE_BYTES (default
    64 MiB) and $CLASSIFIER_MAX_GZIP_RATIO (default 200; text compresses about 3 to 10 times, so
    more is a decompression bomb). A .gz file may always expand to 64 MiB."""
    return (int(os.environ.get("CLASSIFIER_MAX_LINE_BYTES", 64 << 20)),
            int(os.environ.get("CLASSIFIER_MAX_GZIP_RATIO", 200)))


class _Bounded(io.RawIOBase):
    """A .gz file's decompressed bytes, refusing to expand past its bound (a decompression bomb)."""

    def __init__(self, path: Path):
        self.path, self.inner, self.read_so_far = path, gzip.open(path, "rb"), 0
        self.bound = max(64 << 20, limits()[1] * path.stat().st_size)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.inner.readinto(buffer)
        self.read_so_far += n
        if self.read_so_far > self.bound:
            raise DataError(f"{self.path}: expands past {self.bound >> 20} MiB, over {limits()[1]} times its "
                            "size: a decompression bomb? (raise CLASSIFIER_MAX_GZIP_RATIO if it is real)")
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def _open(path: Path):
    _check_file(path)
    if path.name.lower().endswith(".gz"):
        return io.BufferedReader(_Bounded(path), 1 << 20)
    return open(path, "rb")


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, decompressed if it ends in .gz (within `limits`)."""
    path = Path(path)
    try:
        with _open(path) as handle:
            return handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc}); is the file truncated or not gzip?") from None


def decode(data: bytes, where: str, *, fallback: bool = True) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (a BOM is dropped), else Windows-1252 when `fallback`;
    binary data (NUL bytes) is refused."""
    if b"\x00" in data[:4096]:
        raise DataError(f"{where}: unreadable encoding (binary data, NUL bytes)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        if not fallback:
            raise DataError(f"{where}: not valid UTF-8 ({exc.reason} at byte {exc.start + 1}); re-save it as "
                            "UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)") from None
    try:
        return data.decode(FALLBACK_ENCODING), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_text(path: str | Path, *, fallback: bool = True) -> tuple[str, str]:
    """A whole text file (a page, an article) and its encoding."""
    return decode(read_bytes(path), str(path), fallback=fallback)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
REPAIRED = "a lone UTF-16 surrogate (an escape such as \\ud800 without its pair) replaced by U+FFFD"


def repair_surrogates(value):
    """`value` (a string, or JSON's lists and objects of them) with every lone surrogate replaced by
    U+FFFD: text that cannot be written as UTF-8 otherwise. Other values are returned as they are."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [repair_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {repair_surrogates(k): repair_surrogates(v) for k, v in value.items()}
    return value


def repaired_note(places: list[str]) -> str:
    """One line saying which records had lone surrogates replaced (the first five named)."""
    shown = ", ".join(places[:5]) + (" ..." if len(places) > 5 else "")
    return f"{len(places)} record(s) had {REPAIRED}: {shown}"


class _Sink:
    """Where bad records go: raised, or appended to `skipped`."""

    def __init__(self, on_error: OnError, skipped: list[Skipped] | None):
        if on_error not in ("raise", "skip"):
            raise DataError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
        self.on_error = on_error
        self.skipped = skipped if skipped is not None else []

    def __call__(self, where: str, reason: str, fix: str = "") -> None:
        if self.on_error == "raise":
            raise DataError(f"{where}: {reason}" + (f"; {fix}" if fix else ""))
        self.skipped.append(Skipped(where, reason))


def iter_records(path: str | Path, *, on_error: OnError = "raise", skipped: list[Skipped] | None = None,
                 fallback: bool = False, encodings: Counter | None = None, part: Part | None = None,
                 repaired: list[str] | None = None) -> Iterator[tuple[str, dict]]:
    """(where, record) for every record of a JSONL, CSV, TSV or Parquet file (optionally .gz), or of
    every part of a folder of them (`corpus_files`, in name order), where is "file:line" (CSV lines
    count the header) or "file:row N" (Parquet), naming the part the record is in.

    JSONL streams line by line and is decoded line by line, so one bad line costs only itself; CSV,
    TSV and Parquet stream `_TABLE_ROWS` rows at a time (a CSV's encoding is found in one pass over
    its bytes first, a .parquet.gz is decompressed whole). With `fallback`, text that is not UTF-8
    is read as Windows-1252 (counted in `encodings`), else it is a bad record. Bad records raise or
    go to `skipped` as `on_error` says. `part` (from `split`) reads only the lines of one part of an
    uncompressed JSONL file, still named by their line numbers. A JSONL record whose strings hold a
    lone surrogate comes with U+FFFD in its place, its `where` appended to `repaired`.
    """
    path = Path(path)
    kind = table_kind(path)
    sink = _Sink(on_error, skipped)
    encodings = encodings if encodings is not None else Counter()
    if path.is_dir():
        if part not in (None, WHOLE):
            raise DataError(f"{path}: a folder is read part file by part file, not in byte ranges")
        for file in corpus_files(path):
            yield from iter_records(file, on_error=on_error, skipped=sink.skipped, fallback=fallback,
                                    encodings=encodings, repaired=repaired)
        return
    if part not in (None, WHOLE) and (kind != "jsonl" or path.name.lower().endswith(".gz")):
        raise DataError(f"{path}: only an uncompressed JSONL file can be read in parts")
    if kind == "jsonl":
        yield from _jsonl(path, sink, fallback, encodings, part or WHOLE, repaired if repaired is not None else [])
    else:
        yield from _table(path, kind, sink, fallback, encodings)


@dataclass(frozen=True)
class Part:
    """Lines of a JSONL file from byte `start` (a line's start) to byte `end` (exclusive; -1: the
    end of the file); the first of them is line `first_line`."""

    start: int
    end: int
    first_line: int


WHOLE = Part(0, -1, 1)


def split(path: str | Path, target_bytes: int = 64 << 20) -> list[Part]:
    """An uncompressed JSONL file cut into parts of about `target_bytes` at line starts, with the line
    number each part starts at (one sequential pass counting line breaks); other files: one part."""
    path = Path(path)
    if file_kind(path) != "jsonl" or path.name.lower().endswith(".gz"):
        return [WHOLE]
    _check_file(path)
    size = path.stat().st_size
    parts, start, line = [], 0, 1
    with open(path, "rb") as handle:
        while start < size:
            handle.seek(min(size, start + target_bytes))
            handle.readline()  # to the next line start
            end = min(size, handle.tell())
            handle.seek(start)
            lines = 0
            left = end - start
            while left > 0:  # count line breaks in blocks
                block = handle.read(min(left, 8 << 20))
                lines += block.count(b"\n")
                left -= len(block)
            parts.append(Part(start, end, line))
            start, line = end, line + lines
    return parts or [WHOLE]


def _jsonl(path: Path, sink: _Sink, fallback: bool, encodings: Counter, part: Part,
           repaired: list[str]) -> Iterator[tuple[str, dict]]:
    with _open(path) as handle:
        if part.start:
            handle.seek(part.start)
        lineno = part.first_line - 1
        longest = limits()[0]
        while part.end < 0 or handle.tell() < part.end:
            lineno += 1
            where = f"{path}:{lineno}"
            try:
                data = handle.readline(longest + 1)
            except (OSError, EOFError) as exc:
                raise DataError(f"{path}: cannot read ({exc}); is the file truncated or not gzip?") from None
            if not data:
                return
            if len(data) > longest and not data.endswith(b"\n"):
                raise DataError(f"{where}: a line longer than {longest >> 20} MiB; is this JSONL? (raise "
                                "CLASSIFIER_MAX_LINE_BYTES if it is real)")
            if not data.strip():
                ahead = handle.peek(1 << 16) if data == b"\n" else b""
                run = len(ahead) - len(ahead.lstrip(b"\n"))  # a run of empty lines, skipped at once
                if run:
                    handle.read(run)
                    lineno += run
                continue
            try:
                line, encoding = decode(data, where, fallback=fallback)
            except DataError as exc:
                sink(where, str(exc).removeprefix(f"{where}: "))
                continue
            encodings[encoding] += 1
            try:
                record = json.loads(line)
                if _SURROGATE_ESCAPE.search(line) and (fixed := repair_surrogates(record)) != record:
                    record = fixed
                    repaired.append(where)
            except json.JSONDecodeError as exc:
                sink(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                sink(where, "invalid JSON (nested too deeply)")
                continue
            if not isinstance(record, dict):
                sink(where, f"expected a JSON object, got {type(record).__name__}")
                continue
            yield where, record


_TABLE_ROWS = 10_000  # rows of a CSV or Parquet file converted at a time


def _text_encoding(path: Path, fallback: bool) -> str:
    """The encoding of a text file, found in one streaming pass over its bytes as `decode` would
    find it for the whole: utf-8-sig, else (with `fallback`) cp1252, else latin-1. `DataError` for
    binary data, or for text that is not UTF-8 without `fallback`."""
    import codecs

    with _open(path) as handle:
        names = ("utf-8-sig", FALLBACK_ENCODING) if fallback else ("utf-8-sig",)
        decoders = {name: codecs.getincrementaldecoder(name)() for name in names}
        offset, first = 0, True
        while decoders:
            block = handle.read(1 << 20)
            if first and b"\x00" in block[:4096]:
                raise DataError(f"{path}: unreadable encoding (binary data, NUL bytes)")
            first = False
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    if name == "utf-8-sig" and not fallback:
                        raise DataError(f"{path}: not valid UTF-8 ({exc.reason} at byte {offset + exc.start + 1}); "
                                        "re-save it as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)") from None
                    del decoders[name]
            if "utf-8-sig" in decoders and not block:
                return "utf-8-sig"
            if not block:
                break
            offset += len(block)
    return next(iter(decoders), "latin-1")


def _frames(path: Path, kind: str, fallback: bool, encodings: Counter) -> Iterator:
    """The file as pandas frames of at most `_TABLE_ROWS` rows, read as they are needed."""
    import pandas as pd

    if kind == "parquet":
        import pyarrow.parquet as pq

        source = io.BytesIO(read_bytes(path)) if path.name.lower().endswith(".gz") else path
        for batch in pq.ParquetFile(source).iter_batches(batch_size=_TABLE_ROWS):
            yield batch.to_pandas()
        return
    encoding = _text_encoding(path, fallback)
    encodings[{"utf-8-sig": "utf-8", FALLBACK_ENCODING: "windows-1252"}.get(encoding, encoding)] += 1
    with io.TextIOWrapper(_open(path), encoding=encoding, newline="") as text:
        yield from pd.read_csv(text, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False,
                               chunksize=_TABLE_ROWS)


def _table(path: Path, kind: str, sink: _Sink, fallback: bool, encodings: Counter) -> Iterator[tuple[str, dict]]:
    """A CSV, TSV or Parquet file's records, `_TABLE_ROWS` rows at a time (memory does not grow with
    the file). A file that cannot be read goes to `sink` whole; one that breaks off part way, from
    the row where it breaks (the rows before it were read)."""
    import pandas as pd

    rows = 0
    try:
        for frame in _frames(path, kind, fallback, encodings):
            for record in frame.to_dict(orient="records"):
                rows += 1
                yield (f"{path}:row {rows}" if kind == "parquet" else f"{path}:{rows + 1}"), record
    except DataError as exc:
        sink(str(path), str(exc).removeprefix(f"{path}: "))
    except pd.errors.EmptyDataError:
        sink(str(path), "the file is empty", "it needs a header row and one row per article")
    except Exception as exc:  # pandas and pyarrow raise many types for malformed files
        sink(str(path), f"cannot read as {kind.upper()} ({str(exc).strip()})"
             + (f" after its first {rows} rows" if rows else ""))
