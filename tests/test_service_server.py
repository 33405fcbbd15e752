"""`classifier serve` for real (classifier/service/server.py): uvicorn with two worker processes on
127.0.0.1, a free port, bounded waits; a reload reaches both workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from classifier.cli import app

TOKEN = "server-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def other_run(trained, artifacts_dir, mini_path):
    from classifier import train

    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLASSIFIER_ARTIFACTS", str(artifacts_dir))
        return train(mini_path, out=artifacts_dir / "mini-run-serve", min_tag_count=4, force=True).run_dir


@pytest.fixture
def server(trained, tmp_path):
    port = free_port()
    env = {**os.environ, "CLASSIFIER_ADMIN_TOKEN": TOKEN, "CLASSIFIER_ARTIFACTS": str(tmp_path),
           "TMPDIR": str(tmp_path)}  # a killed server leaves its control folder: here, not in /tmp
    log = open(tmp_path / "server.log", "w+b")
    proc = subprocess.Popen([sys.executable, "-m", "classifier", "serve", "--model", str(trained.run_dir),
                             "--port", str(port), "--workers", "2", "--feedback", str(tmp_path / "fb.jsonl")],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", proc, tmp_path / "server.log"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started
            proc.wait(timeout=10)
        log.close()


def fresh(url: str, method: str = "GET", **kw) -> httpx.Response:
    """One request on a new connection, so that either worker may take it."""
    with httpx.Client(timeout=10) as c:
        return c.request(method, url, headers={"Connection": "close", **kw.pop("headers", {})}, **kw)


def workers_answering(base: str, want: str, timeout: float = 60.0) -> dict[int, str]:
    """Worker pid -> run, polled on new connections until two workers answer with `want` (bounded)."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = fresh(f"{base}/readyz")
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if r.status_code == 200:
            body = r.json()
            seen[body["worker"]] = body["model"]
            if len(seen) >= 2 and all(run == want for run in seen.values()):
                return seen
        time.sleep(0.02)
    return seen


def test_serve_with_two_workers_reloads_both(server, trained, other_run):
    base, proc, log = server
    seen = workers_answering(base, trained.run_dir.name)
    assert len(seen) == 2 and set(seen.values()) == {trained.run_dir.name}, (seen, log.read_text()[-2000:])
    r = fresh(f"{base}/v1/tag", "POST", json={"title": "Municipales", "text": "Les élections municipales à Paris"})
    assert r.status_code == 200 and r.json()["model"] == trained.run_dir.name and r.json()["tags"]
    r = fresh(f"{base}/v1/admin/reload", "POST", json={"run": str(other_run)},
              headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    seen = workers_answering(base, other_run.name, timeout=120.0)
    assert len(seen) == 2 and set(seen.values()) == {other_run.name}, (seen, log.read_text())
    r = fresh(f"{base}/v1/tag", "POST", json={"text": "Le football"})
    assert r.json()["model"] == other_run.name
    assert fresh(f"{base}/nowhere").status_code == 404
    assert proc.poll() is None
    text = log.read_text()
    assert "Traceback" not in text and text.count("-> 404") == 1


def test_feedback_survives_a_kill_of_the_server_mid_stream(server, trained):
    """Feedback posted from 4 connections while the whole server (both workers) is SIGKILLed: the
    file holds only whole lines, and every event the server acknowledged is in it."""
    import json
    import threading

    from classifier.corpus.feedback import read_feedback

    base, proc, log = server
    assert workers_answering(base, trained.run_dir.name), log.read_text()[-2000:]
    acknowledged: list[str] = []
    stop = threading.Event()

    def post(name: str) -> None:
        with httpx.Client(timeout=5) as c:
            for i in range(100_000):
                if stop.is_set():
                    return
                event = {"id": f"{name}-{i}", "title": "Titre", "text": "Les élections municipales " * 50,
                         "accepted": ["élections"], "rejected": [], "added": ["Paris"]}
                try:
                    r = c.post(f"{base}/v1/feedback", json=event)
                except httpx.TransportError:
                    return
                if r.status_code == 200:
                    acknowledged.append(event["id"])

    threads = [threading.Thread(target=post, args=(str(n),)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(acknowledged) < 300:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the server and its workers, mid-stream
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    data = (log.parent / "fb.jsonl").read_bytes()
    assert len(acknowledged) >= 300 and data.endswith(b"\n")
    for line in data.split(b"\n")[:-1]:
        json.loads(line)  # no torn line
    fb = read_feedback(log.parent / "fb.jsonl")
    assert fb.skipped == []
    assert set(acknowledged) <= {e["id"] for e in fb.events}  # an acknowledged event is never lost
    # The killed server's control folder (TMPDIR is the test's folder) is removed by the next sweep.
    from classifier.service.server import sweep_stale

    left = sorted(log.parent.glob(f"classifier-serve-{proc.pid}-*"))
    assert len(left) == 1 and sweep_stale(log.parent) == left and not left[0].exists()


def test_the_sweep_removes_only_folders_of_servers_that_are_gone(tmp_path):
    from classifier.service.server import sweep_stale

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"classifier-serve-{gone.pid}-abc"
    alive = tmp_path / f"classifier-serve-{os.getpid()}-def"
    other = tmp_path / "classifier-serve-xyz"  # not named after a process: left alone
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "run.json").write_text("{}\n")
    assert sweep_stale(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and other.exists()


def test_serve_refuses_a_run_that_is_not_there(tmp_path):
    done = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "none")])
    assert done.exit_code == 1 and "error:" in done.output and "none" in done.output
