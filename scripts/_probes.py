"""The probes `probe_trust.py` runs: each builds its input in a fresh folder, runs the command line,
and judges what came back. Verdicts: clean, crash, wrong, hang, code, lost (see probe_trust.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Verdict = tuple[str, str]
CLEAN: Verdict = ("clean", "")


@dataclass
class R:
    """What one command gave back."""

    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


class Ctx:
    """A probe's fresh folder, the small corpus, the shared base model and the bounded runner."""

    def __init__(self, dir: Path, corpus: Path, base: Path, timeout: float, preexec: Callable[[], None]):
        self.dir, self.corpus, self.base, self.timeout, self.preexec = dir, corpus, base, timeout, preexec
        self.artifacts = dir / "artifacts"
        self.marker = dir / "PAYLOAD_RAN"
        self.sessions: list[int] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "CLASSIFIER_ARTIFACTS": str(self.artifacts), "COLUMNS": "200", **extra}

    def start(self, *args: object, env: dict | None = None, fsize: int | None = None, **kw) -> subprocess.Popen:
        def pre() -> None:
            self.preexec()
            if fsize is not None:
                import resource
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        proc = subprocess.Popen([sys.executable, "-m", "classifier", *map(str, args)], cwd=self.dir,
                                env=env or self.env(), preexec_fn=pre, text=True, **kw)
        self.sessions.append(proc.pid)
        return proc

    def cli(self, *args: object, stdin: str | None = None, env: dict | None = None, fsize: int | None = None) -> R:
        start = time.perf_counter()
        proc = self.start(*args, env=env, fsize=fsize, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(stdin, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return R(proc.returncode, out, err, time.perf_counter() - start)

    def kill_leftovers(self) -> list[int]:
        """Kill (and return) processes still alive in the sessions this probe started."""
        alive = [pid for pid, sid in _sessions() if sid in self.sessions]
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return alive

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def jsonl(self, name: str, records: list[dict]) -> Path:
        return self.write(name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    def copy_base(self, name: str = "run") -> Path:
        return Path(shutil.copytree(self.base, self.dir / name))


def _sessions() -> list[tuple[int, int]]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] != "Z":
                out.append((int(entry.name), int(fields[3])))
    return out


# -- judges ------------------------------------------------------------------------------------

def crashed(r: R) -> Verdict | None:
    if r.code < 0:
        return ("crash", f"killed by signal {-r.code}")
    if "Traceback (most recent call last)" in r.text:
        return ("crash", "traceback: " + r.text.strip().splitlines()[-1][:160])
    return None


def error(r: R, *words: str) -> Verdict:
    """A named error: non-zero exit, no traceback, and every word (case-insensitive) in the message."""
    if bad := crashed(r):
        return bad
    if r.code == 0:
        return ("wrong", "exit 0 where an error was due: " + r.text.strip()[-160:])
    text = r.text.lower()
    missing = [w for w in words if w.lower() not in text and not _line_named(w, text)]
    if missing:
        return ("wrong", f"the error does not say {missing}: " + r.err.strip()[-200:])
    return CLEAN


def _line_named(word: str, text: str) -> bool:
    """'line N' is also said as 'FILE:N:'."""
    return word.startswith("line ") and f":{word[5:]}:" in text


def ok(r: R) -> Verdict:
    if bad := crashed(r):
        return bad
    if r.code != 0:
        return ("wrong", f"exit {r.code} where a result was due: " + r.err.strip()[-200:])
    return CLEAN


def settled(r: R) -> Verdict:
    """Either a result or a named error (exit 1 or 2 with a message), never a crash."""
    if bad := crashed(r):
        return bad
    if r.code not in (0, 1, 2) or (r.code and not r.err.strip()):
        return ("wrong", f"exit {r.code} without a message")
    return CLEAN


def check(condition: bool, verdict: str, detail: str) -> Verdict:
    return CLEAN if condition else (verdict, detail)


def first(*verdicts: Verdict) -> Verdict:
    return next((v for v in verdicts if v != CLEAN), CLEAN)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def predictions(r: R) -> list[dict]:
    return [json.loads(line) for line in r.out.splitlines() if line.strip()]


# -- registry ----------------------------------------------------------------------------------

@dataclass
class Probe:
    name: str
    group: str
    what: str
    run: Callable[[Ctx], Verdict]


PROBES: list[Probe] = []


def probe(group: str, what: str) -> Callable:
    def register(fn: Callable[[Ctx], Verdict]) -> Callable[[Ctx], Verdict]:
        PROBES.append(Probe(fn.__name__, group, what, fn))
        return fn
    return register

