"""Saving and loading trained models: `model.joblib` plus `manifest.json` in a run folder.

Every write goes to a temporary file in the target folder and is renamed into place, so a crash
mid-write leaves the previous file intact. Loading checks the format version and the model file's
SHA-256 against the manifest, and says clearly what is wrong.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

from classifier.errors import DataError, ModelError, WriteError
from classifier.fileio import atomic_write, atomic_write_text, os_reason, sha256_of, write_json

FORMAT = "news-tag-classifier"
FORMAT_VERSION = 3  # 2: one-byte primal weights instead of the dual form; 3: the package's new module layout
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
LATEST = "latest"


AUTO = "auto"


def section_column(model: Any | None, given: str | None) -> str | None:
    """The section column to read: `given`, or for 'auto' the one `model`'s training read (its
    manifest names it; None when it learned none; 'section' for runs saved before manifests named
    it, and with no model)."""
    if given != AUTO:
        return given
    columns = (getattr(model, "manifest_", None) or {}).get("training_data", {}).get("columns", {})
    return columns.get("section_col", "section")


def artifacts_root() -> Path:
    """Where runs go: $CLASSIFIER_ARTIFACTS, or ./artifacts."""
    return Path(os.environ.get("CLASSIFIER_ARTIFACTS", "artifacts"))


def clean_partial_runs(folder: Path) -> list[str]:
    """Remove the staging folders (`.NAME.PID.*.partial`) that killed trainings left in `folder`
    (their process is gone); a note naming each. They are never a run: `latest` never names them."""
    notes = []
    for stale in sorted(Path(folder).glob(".*.partial")):
        try:
            pid = int(stale.name.rsplit(".partial", 1)[0].split(".")[-2])
            os.kill(pid, 0)
            continue  # its training is still running
        except (ValueError, IndexError):
            pass  # not named by this version: left from an older one
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(stale, ignore_errors=True)
        notes.append(f"removed {stale}, the unfinished save of a training that was killed")
    return notes


def check_writable(folder: Path, *, low: int = 1 << 30) -> list[str]:
    """Fail now, not after hours of training, when runs cannot be written into `folder`; a note
    when it has less than `low` bytes free."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DataError(f"{folder}: runs cannot be written here ({exc.strerror or exc}); choose another --out "
                        "or set CLASSIFIER_ARTIFACTS") from None
    free = shutil.disk_usage(folder).free
    notes = clean_partial_runs(folder)
    return notes + ([f"{folder}: only {free / 2**20:,.0f} MiB free; the run may not fit"] if free < low else [])


def new_run_dir(root: Path | None = None) -> Path:
    """A fresh folder under the artifacts root, named by UTC time."""
    root = root or artifacts_root()
    stamp = _dt.datetime.now(_dt.UTC).strftime("run-%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{n}"
    return candidate


def versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    from classifier import __version__

    return {"classifier": __version__, "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "python": platform.python_version()}


def save_model(model: Any, run_dir: Path, manifest: dict[str, Any], *, exclusive: bool = False) -> Path:
    """Write `model.joblib` then `manifest.json` (with format, versions and the model's SHA-256).

    A new run folder is written whole beside its final place and renamed into it, so an interrupted
    save leaves no half-written run; an existing folder has each file replaced atomically, unless
    `exclusive`, when a folder that exists (or appears meanwhile) raises `FileExistsError`. A save
    that fails (a full disk, a file size limit) raises `WriteError` saying why; nothing of it is left."""
    run_dir = Path(run_dir)
    if run_dir.exists():
        if exclusive:
            raise FileExistsError(run_dir)
        try:
            return _write_run(model, run_dir, manifest)
        except OSError as exc:
            raise _unsaved(run_dir, exc, "each of its files that was not rewritten is as it was") from None
    try:
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=run_dir.parent, prefix=f".{run_dir.name}.{os.getpid()}.",
                                        suffix=".partial"))
    except OSError as exc:
        raise _unsaved(run_dir, exc, "nothing was written") from None
    try:
        _write_run(model, staging, manifest)
        try:
            os.rename(staging, run_dir)  # fails if another process made a run of that name meanwhile
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise FileExistsError(run_dir) from None
            raise
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            raise _unsaved(run_dir, exc, "nothing of it was left and `latest` still names the run it named") from None
        raise
    return run_dir / MODEL_FILE


def _unsaved(run_dir: Path, exc: OSError, left: str) -> WriteError:
    """The error for a run that could not be written: where, why (the file and the reason), what was left."""
    why = os_reason(exc)
    if isinstance(exc, WriteError):
        why = f"{Path(exc.filename).name}: {exc.strerror}" if exc.filename else str(exc)
    return WriteError(f"{run_dir}: the run could not be written ({why}); {left}; free some space, or give "
                      "another --out or CLASSIFIER_ARTIFACTS")


def save_new_run(model: Any, manifest: dict[str, Any], root: Path | None = None) -> Path:
    """Save under a fresh run folder of `root`; two runs saved in the same second get two folders."""
    while True:
        run_dir = new_run_dir(root)
        try:
            save_model(model, run_dir, manifest, exclusive=True)
            return run_dir
        except FileExistsError:
            continue


