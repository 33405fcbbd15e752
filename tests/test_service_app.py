"""The service's routes (classifier/service/app.py) through FastAPI's TestClient, on the mini model."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from classifier import load_articles, load_model, predict
from classifier.service.app import create_app
from classifier.service.schemas import MAX_DOCUMENTS

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained.run_dir)


@pytest.fixture(scope="module")
def corpus(mini_path):
    return load_articles(mini_path)


@pytest.fixture(scope="module")
def client(model, tmp_path_factory):
    app = create_app(model=model, feedback=tmp_path_factory.mktemp("fb") / "feedback.jsonl")
    with TestClient(app) as c:
        yield c


def run_id(trained) -> str:
    return trained.run_dir.name


def test_health_and_ready(client, trained):
    assert client.get("/healthz").json()["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["model"] == run_id(trained)


def test_ready_is_503_until_a_model_is_loaded(tmp_path):
    app = create_app(tmp_path / "no-such-run")
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = c.get("/readyz")
            if "no-such-run" in r.json()["detail"]:
                break
            time.sleep(0.05)
        assert r.status_code == 503 and r.headers["content-type"] == PROBLEM
        assert "no-such-run" in r.json()["detail"]
        r = c.post("/v1/tag", json={"text": "Le football"})
        assert r.status_code == 503 and r.json()["status"] == 503 and r.json()["title"] == "Service Unavailable"


def test_a_run_loads_in_the_background(trained):
    with TestClient(create_app(trained.run_dir)) as c:
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.post("/v1/tag", json={"text": "Le football"}).json()["model"] == run_id(trained)


def test_model_summary(client, trained):
    m = client.get("/v1/model").json()
    assert m["model"] == run_id(trained) and m["trained_at"] == trained.manifest["created"]
    assert m["training_data"]["articles"] == trained.manifest["training_data"]["articles"]
    assert m["tags_learned"] == len(trained.model.classes_)
    assert set(m["validation"]) >= {"micro_f1", "macro_f1"} and m["settings"]["min_tag_count"] == 3


def test_tags_list_support_and_threshold(client, trained):
    body = client.get("/v1/tags").json()
    assert body["score_at_threshold"] == 0.5 and body["model"] == run_id(trained)
    listed = {t["tag"]: t for t in body["tags"]}
    assert set(listed) == {str(t) for t in trained.model.classes_}
    for tag, info in trained.manifest["tags"].items():
        assert listed[tag]["support"] == info["support"]
        assert listed[tag]["threshold"] == pytest.approx(info["threshold"])
    supports = [t["support"] for t in body["tags"]]
    assert supports == sorted(supports, reverse=True)


def test_tag_gives_what_predict_gives_with_the_title_joined(client, model, corpus, trained):
    record = json.loads(open(corpus.path, encoding="utf-8").readline())
    r = client.post("/v1/tag", json={"title": record["title"], "text": record["text"]})
    assert r.status_code == 200
    body = r.json()
    expected = predict(model, [corpus.texts[0]])[0]
    assert body["model"] == run_id(trained)
    assert [t["tag"] for t in body["tags"]] == list(expected.scores)
    assert [t["score"] for t in body["tags"]] == list(expected.scores.values())
    assert [t["tag"] for t in body["tags"] if t["decided"]] == expected.tags
    assert all("evidence" not in t for t in body["tags"])
    decided = [t["decided"] for t in body["tags"]]
    assert decided == sorted(decided, reverse=True)  # decided first


def test_tag_explain_gives_evidence(client, model, corpus):
    body = client.post("/v1/tag", json={"text": corpus.texts[1], "explain": True}).json()
    expected = predict(model, [corpus.texts[1]], explain=10)[0]
    for t in body["tags"]:
        assert [(e["word"], e["weight"]) for e in t["evidence"]] == [
            (w, round(v, 6)) for w, v in expected.evidence[t["tag"]]]
    assert any(t["evidence"] for t in body["tags"])


def test_top_k_decides_at_most_k(client, corpus):
    body = client.post("/v1/tag", json={"text": corpus.texts[2], "top_k": 1}).json()
    assert sum(t["decided"] for t in body["tags"]) == 1


def test_tag_batch_equals_predict(client, model, corpus):
    docs = [{"id": i, "text": t} for i, t in zip(corpus.ids, corpus.texts)]
    r = client.post("/v1/tag-batch", json={"documents": docs})
    assert r.status_code == 200
    results = r.json()["results"]
    expected = predict(model, corpus.texts, ids=corpus.ids)
    assert [x["id"] for x in results] == corpus.ids
    for got, want in zip(results, expected):
        assert [t["tag"] for t in got["tags"] if t["decided"]] == want.tags
        assert {t["tag"]: t["score"] for t in got["tags"]} == want.scores
        assert got.get("note") == want.note


def test_batch_ids_default_to_positions(client):
    results = client.post("/v1/tag-batch", json={"documents": [{"text": "Le football"}, {"text": "La santé"}]}).json()
    assert [r["id"] for r in results["results"]] == ["1", "2"]


def test_batch_over_the_cap_is_413(client):
    r = client.post("/v1/tag-batch", json={"documents": [{"text": "a"}] * (MAX_DOCUMENTS + 1)})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM and str(MAX_DOCUMENTS) in r.json()["detail"]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b"", 422), (b"[1, 2]", 422), (b'{"text": 3}', 422), (b'{"txt": "a"}', 422),
    (b'{"text": "   ", "title": ""}', 422), (b'{"text": "a", "top_k": 0}', 422),
    (b'{"text": "a", "explain": "x"}', 422),
])
def test_bad_requests_are_problems(client, body, status):
    r = client.post("/v1/tag", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and r.headers["content-type"] == PROBLEM
    p = r.json()
    assert set(p) >= {"type", "title", "status", "detail"} and p["status"] == status and "Traceback" not in r.text


def test_a_body_that_is_not_json_without_a_content_type_is_400(client):
    assert client.post("/v1/tag", content=b"{nope").status_code == 400


def test_unknown_path_and_method(client):
    r = client.get("/v2/nothing")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM and "/v2/nothing" in r.json()["detail"]
    r = client.get("/v1/tag")
    assert r.status_code == 405 and r.json()["status"] == 405


def test_openapi_describes_every_route_and_no_page_needs_the_network(client):
    spec = client.get("/openapi.json").json()
    assert {"/healthz", "/readyz", "/v1/model", "/v1/tags", "/v1/tag", "/v1/tag-batch", "/v1/feedback",
            "/v1/admin/reload"} <= set(spec["paths"])
    assert "TagResponse" in spec["components"]["schemas"] and "Problem" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


def test_the_editor_page(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "<html" in r.text.lower()


def test_an_unexpected_error_is_a_500_problem_logged_once(model, monkeypatch, caplog):
    import classifier.service.app as app_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app_module, "tag_list", broken)
    with TestClient(create_app(model=model), raise_server_exceptions=False) as c, caplog.at_level("INFO"):
        r = c.post("/v1/tag", json={"text": "Le football"})
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert "boom" not in r.text and "Traceback" not in r.text
    logged = [rec for rec in caplog.records if rec.name == "classifier.service" and "500" in rec.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_feedback_is_appended_and_reads_back(model, tmp_path, trained):
    from classifier import read_feedback

    path = tmp_path / "fb" / "feedback.jsonl"
    with TestClient(create_app(model=model, feedback=path)) as c:
        r = c.post("/v1/feedback", json={"id": "a1", "title": "Titre", "text": "Le texte", "accepted": ["santé", "x"],
                                         "rejected": ["x"], "added": ["virus"]})
        assert r.status_code == 200 and r.json() == {"recorded": True, "id": "a1", "tags": ["santé", "virus"]}
        r = c.post("/v1/feedback", json={"id": "a2", "text": "Autre", "added": ["sport"], "model": "run-x"})
        assert r.status_code == 200
        bad = c.post("/v1/feedback", json={"id": "a3", "text": "  "})
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
        assert c.post("/v1/feedback", json={"text": "no id"}).status_code == 422
    events = read_feedback(path).events
    assert [e["id"] for e in events] == ["a1", "a2"]
    assert events[0]["model"] == trained.run_dir.name and events[1]["model"] == "run-x"


def test_feedback_defaults_to_the_artifacts_root(model, artifacts_dir):
    with TestClient(create_app(model=model)) as c:
        assert c.post("/v1/feedback", json={"id": "d1", "text": "Texte"}).status_code == 200
    assert '"d1"' in (artifacts_dir / "feedback.jsonl").read_text(encoding="utf-8")


def test_an_unwritable_feedback_file_is_503(model, tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with TestClient(create_app(model=model, feedback=tmp_path / "dir.jsonl")) as c:
        r = c.post("/v1/feedback", json={"id": "a", "text": "Texte"})
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM and "Traceback" not in r.text


def test_a_section_in_the_request_is_read_as_the_corpus_reader_reads_it(sectioned_path, tmp_path):
    """A model trained with sections gets the request's `section` as it got the corpus's."""
    from classifier import article_text, train

    sectioned = load_model(train(sectioned_path, out=tmp_path / "run", min_tag_count=3).run_dir)
    first = json.loads(sectioned_path.read_text(encoding="utf-8").splitlines()[0])
    title, text, section = first["title"], first["text"], "Santé publique"  # (Monde is past max_df: no term)
    with_section = predict(sectioned, [article_text(title, text, section)])[0].scores
    assert with_section != predict(sectioned, [article_text(title, text)])[0].scores
    with TestClient(create_app(model=sectioned, feedback=tmp_path / "fb.jsonl")) as c:
        one = c.post("/v1/tag", json={"title": title, "text": text, "section": section}).json()
        batch = c.post("/v1/tag-batch", json={"documents": [{"title": title, "text": text, "section": section}]}).json()
        assert c.post("/v1/tag", json={"text": text, "section": 3}).status_code == 422
    assert {t["tag"]: t["score"] for t in one["tags"]} == with_section
    assert {t["tag"]: t["score"] for t in batch["results"][0]["tags"]} == with_section
