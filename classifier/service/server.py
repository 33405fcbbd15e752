"""`serve`: the service on uvicorn, with one model loaded in each worker process.

The settings reach the workers (separate processes uvicorn starts) through environment variables,
read by `app_from_env`, the factory uvicorn imports in each of them. The workers of one server
share a control file in a private temporary folder, through which a reload reaches them all; the
folder is named after the server's process, so that one a killed server left is removed by the next.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ENV = {"run": "CLASSIFIER_SERVE_RUN", "feedback": "CLASSIFIER_SERVE_FEEDBACK",
       "control": "CLASSIFIER_SERVE_CONTROL", "max_body": "CLASSIFIER_MAX_BODY"}


def app_from_env() -> Any:
    """The application of one worker, configured by `serve` through the environment."""
    from classifier.service.app import create_app

    get = os.environ.get
    return create_app(get(ENV["run"]) or None, feedback=get(ENV["feedback"]) or None,
                      control=get(ENV["control"]) or None, max_body=max_body_from_env())


def max_body_from_env() -> int | None:
    value = os.environ.get(ENV["max_body"], "").strip()
    if not value:
        return None
    from classifier import DataError

    if not value.isdigit() or int(value) < 1:
        raise DataError(f"{ENV['max_body']}={value!r}: give the body limit as a whole number of bytes >= 1")
    return int(value)


PREFIX = "classifier-serve-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_stale(root: str | Path | None = None) -> list[Path]:
    """Remove the control folders (`PREFIX<pid>-...` under `root`, default the temporary folder) that
    this user's servers left behind when killed without a chance to clean up (SIGKILL): those whose
    server process is gone. Returns the folders removed."""
    removed = []
    for folder in sorted(Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*-*")):
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        try:
            mine = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the service's own log (each error once) on the same handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["classifier.service"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          feedback: str | Path | None = None, max_body: int | None = None, access_log: bool = False) -> None:
    """Serve the run `model` (default: the newest) on `host`:`port` with `workers` processes, until
    interrupted. The run is checked here first, so that a wrong one stops with an error, not a
    server that is never ready. `feedback` (default: feedback.jsonl in the artifacts root) is where
    `POST /v1/feedback` appends; `max_body` bounds request bodies (default: $CLASSIFIER_MAX_BODY,
    else 1 MiB)."""
    import uvicorn

    from classifier import DataError, feedback_file, read_manifest, resolve_model_dir

    run_dir = resolve_model_dir(model).resolve()
    read_manifest(run_dir)  # a ModelError now, not in every worker
    if workers < 1:
        raise DataError(f"workers must be >= 1; got {workers}")
    if max_body is not None and max_body < 1:
        raise DataError(f"max_body must be >= 1 byte; got {max_body}")
    sweep_stale()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    control = folder / "run.json"
    control.write_text(json.dumps({"run": str(run_dir)}) + "\n", encoding="utf-8")
    os.environ.update({ENV["run"]: str(run_dir), ENV["control"]: str(control),
                       ENV["feedback"]: str(feedback_file(feedback).resolve())})
    if max_body is not None:
        os.environ[ENV["max_body"]] = str(max_body)
    max_body_from_env()  # a bad environment value stops here
    try:
        uvicorn.run("classifier.service.server:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_config=log_config(), access_log=access_log, timeout_graceful_shutdown=5)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
