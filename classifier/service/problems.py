"""Every error as an RFC 9457 problem (`application/problem+json`: type, title, status, detail), and
`Guard`, the ASGI layer that bounds request bodies and turns any unexpected error into a 500
problem: a client never sees a traceback, and the server log records each error once."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("classifier.service")

MEDIA_TYPE = "application/problem+json"
DEFAULT_MAX_BODY = 1 << 20  # bytes of request body; CLASSIFIER_MAX_BODY or `serve --max-body` change it


class ProblemError(Exception):
    """Raised by a route to answer with a problem."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers, extra


def problem_body(status: int, detail: str, **extra: Any) -> bytes:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    payload = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return Response(problem_body(status, detail, **extra), status_code=status, media_type=MEDIA_TYPE,
                    headers=headers)


def _logged(request: Request, status: int, detail: str) -> None:
    log.log(logging.ERROR if status == 500 else logging.INFO, "%s %s -> %d: %s", request.method,
            request.url.path, status, detail)


def _parses(raw: bytes | str) -> bool:
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return True


def install(app: FastAPI) -> None:
    """Answer FastAPI's and Starlette's errors and `ProblemError` with problems."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        _logged(request, exc.status, exc.detail)
        return problem(exc.status, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
        detail = exc.detail if exc.detail and exc.detail != phrase else {
            404: f"no such path: {request.url.path} (see /openapi.json)",
            405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, phrase)
        _logged(request, exc.status_code, str(detail))
        return problem(exc.status_code, str(detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
        raw = next((e["input"] for e in errors if tuple(e.get("loc", ())) == ("body",)
                    and isinstance(e.get("input"), (bytes, str))), None)
        if malformed is not None or (raw is not None and not _parses(raw)):
            where = (malformed or {}).get("ctx", {}).get("error", "")
            detail = f"the body is not valid JSON ({where})" if where else "the body is not valid JSON"
            _logged(request, 400, detail)
            return problem(400, detail)
        if raw is not None:
            errors = [{"loc": ["body"], "msg": "send the JSON object with Content-Type: application/json",
                       "type": "content_type"}]
        listed = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in errors[:20]]
        first = listed[0] if listed else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc']) or 'body'}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        _logged(request, 422, detail)
        return problem(422, detail, errors=listed)


class Guard:
    """ASGI middleware: a request body over `max_body` bytes gets 413 (by its Content-Length, and
    by counting the bytes of a chunked body as they arrive); an error no handler answered gets a
    500 problem, logged once with its traceback."""

    def __init__(self, app: Any, max_body: int = DEFAULT_MAX_BODY):
        self.app, self.max_body = app, max_body

    async def _refuse(self, send: Any, status: int, detail: str, scope: dict) -> None:
        log.info("%s %s -> %d: %s", scope.get("method"), scope.get("path"), status, detail)
        body = problem_body(status, detail)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        too_big = f"the request body is over the limit of {self.max_body} bytes"
        if length is not None:
            if not length.isdigit():
                await self._refuse(send, 400, "Content-Length is not a number", scope)
                return
            if int(length) > self.max_body:
                await self._refuse(send, 413, too_big, scope)
                return
        chunks, size, more = [], 0, True
        while more:  # counted as it arrives: a chunked body has no Content-Length
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._refuse(send, 413, too_big, scope)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, replay, tracked)
        except Exception:
            log.exception("%s %s -> 500: unexpected error", scope.get("method"), scope.get("path"))
            if not started:
                body = problem_body(500, "the server met an unexpected error; it is logged")
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", MEDIA_TYPE.encode()),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
