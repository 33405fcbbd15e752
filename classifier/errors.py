"""The project's error hierarchy. Library code raises these; only the CLI turns them into messages."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class for every error the tagger raises on purpose."""


class DataError(ClassifierError, ValueError):
    """A corpus or an input text is unreadable or malformed (the message names the file, line or field)."""


class ModelError(ClassifierError):
    """A saved model is missing, damaged, or from an incompatible format version."""


class NotFittedError(ClassifierError, AttributeError):
    """A model was used for prediction before it was trained."""


class WriteError(ClassifierError, OSError):
    """An output could not be written (a full disk, a file size limit, no permission); the message
    names what, and says what was left as it was."""

    def __str__(self) -> str:  # the message, not OSError's "[Errno N] ..." form, though errno is kept
        return str(self.args[0]) if self.args else ""


class ParseError(DataError):
    """A saved page could not be turned into an article (the message says what was missing)."""


class StorageError(WriteError):
    """A file the tool keeps (the feedback file) could not be written; the message names it and why.
    A `WriteError` like any other output that fails; the name stays for callers that catch it."""
