"""Writing files so that a crash mid-write leaves the previous file intact, and hashing them."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from classifier.errors import WriteError

_WHY = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
        errno.EFBIG: "past the largest file allowed here (the file system's or this process's limit)",
        errno.EROFS: "the file system is read-only", errno.EACCES: "no permission to write there",
        errno.EPERM: "no permission to write there"}


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words: its message and, for the usual write
    failures, what it means ("No space left on device: the disk is full")."""
    said = exc.strerror or str(exc) or type(exc).__name__
    return f"{said}: {_WHY[exc.errno]}" if exc.errno in _WHY else said


def write_error(path: Path, exc: OSError, left: str) -> WriteError:
    """A `WriteError` for `path` that `exc` stopped: "PATH: could not be written (why); LEFT", with the
    file and the reason also in its `filename` and `strerror`."""
    error = WriteError(f"{path}: could not be written ({os_reason(exc)}); {left}")
    error.errno, error.filename, error.strerror = exc.errno, str(path), os_reason(exc)
    return error


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, fsync it, then rename it over `path`.

    On any error (or interrupt) the temporary file is removed and `path` is left as it was; an
    `OSError` (a full disk, a file size limit) comes as a `WriteError` naming `path` and why."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc, "nothing was written") from exc
    os.close(fd)
    try:
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600; give the file the usual permissions
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            left = "the file there is unchanged" if path.exists() else "nothing was written"
            raise write_error(path, exc, left) from exc
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` through a temporary file and a rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, payload: Any) -> None:
    """Atomically write pretty, UTF-8 JSON."""
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe in a spreadsheet: text starting like a formula (= + - @, tab, CR) gets a leading
    apostrophe, so a tag such as =HYPERLINK(...) shows as text instead of running (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
