"""Run a function over items on a few threads: numpy's arithmetic, scipy's sparse products and
LAPACK release the GIL, so row blocks or tags share the cores without copying any data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def run_threads(fn: Callable[[T], object], items: Iterable[T], n_threads: int) -> None:
    """Call `fn(item)` for every item: on `n_threads` threads when more than one (and more than one
    item), else in order in this thread. The first error is raised again here."""
    items = list(items)
    if n_threads > 1 and len(items) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(n_threads, len(items))) as pool:
            list(pool.map(fn, items))
    else:
        for item in items:
            fn(item)
