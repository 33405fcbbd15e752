"""Reloading (classifier/service/state.py and the admin route): the token check, a swap under
requests in flight, and every worker switching through the shared control file."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from classifier import load_model
from classifier.service.app import create_app
from classifier.service.state import ModelState, write_control

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def second_run(trained, artifacts_dir, mini_path):
    """Another run of the mini corpus (other settings), beside the session's."""
    from classifier import train

    with pytest.MonkeyPatch.context() as env:  # (module fixtures come before the per-test artifacts root)
        env.setenv("CLASSIFIER_ARTIFACTS", str(artifacts_dir))
        return train(mini_path, out=artifacts_dir / "mini-run-b", min_tag_count=4, force=True).run_dir


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained.run_dir)


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def auth(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def test_without_a_token_the_endpoint_is_off(model, monkeypatch):
    monkeypatch.delenv("CLASSIFIER_ADMIN_TOKEN", raising=False)
    with TestClient(create_app(model=model)) as c:
        r = c.post("/v1/admin/reload", headers=auth())
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "CLASSIFIER_ADMIN_TOKEN" in r.json()["detail"]


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Basic abc"}, 401),
                                             (auth("wrong"), 403), (auth(TOKEN + "x"), 403), (auth(""), 401)])
def test_a_missing_or_wrong_token_is_refused(model, monkeypatch, headers, status):
    monkeypatch.setenv("CLASSIFIER_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(model=model)) as c:
        r = c.post("/v1/admin/reload", headers=headers)
        assert r.status_code == status and r.json()["status"] == status
        assert c.get("/readyz").json()["model"] == model.manifest_["run_dir"].rsplit("/", 1)[-1]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_the_right_token_reloads(model, second_run, trained, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(model=model)) as c:
        r = c.post("/v1/admin/reload", headers=auth(), json={"run": str(second_run)})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == second_run.name and r.json()["previous"] == trained.run_dir.name
        assert c.post("/v1/tag", json={"text": "Le football"}).json()["model"] == second_run.name
        assert c.get("/v1/model").json()["model"] == second_run.name
        # a run's name under the artifacts root, and no body: the newest run (latest)
        r = c.post("/v1/admin/reload", headers=auth(), json={"run": trained.run_dir.name})
        assert r.json()["model"] == trained.run_dir.name
        r = c.post("/v1/admin/reload", headers=auth())
        assert r.status_code == 200 and r.json()["model"] == second_run.name  # trained last: latest


def test_a_run_that_cannot_load_is_422_and_nothing_changes(model, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(model=model)) as c:
        before = c.get("/readyz").json()["model"]
        r = c.post("/v1/admin/reload", headers=auth(), json={"run": str(tmp_path / "missing")})
        assert r.status_code == 422 and "missing" in r.json()["detail"]
        assert c.get("/readyz").json()["model"] == before


def test_reload_under_concurrent_requests_drops_none(model, second_run, trained, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_ADMIN_TOKEN", TOKEN)
    runs = [str(second_run), str(trained.run_dir)]
    names = {second_run.name, trained.run_dir.name}
    with TestClient(create_app(model=model)) as c:
        stop = threading.Event()

        def hammer(k: int) -> list[tuple[int, str | None]]:
            seen = []
            while not stop.is_set() and len(seen) < 400:
                if k % 2:
                    r = c.post("/v1/tag", json={"text": "Les élections municipales à Paris", "explain": k % 4 == 1})
                    seen.append((r.status_code, r.json().get("model")))
                else:
                    r = c.post("/v1/tag-batch", json={"documents": [{"text": "Le football"}, {"text": "La santé"}]})
                    seen.append((r.status_code, r.json().get("model")))
            return seen

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(hammer, k) for k in range(4)]
            for i in range(4):
                r = c.post("/v1/admin/reload", headers=auth(), json={"run": runs[i % 2]})
                assert r.status_code == 200
            stop.set()
            seen = [x for f in futures for x in f.result(timeout=120)]
    assert seen and all(status == 200 for status, _ in seen)
    assert {name for _, name in seen} <= names


def test_every_worker_switches_through_the_control_file(model, second_run, trained, tmp_path, monkeypatch):
    """Two apps sharing one control file stand for two worker processes: a reload sent to one
    reaches the other, which keeps answering with its old run until the new one is loaded."""
    monkeypatch.setenv("CLASSIFIER_ADMIN_TOKEN", TOKEN)
    control = tmp_path / "run.json"
    write_control(control, str(trained.run_dir))
    a, b = (create_app(model=model, control=control, poll=0.05) for _ in range(2))
    with TestClient(a) as ca, TestClient(b) as cb:
        assert ca.post("/v1/admin/reload", headers=auth(), json={"run": str(second_run)}).status_code == 200
        assert ca.get("/readyz").json()["model"] == second_run.name
        assert wait_for(lambda: cb.get("/readyz").json()["model"] == second_run.name)
        assert cb.post("/v1/tag", json={"text": "Le football"}).json()["model"] == second_run.name


def test_a_worker_starting_later_serves_the_control_files_run(trained, second_run, tmp_path):
    control = tmp_path / "run.json"
    write_control(control, str(second_run))
    with TestClient(create_app(trained.run_dir, control=control)) as c:
        assert wait_for(lambda: c.get("/readyz").status_code == 200)
        assert c.get("/readyz").json()["model"] == second_run.name


def test_a_broken_control_file_keeps_the_model(model, tmp_path):
    control = tmp_path / "run.json"
    state = ModelState(model=model, control=control)
    before = state.current
    control.write_text("{not json")
    state.check()
    write_control(control, str(tmp_path / "gone"))
    state.check()
    assert state.current is before and "gone" in (state.error or "")


def test_a_watcher_that_ended_is_started_again_and_hears_the_next_reload(model, second_run, trained, tmp_path):
    import threading

    control = tmp_path / "run.json"
    write_control(control, str(trained.run_dir))
    with TestClient(create_app(model=model, control=control, poll=0.05)) as c:
        state = c.app.state.model
        state._thread = threading.Thread(target=lambda: None)  # stands for a watcher that died
        state._thread.start()
        state._thread.join()
        write_control(control, str(second_run))
        assert wait_for(lambda: c.get("/readyz").json()["model"] == second_run.name)
        assert state._thread.is_alive()
