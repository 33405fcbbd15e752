"""Tag maps: a CSV of `from,to` rows that renames tags (or, with an empty `to`, drops them)."""

from __future__ import annotations

import csv
from pathlib import Path

from classifier.errors import DataError


def load_tag_map(path: str | Path) -> dict[str, str]:
    """A CSV of `from,to` rows (a header row named from,to is allowed); an empty `to` drops the tag."""
    path = Path(path)
    try:
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    except FileNotFoundError:
        raise DataError(f"{path}: no such tag map; give a CSV with from,to columns") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not valid UTF-8; re-save the tag map as UTF-8") from None
    mapping: dict[str, str] = {}
    for lineno, row in enumerate(rows, 1):
        if not row or (lineno == 1 and [c.strip().lower() for c in row[:2]] == ["from", "to"]):
            continue
        if len(row) < 2:
            raise DataError(f"{path}:{lineno}: expected two columns from,to; got {row!r}")
        mapping[row[0].strip()] = row[1].strip()
    return mapping


def apply_tag_map(tag_lists: list[list[str]], mapping: dict[str, str]) -> list[list[str]]:
    """Each tag list with the map applied; dropped and repeated tags removed, order kept."""
    return [[t for t in dict.fromkeys(mapping.get(t, t) for t in tags) if t] for tags in tag_lists]
