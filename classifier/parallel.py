"""Sharing work among the cores: threads for numpy / scipy / LAPACK work that releases the GIL
(row blocks), forked processes for Python-level work (tokenising, per-tag solvers); and how much
memory the machine has free."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

PARALLEL_MIN_TEXTS = 1000


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


_worker_fn: Callable[[Any], Any] | None = None
_worker_chunks: Sequence[Any] = ()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when its parent dies (even by SIGKILL), so a killed `train` or
    `predict` leaves no worker blocked forever; elsewhere a no-op."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _init_worker(fn: Callable[[Any], Any], chunks: Sequence[Any], parent: int | None = None) -> None:
    global _worker_fn, _worker_chunks
    _worker_fn, _worker_chunks = fn, chunks
    if parent is not None:
        _die_with_parent(parent)


def _run_worker(k: int) -> Any:
    assert _worker_fn is not None
    return _worker_fn(_worker_chunks[k])


def fork_available() -> bool:
    return "fork" in mp.get_all_start_methods()


def map_chunks(fn: Callable[[Any], Any], chunks: Sequence[Any], *, here: bool = True) -> list[Any]:
    """`[fn(chunk) for chunk in chunks]`, the first chunk in this process and each other one in a
    forked process. Workers inherit `fn`, whatever it refers to and the chunks instead of receiving
    them pickled; only results come back. Without fork (or with one chunk) all run here.

    `here=False` sends every chunk to a worker (when fork is available), so that what `fn` imports
    or leaves allocated goes away with the workers instead of staying in this process."""
    if not fork_available() or (here and len(chunks) <= 1):
        return [fn(chunk) for chunk in chunks]
    first = 1 if here else 0
    with ProcessPoolExecutor(max(1, len(chunks) - first), mp_context=mp.get_context("fork"),
                             initializer=_init_worker, initargs=(fn, chunks, os.getpid())) as pool:
        futures = [pool.submit(_run_worker, k) for k in range(first, len(chunks))]
        mine = [fn(chunks[0])] if here else []  # this process takes its share meanwhile
        return mine + [f.result() for f in futures]


class Runner(Protocol):
    """Somewhere else to run tasks (a Dask cluster): `map` runs fn(*shared, chunk) for each chunk,
    sending `shared` to each worker once, and yields the results as they finish."""

    workers: int

    def map(self, fn: Callable[..., Any], shared: tuple, chunks: list) -> Iterator[Any]: ...


_runner: ContextVar[Runner | None] = ContextVar("runner", default=None)


@contextmanager
def use_runner(runner: Runner) -> Iterator[Runner]:
    """Make `runner` take `map_shared`'s tasks inside the block (in this thread)."""
    token = _runner.set(runner)
    try:
        yield runner
    finally:
        _runner.reset(token)


def map_shared(fn: Callable[..., Any], shared: tuple, items: Sequence[Any], *, n_jobs: int = 1,
               before_fork: Callable[[], object] | None = None) -> Iterator[Any]:
    """fn(*shared, chunk) over chunks of `items` (dealt in turn, so each chunk gets a share of the
    first items and of the last), yielding results as chunks finish, in any order: on the current
    `use_runner` runner, else on `n_jobs` forked processes that inherit `shared` (after
    `before_fork()` has built whatever they should inherit too), or here without fork."""
    import numpy as np

    runner = _runner.get()
    workers = runner.workers if runner is not None else max(1, n_jobs)
    count = max(1, min(len(items), 4 * workers if runner is not None or workers > 1 else 1))
    chunks = [np.asarray(items)[k::count] for k in range(count)]
    if runner is not None:
        yield from runner.map(fn, shared, chunks)
        return
    if before_fork is not None:
        before_fork()
    task = partial(fn, *shared)
    if workers == 1 or not fork_available():
        yield from map(task, chunks)
        return
    with ProcessPoolExecutor(min(workers, count), mp_context=mp.get_context("fork"), initializer=_init_worker,
                             initargs=(task, chunks, os.getpid())) as pool:
        yield from (f.result() for f in as_completed([pool.submit(_run_worker, k) for k in range(count)]))


def map_texts(fn: Callable[[Sequence[Any]], Any], texts: Sequence[Any], *, n_jobs: int = 1) -> list[Any]:
    """`fn` applied to consecutive chunks of `texts`, one chunk per process; results in order.

    Chunks hold about the same number of characters (an item that is not a string counts by its
    last element, e.g. the text of an (id, text) pair), since the work grows with text length.

    Worker processes are forked (where the platform can), so `fn`, whatever it refers to (the
    model) and the texts are inherited, not pickled; only results come back. Small batches and
    platforms without fork run in this process.
    """
    if n_jobs <= 1 or len(texts) < PARALLEL_MIN_TEXTS:  # (before counting the cores: a request's path)
        return [fn(texts)]
    n_jobs = max(1, min(n_jobs, mp.cpu_count()))
    if n_jobs == 1 or not fork_available():
        return [fn(texts)]
    import numpy as np

    sizes = np.fromiter((len(t if isinstance(t, str) else t[-1]) + 1 for t in texts), dtype=np.int64,
                        count=len(texts))
    ends = np.cumsum(sizes)
    bounds = [0, *np.searchsorted(ends, ends[-1] * np.arange(1, n_jobs) / n_jobs).tolist(), len(texts)]
    return map_chunks(fn, [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:])])


def available_memory() -> int | None:
    """Bytes of memory available now (Linux), or None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
