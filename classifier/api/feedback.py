"""The editors' feedback: where the file lives and recording one decision (the service's
`POST /v1/feedback`); `train` and `evaluate` read it back through `corpus.feedback`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.api.runs import artifacts_root
from classifier.corpus.feedback import append_event, final_tags

FEEDBACK_FILE = "feedback.jsonl"


def feedback_file(path: str | Path | None = None) -> Path:
    """`path`, or the default feedback file: feedback.jsonl in the artifacts root."""
    return Path(path) if path is not None else artifacts_root() / FEEDBACK_FILE


def record_feedback(event: dict[str, Any], path: str | Path | None = None) -> list[str]:
    """Append an editor's decision on an article (`id`, `title`, `text`, `accepted`, `rejected`,
    `added`, and any other fields) to the feedback file, durably; returns the article's final tags.
    Raises `DataError` for a malformed event, `StorageError` when the file cannot be written."""
    return final_tags(append_event(feedback_file(path), event))
