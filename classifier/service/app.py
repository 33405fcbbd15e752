"""`create_app`: the tagging service as a FastAPI application, over the public API.

Routes: `GET /healthz`, `GET /readyz`, `GET /v1/model`, `GET /v1/tags`, `POST /v1/tag`,
`POST /v1/tag-batch`, `POST /v1/feedback`, `POST /v1/admin/reload`, `GET /` (the editor's page) and
`GET /openapi.json`. Errors are RFC 9457 problems (`problems`).
"""

from __future__ import annotations

import hmac
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from classifier.service import problems
from classifier.service.problems import ProblemError
from classifier.service.schemas import (
    MAX_DOCUMENTS,
    BatchRequest,
    BatchResponse,
    FeedbackRequest,
    FeedbackResponse,
    Problem,
    ReloadRequest,
    ReloadResponse,
    TagRequest,
    TagResponse,
)
from classifier.service.state import Loaded, ModelState

EVIDENCE_WORDS = 10  # with explain: this many words that raised each tag's score, and as many that lowered it
TOKEN_ENV = "CLASSIFIER_ADMIN_TOKEN"


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": Problem, "content": {problems.MEDIA_TYPE: {}}} for s in statuses}


def create_app(run: str | Path | None = None, *, model: Any = None, feedback: str | Path | None = None,
               control: str | Path | None = None, max_body: int | None = None,
               admin_token: str | None = None, poll: float = 0.2) -> FastAPI:
    """The service for `model` (a loaded `TagModel`), or for the run `run` (default: the newest),
    loaded in the background at start-up (`/readyz` says when it is ready). `feedback`: the file
    `POST /v1/feedback` appends to (default: feedback.jsonl in the artifacts root). `control`: the
    file the workers of one server share to switch runs together. `max_body`: bytes of request body
    (default 1 MiB). `admin_token`: the bearer token `POST /v1/admin/reload` asks for (default:
    $CLASSIFIER_ADMIN_TOKEN; none: that endpoint is off and answers 404)."""
    state = ModelState(run=run, model=model, control=control, poll=poll)
    token = admin_token if admin_token is not None else os.environ.get(TOKEN_ENV) or None

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state.start()
        try:
            yield
        finally:
            state.stop()

    app = FastAPI(title="news-tag-classifier", version=_version(), lifespan=lifespan, docs_url=None,
                  redoc_url=None, description="Tags news articles the way a site's editors would. Errors are "
                  "RFC 9457 problems (application/problem+json).")
    app.state.model = state
    problems.install(app)
    app.add_middleware(problems.Guard, max_body=max_body or problems.DEFAULT_MAX_BODY)

    def ready() -> Loaded:
        state.ensure_watching()
        loaded = state.current
        if loaded is None:
            raise ProblemError(503, f"no model is loaded yet{': ' + state.error if state.error else ' (loading)'}",
                               headers={"Retry-After": "1"})
        return loaded

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "worker": os.getpid()}

    @app.get("/readyz", summary="A model is loaded (503 otherwise)", responses=_problems(503))
    async def readyz() -> dict[str, Any]:
        loaded = ready()
        return {"status": "ready", "model": loaded.run_id, "worker": os.getpid()}

    @app.get("/v1/model", summary="The run being served: its manifest's summary", responses=_problems(503))
    async def model_info() -> dict[str, Any]:
        return model_summary(ready())

    @app.get("/v1/tags", summary="Every learned tag, its training support and decision threshold",
             responses=_problems(503))
    async def tags() -> dict[str, Any]:
        loaded = ready()
        m = loaded.model
        rows = [{"tag": str(t), "support": int(s), "threshold": round(float(th), 6)}
                for t, s, th in zip(m.classes_, m.tag_support_, m.thresholds_)]
        rows.sort(key=lambda r: (-r["support"], r["tag"]))
        return {"model": loaded.run_id, "score_at_threshold": 0.5, "tags": rows,
                "note": "threshold is the tag's cut on its raw score; the score a response gives is 0.5 there"}

    @app.post("/v1/tag", response_model=TagResponse, summary="Tag one article",
              responses=_problems(400, 413, 422, 503))
    async def tag(body: TagRequest) -> JSONResponse:
        loaded = ready()
        text = _text(body.title, body.text, "text", body.section)
        p = _predict(loaded, [text], None, body.explain, body.top_k)[0]
        out: dict[str, Any] = {"model": loaded.run_id, "tags": tag_list(p, body.explain)}
        if p.note:
            out["note"] = p.note
        return JSONResponse(out)

    @app.post("/v1/tag-batch", response_model=BatchResponse, summary=f"Tag up to {MAX_DOCUMENTS} articles",
              responses=_problems(400, 413, 422, 503))
    async def tag_batch(body: BatchRequest) -> JSONResponse:
        if len(body.documents) > MAX_DOCUMENTS:
            raise ProblemError(413, f"{len(body.documents)} documents; at most {MAX_DOCUMENTS} per request")
        loaded = ready()
        texts = [_text(d.title, d.text, f"documents.{i}.text", d.section) for i, d in enumerate(body.documents)]
        ids = [d.id if d.id is not None else str(i + 1) for i, d in enumerate(body.documents)]
        found = await run_in_threadpool(_predict, loaded, texts, ids, body.explain, body.top_k)
        results = [{"id": p.id, "tags": tag_list(p, body.explain), **({"note": p.note} if p.note else {})}
                   for p in found]
        return JSONResponse({"model": loaded.run_id, "results": results})

    @app.post("/v1/feedback", response_model=FeedbackResponse, summary="Record an editor's decision on an article",
              responses=_problems(400, 413, 422, 503))
    async def feedback_event(body: FeedbackRequest) -> FeedbackResponse:
        from classifier import DataError, StorageError, record_feedback

        event = body.model_dump()
        if event["model"] is None and state.current is not None:
            event["model"] = state.current.run_id
        try:
            final = await run_in_threadpool(record_feedback, event, feedback)
        except StorageError as exc:
            raise ProblemError(503, str(exc)) from None
        except DataError as exc:
            raise ProblemError(422, str(exc)) from None
        return FeedbackResponse(recorded=True, id=body.id, tags=final)

    @app.post("/v1/admin/reload", response_model=ReloadResponse, summary="Serve another run, in every worker",
              responses=_problems(401, 403, 404, 422))
    async def reload(body: ReloadRequest | None = None,
                     authorization: str | None = Header(None, description="Bearer TOKEN")) -> ReloadResponse:
        _authorise(token, authorization)
        from classifier import ModelError

        try:
            loaded, previous = await run_in_threadpool(state.reload, body.run if body else None)
        except ModelError as exc:
            raise ProblemError(422, str(exc)) from None
        return ReloadResponse(model=loaded.run_id, previous=previous.run_id if previous else None,
                              run_dir=loaded.run_dir, workers=f"every worker switches within about {poll:g} s "
                              "plus the time it takes to load the run, answering with its old run until then")

    @app.get("/", response_class=HTMLResponse, summary="The editor's page", include_in_schema=True)
    async def page() -> HTMLResponse:
        from classifier.service.page import editor_page

        return HTMLResponse(editor_page())

    return app


