"""The model a worker process answers with, and how every worker swaps in another run.

A request takes `ModelState.current` (a `Loaded`: the model and the run's name) once and answers
with it, so a swap never changes the model under a request in flight, and each response names the
run that answered it. A swap is one reference assignment.

Reload across worker processes: a reload request reaches one worker, which loads the run, swaps it
in and writes the run's folder into the control file (atomically: a temporary file renamed over
it). Every worker's watcher thread checks that file's identity (one `stat`) every `poll` seconds;
when it changed and names another run, the watcher loads that run in the background and swaps it in
when it is ready, the old model answering until then. A worker that starts later (uvicorn restarts
a dead one) reads the control file first, so it serves the same run as the others.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("classifier.service")

WARM_TEXT = "Le gouvernement a présenté le budget de la santé et de l'éducation."


@dataclass(frozen=True)
class Loaded:
    model: Any
    run_id: str
    run_dir: str
    loaded_at: float


def prepared(model: Any) -> Loaded:
    """`model` ready to serve: weights decoded once (else each small request would decode its rows
    from the compressed streams), work kept in this process (a worker does not fork), caches built."""
    from classifier import predict

    _ = model.coef_
    model.n_jobs = 1
    predict(model, [WARM_TEXT], explain=1)  # builds the per-model caches (tag names, terms, slope)
    run_dir = str(getattr(model, "manifest_", {}).get("run_dir", ""))
    return Loaded(model, Path(run_dir).name or "unnamed", run_dir, time.time())


def load_run(run: str | Path | None) -> Loaded:
    """Load and prepare a run: a run folder, a run's name under the artifacts root, or None for the
    newest (`latest`). Raises the library's `ModelError` when it cannot be loaded."""
    from classifier import artifacts_root, load_model

    if run is not None and not Path(run).exists() and (artifacts_root() / str(run)).exists():
        run = artifacts_root() / str(run)
    return prepared(load_model(run))


class ModelState:
    """The current model of this worker; `control` is the file shared by the workers of one server."""

    def __init__(self, *, run: str | Path | None = None, model: Any = None, control: str | Path | None = None,
                 poll: float = 0.2):
        self.run = run
        self.control = Path(control) if control is not None else None
        self.poll = poll
        self.current: Loaded | None = prepared(model) if model is not None else None
        self.error: str | None = None
        self._seen: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swap = threading.Lock()

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Load the first model (unless given) and watch the control file, in a background thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="classifier-model-watch", daemon=True)
            self._thread.start()

    def ensure_watching(self) -> None:
        """Start the watcher again if it ended while the app runs (called on each ready check: one
        look at a flag), so that a worker never stays deaf to reloads."""
        thread = self._thread
        if thread is not None and not thread.is_alive() and not self._stop.is_set():
            log.warning("worker %d: the model watcher had stopped; starting it again", os.getpid())
            self._thread = None
            self.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self) -> None:
        if self.current is None:
            wanted = self._control_run() or self.run
            self._load_quietly(wanted)
        while not self._stop.wait(self.poll):
            try:
                self.check()
            except Exception:  # a failed look is retried at the next poll; the watcher never dies
                log.exception("worker %d: cannot read the control file %s", os.getpid(), self.control)

    # -------------------------------------------------------------- swapping
    def _load_quietly(self, run: Any) -> None:
        from classifier import ClassifierError

        try:
            loaded = load_run(run)
        except ClassifierError as exc:
            self.error = str(exc)
            log.error("cannot load the model: %s", exc)
            return
        except Exception as exc:  # never let the watcher die
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("cannot load the model")
            return
        self._install(loaded)

    def _install(self, loaded: Loaded) -> Loaded | None:
        with self._swap:
            previous, self.current, self.error = self.current, loaded, None
        log.info("serving run %s (%s), worker %d", loaded.run_id, loaded.run_dir, os.getpid())
        return previous

    def reload(self, run: str | Path | None) -> tuple[Loaded, Loaded | None]:
        """Load `run` here (raising `ModelError` if it cannot be), swap it in, and tell the other
        workers through the control file. Returns (new, previous)."""
        loaded = load_run(run)
        previous = self._install(loaded)
        if self.control is not None:
            write_control(self.control, loaded.run_dir)
            self._seen = _identity(self.control)
        return loaded, previous

    def check(self) -> None:
        """One look at the control file: load and swap in the run it names if it changed."""
        identity = _identity(self.control) if self.control is not None else None
        if identity is None or identity == self._seen:
            return
        self._seen = identity
        wanted = self._control_run()
        if wanted and (self.current is None or Path(wanted) != Path(self.current.run_dir)):
            log.info("worker %d: the control file names run %s; loading it", os.getpid(), wanted)
            self._load_quietly(wanted)

    def _control_run(self) -> str | None:
        if self.control is None:
            return None
        try:
            run = json.loads(self.control.read_text(encoding="utf-8")).get("run")
        except (OSError, ValueError, AttributeError):
            return None
        return str(run) if run else None


def _identity(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def write_control(path: str | Path, run_dir: str) -> None:
    """Name `run_dir` in the control file, atomically (every worker reads a whole file)."""
    from classifier.fileio import atomic_write_text

    atomic_write_text(Path(path), json.dumps({"run": str(run_dir), "at": time.time()}) + "\n")
