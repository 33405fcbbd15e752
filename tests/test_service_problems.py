"""Errors as RFC 9457 problems and bounded request bodies (classifier/service/problems.py)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from classifier import load_model
from classifier.service.app import create_app
from classifier.service.problems import DEFAULT_MAX_BODY

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(trained):
    with TestClient(create_app(model=load_model(trained.run_dir), max_body=4096)) as c:
        yield c


def body_of(size: int) -> bytes:
    return json.dumps({"text": "mot " * ((size - 20) // 4)}).encode()


def test_the_default_limit_is_one_mebibyte():
    assert DEFAULT_MAX_BODY == 1 << 20


def test_a_body_under_the_limit_is_served(client):
    r = client.post("/v1/tag", content=body_of(3000), headers={"content-type": "application/json"})
    assert r.status_code == 200


def test_a_content_length_over_the_limit_is_413(client):
    r = client.post("/v1/tag", content=body_of(8000), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 413 and "4096" in r.json()["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(client):
    data = body_of(8000)

    def chunks():
        for i in range(0, len(data), 1000):
            yield data[i:i + 1000]

    r = client.post("/v1/tag", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413 and r.json()["status"] == 413


def test_a_small_chunked_body_is_served(client):
    data = body_of(2000)
    r = client.post("/v1/tag", content=iter([data[:500], data[500:]]), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["tags"]


def test_a_bad_content_length_is_400(client):
    r = client.post("/v1/tag", content=b"{}", headers={"content-type": "application/json", "content-length": "x"})
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM


def test_the_limit_comes_from_the_environment(trained, monkeypatch):
    from classifier.service.server import app_from_env

    monkeypatch.setenv("CLASSIFIER_SERVE_RUN", str(trained.run_dir))
    monkeypatch.setenv("CLASSIFIER_MAX_BODY", "100")
    with TestClient(app_from_env()) as c:
        r = c.post("/v1/tag", json={"text": "x" * 200})
    assert r.status_code == 413


def test_a_bad_limit_in_the_environment_is_refused(monkeypatch):
    from classifier import DataError
    from classifier.service.server import max_body_from_env

    monkeypatch.setenv("CLASSIFIER_MAX_BODY", "1MB")
    with pytest.raises(DataError, match="CLASSIFIER_MAX_BODY"):
        max_body_from_env()


def test_client_errors_are_logged_once(client, caplog):
    with caplog.at_level("INFO", logger="classifier.service"):
        client.post("/v1/tag", content=b"{", headers={"content-type": "application/json"})
        client.get("/nowhere")
    lines = [r.getMessage() for r in caplog.records if r.name == "classifier.service"]
    assert len([m for m in lines if "-> 400" in m]) == 1 and len([m for m in lines if "-> 404" in m]) == 1
