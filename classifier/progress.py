"""How long work reports its progress: a callable the caller passes in, silent by default."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; total 0 means 'unknown'."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default `Progress`: report nothing."""
