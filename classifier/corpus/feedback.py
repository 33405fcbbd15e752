"""The editors' feedback file: one JSON line per decision on an article (`append_event`), read back
with a torn or damaged line reported and skipped (`read_feedback`), and turned into corrected
articles (`corrected_articles`) that training and evaluation add to their data.

An event is `{"id", "title", "section", "text", "accepted", "rejected", "added", ...}` (tags as
lists; other fields, such as the run that suggested the tags and the time, are kept as they are). An article's
tags are its latest event's `accepted` + `added`, minus `rejected`.

Appending is safe for several processes at once and for crashes: each event is encoded whole, then
written with one `write()` on a file opened with O_APPEND, under an exclusive `flock`, and fsynced
before the lock is let go. A crash loses at most the event being written; if it left part of a line,
the next append starts on a new line, so the fragment stays a line of its own that readers skip.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.corpus.articles import article_text, split_tags
from classifier.errors import DataError, StorageError
from classifier.types import Skipped

TAG_FIELDS = ("accepted", "rejected", "added")


@dataclass
class Feedback:
    """What a feedback file holds: its events in file order, and the lines that were not events."""

    path: str
    events: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class CorrectedArticles:
    """The articles the editors corrected, one per id (its latest event), with their final tags."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)
    events: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def check_event(event: Any, where: str = "feedback") -> dict[str, Any]:
    """`event` with its id as text and its tag lists cleaned; `DataError` naming `where` when it is no event."""
    if not isinstance(event, dict):
        raise DataError(f"{where}: an event is a JSON object; got {type(event).__name__}")
    raw_id = event.get("id")
    if raw_id is None or isinstance(raw_id, (bool, dict, list)) or str(raw_id).strip() == "":
        raise DataError(f"{where}: field 'id' is missing or empty; every event names its article")
    out = dict(event)
    out["id"] = str(raw_id).strip()
    for name in ("title", "text", "section"):
        value = event.get(name)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{where}: field {name!r} must be text; got {type(value).__name__}")
    if not article_text(event.get("title"), event.get("text")):
        raise DataError(f"{where}: the article has no text (title and text are empty)")
    for name in TAG_FIELDS:
        out[name] = split_tags(event.get(name) or [], f"{where}: field {name!r}")
    return out


def append_event(path: str | Path, event: dict[str, Any]) -> dict[str, Any]:
    """Append `event` (checked by `check_event`) to the feedback file at `path` as one JSON line,
    durably: one write() on an O_APPEND descriptor under an exclusive flock, then fsync. The file and
    its folder are created when missing. Raises `DataError` for a bad event, `StorageError` when the
    file cannot be written. Returns the event as written."""
    path = Path(path)
    event = check_event(event)
    line = (json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)  # read: its last byte
    except OSError as exc:
        raise StorageError(f"{path}: the feedback file cannot be opened for writing ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a crash left part of a line: keep that fragment on a line of its own
        written = os.write(fd, line)
        if written != len(line):  # a full disk: the reader skips the part that was written
            raise StorageError(f"{path}: only {written} of {len(line)} bytes of the event were written (disk full?)")
        os.fsync(fd)
    except StorageError:
        raise
    except OSError as exc:
        raise StorageError(f"{path}: the event could not be written ({exc.strerror or exc})") from None
    finally:
        os.close(fd)  # closing lets the lock go
    if created:
        _fsync_folder(path.parent)
    return event


def _fsync_folder(folder: Path) -> None:
    """Make a new file's name durable too (its folder's entry)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_feedback(path: str | Path) -> Feedback:
    """Every event of the feedback file at `path`, in order. A line that is not a whole JSON event (the
    torn last line of a writer that crashed, or a damaged one) is skipped and listed in `skipped`
    with its line number and reason. A missing file raises `DataError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: the feedback file cannot be read ({exc.strerror or exc})") from None
    out = Feedback(str(path))
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        torn = number == len(lines)  # no newline after it: its writer did not finish
        try:
            out.events.append(check_event(json.loads(raw.decode("utf-8")), where))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            reason = "an unfinished last line (a writer stopped mid-write)" if torn else f"not valid JSON ({exc})"
            out.skipped.append(Skipped(where, reason))
        except DataError as exc:
            out.skipped.append(Skipped(where, str(exc).removeprefix(f"{where}: ")))
    return out


def final_tags(event: dict[str, Any]) -> list[str]:
    """The editor's tags for the article: accepted + added (in that order, once each), minus rejected."""
    rejected = set(event.get("rejected") or ())
    out: list[str] = []
    for tag in [*(event.get("accepted") or ()), *(event.get("added") or ())]:
        if tag not in rejected and tag not in out:
            out.append(tag)
    return out


def corrected_articles(feedback: Feedback | Iterable[dict[str, Any]]) -> CorrectedArticles:
    """One article per id, from its latest event (later lines win), in the order of those events:
    its text (title and text joined as corpora join them) and its final tags."""
    events = feedback.events if isinstance(feedback, Feedback) else list(feedback)
    latest: dict[str, dict[str, Any]] = {}
    for event in events:
        latest.pop(event["id"], None)  # re-inserted: the order is that of each id's latest event
        latest[event["id"]] = event
    out = CorrectedArticles(events=len(events),
                            skipped=list(feedback.skipped) if isinstance(feedback, Feedback) else [])
    for article_id, event in latest.items():
        out.ids.append(article_id)
        out.texts.append(article_text(event.get("title"), event.get("text"), event.get("section")))
        out.tags.append(final_tags(event))
    return out


def load_corrections(path: str | Path) -> CorrectedArticles:
    """`corrected_articles(read_feedback(path))`."""
    return corrected_articles(read_feedback(path))