def _write_run(model: Any, run_dir: Path, manifest: dict[str, Any]) -> Path:
    import joblib

    target = run_dir / MODEL_FILE
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model}
    atomic_write(target, lambda tmp: joblib.dump(payload, tmp))
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, "versions": versions(),
            "model_file": MODEL_FILE, "model_sha256": sha256_of(target),
            "model_bytes": target.stat().st_size, **manifest}
    write_json(run_dir / MANIFEST_FILE, full)
    return target


def point_latest(run_dir: Path, root: Path | None = None) -> None:
    """Make `<root>/latest` name `run_dir` (a symlink, or a one-line file where links fail)."""
    root = root or artifacts_root()
    link = root / LATEST
    tmp = root / f".{LATEST}.tmp"
    try:
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(run_dir, root), tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        # a file renamed over the old pointer: if this write fails (a full disk), the old one stays
        try:
            atomic_write_text(link, str(Path(run_dir).resolve()) + "\n")
        except WriteError as exc:
            raise WriteError(f"{run_dir} was saved, but {link} could not be pointed at it ({exc.strerror}); it "
                             f"still names the run it named; pass --model {run_dir} to use the new one") from None


def latest_run(root: Path | None = None) -> Path | None:
    """The run `<root>/latest` names (a symlink, or the one-line file written where links fail), if any."""
    link = (root or artifacts_root()) / LATEST
    if link.is_symlink() or link.is_dir():
        return link.resolve()
    if link.is_file():
        return Path(link.read_text(encoding="utf-8").strip())
    return None


def resolve_model_dir(path: str | Path | None = None) -> Path:
    """The run folder for `path` (a run folder, its model.joblib, or None for the latest run)."""
    if path is None:
        latest = latest_run()
        if latest is None:
            raise ModelError(f"no trained model: {artifacts_root() / LATEST} does not exist; run `classifier "
                             "train` first or pass --model DIR")
        return latest
    path = Path(path)
    if path.is_file():
        return path.parent
    if path.is_dir():
        return path
    raise ModelError(f"{path}: no such model folder or file; pass the folder that `classifier train` wrote")


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / MANIFEST_FILE
    if not path.exists():
        raise ModelError(f"{path}: missing; the run folder is incomplete (retrain, or copy the whole folder)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc}); the file is damaged, retrain the model") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ModelError(f"{path}: not a manifest of this tool (format {found!r})")
    return manifest


# What a saved model may ask the unpickler for: the model's own classes and NumPy's arrays. Anything
# else (os.system, builtins.eval, ...) is how a crafted pickle runs code, so it is refused.
ALLOWED_CLASSES = frozenset({
    ("classifier.model.estimator", "TagModel"), ("classifier.model.weights", "CompactWeights"),
    ("classifier.text.tfidf", "FeatureSpace"), ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("numpy", "dtype"), ("numpy", "ndarray"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
})


class _Refused(Exception):
    pass


def _restricted_load(path: Path) -> Any:
    """joblib's loader with `find_class` limited to `ALLOWED_CLASSES` (Python's documented way to
    restrict unpickling; joblib sends the pickles nested in object arrays through it too)."""
    from joblib.numpy_pickle import NumpyUnpickler

    class Restricted(NumpyUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in ALLOWED_CLASSES:
                raise _Refused(f"{module}.{name}")
            return super().find_class(module, name)

    with open(path, "rb") as handle:
        return Restricted(str(path), handle, True).load()


def load_model(path: str | Path | None = None, *, check_hash: bool = True) -> Any:
    """Load a trained `TagModel` from a run folder (or its model.joblib; None = latest run).

    Raises `ModelError` for a missing, truncated, altered or foreign file, or another format version.
    """

    from classifier.model import TagModel

    run_dir = resolve_model_dir(path)
    manifest = read_manifest(run_dir)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{run_dir}: model format version {version!r}, this tool reads version {FORMAT_VERSION}; "
            "retrain the model with this version of the tool"
        )
    name = manifest.get("model_file", MODEL_FILE)
    model_path = run_dir / str(name)
    if not isinstance(name, str) or model_path.resolve().parent != run_dir.resolve():
        raise ModelError(f"{run_dir / MANIFEST_FILE}: model_file {name!r} is not a file of the run folder; "
                         "a manifest names its model inside its own folder (retrain, or fix the manifest)")
    if not model_path.exists():
        raise ModelError(f"{model_path}: missing; retrain the model")
    if check_hash and sha256_of(model_path) != manifest.get("model_sha256"):
        raise ModelError(
            f"{model_path}: its SHA-256 does not match manifest.json; the file is truncated or was replaced; "
            "retrain the model"
        )
    try:
        payload = _restricted_load(model_path)
    except _Refused as exc:
        raise ModelError(f"{model_path}: refused: the file asks for {exc}, which no model of this tool holds; it "
                         "may have been made to run code on load, so it was not loaded (train your own, or get "
                         "the run from someone you trust)") from None
    except Exception as exc:  # truncated or foreign pickles raise many types
        raise ModelError(f"{model_path}: cannot be read ({type(exc).__name__}: {exc}); retrain the model") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{model_path}: not a model saved by this tool")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{model_path}: model format version {payload.get('format_version')!r}, this tool reads "
            f"version {FORMAT_VERSION}; retrain the model"
        )
    model = payload.get("model")
    if not isinstance(model, TagModel):
        raise ModelError(f"{model_path}: holds a {type(model).__name__}, not a TagModel")
    model.manifest_ = {**manifest, "run_dir": str(Path(run_dir).resolve())}
    return model