def _version() -> str:
    from classifier import __version__

    return __version__


def _authorise(token: str | None, authorization: str | None) -> None:
    """The admin endpoint is off (404) without a configured token; 401 without credentials, 403 with
    the wrong ones."""
    if token is None:
        raise ProblemError(404, f"the admin endpoints are off: set {TOKEN_ENV} for the server to turn them on")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ProblemError(401, "this endpoint needs 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ProblemError(403, "the token is not the admin token")


def _text(title: str | None, text: str, where: str, section: str | None = None) -> str:
    from classifier import article_text

    joined = article_text(title, text, section)
    if not joined:
        raise ProblemError(422, f"{where}: the article is empty (title and text are blank)")
    return joined


def _predict(loaded: Loaded, texts: list[str], ids: list[str] | None, explain: bool, top_k: int | None) -> list:
    from classifier import ClassifierError, predict

    try:
        return predict(loaded.model, texts, ids=ids, top_k=top_k, explain=EVIDENCE_WORDS if explain else 0)
    except ClassifierError as exc:
        raise ProblemError(422, str(exc)) from None


def tag_list(p: Any, explain: bool) -> list[dict[str, Any]]:
    """A `Prediction`'s tags as the responses list them: decided first, then by score."""
    decided = set(p.tags)
    out = []
    for name, score in p.scores.items():
        item = {"tag": name, "score": score, "decided": name in decided, "probability": p.probability.get(name)}
        if explain:
            item["evidence"] = [{"word": w, "weight": round(v, 6)} for w, v in p.evidence.get(name, ())]
        out.append(item)
    return out


def model_summary(loaded: Loaded) -> dict[str, Any]:
    """What `GET /v1/model` says of a run: its manifest, without the per-tag table (`/v1/tags`)."""
    m = getattr(loaded.model, "manifest_", {})
    data = dict(m.get("training_data") or {})
    data.pop("skipped_examples", None)
    return {"model": loaded.run_id, "run_dir": loaded.run_dir, "trained_at": m.get("created"),
            "training_data": data, "tags_learned": m.get("tags_learned"), "tags_left_out": m.get("tags_left_out"),
            "features": m.get("features"), "validation": m.get("validation"), "settings": m.get("settings"),
            "solver": m.get("solver"), "versions": m.get("versions"), "training_seconds": m.get("training_seconds"),
            "loaded_at": loaded.loaded_at}
