"""Error responses: every bad request is a 4xx naming what to fix, never a 500.

Validation errors become ``{"detail": [{"loc": [...], "path": "problem.needs[3].roles[0]
.min_count", "msg": "...", "type": "..."}]}``: `loc` as FastAPI gives it, `path` the JSON path
inside the request body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.api.schemas import CHANGE_OPS, INPUT_ERROR
from matcher.model import json_path
from matcher.model import json_path_parts as _path_parts


def _is_tag(part: str | int, prev: str | int | None) -> bool:
    # Pydantic puts a discriminated union's tag into the location (changes[0].add_need.need);
    # the client's document has no such key.
    return isinstance(part, str) and isinstance(prev, int) and part in CHANGE_OPS


def render_error(err: dict[str, Any]) -> dict[str, Any]:
    """One pydantic/FastAPI error as a client-facing item with a JSON path."""
    loc: list[str | int] = list(err.get("loc", ()))
    where = loc[0] if loc else "body"
    parts = loc[1:] if where in ("body", "path", "query", "header") else loc
    parts = [p for i, p in enumerate(parts) if not _is_tag(p, parts[i - 1] if i else None)]
    msg = str(err.get("msg", "invalid input"))
    ctx = err.get("ctx") or {}
    if err.get("type") == INPUT_ERROR:
        parts = parts + _path_parts(str(ctx.get("path", "")))
        msg = str(ctx.get("message", msg))
    elif err.get("type") == "missing":
        msg = "required field is missing"
    elif err.get("type") == "json_invalid":
        msg = f"malformed JSON: {ctx.get('error', 'cannot decode')}"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    full_loc: list[str | int] = [where, *parts] if where in ("body", "path", "query",
                                                               "header") else parts
    return {"loc": full_loc, "path": json_path(parts), "msg": msg,
            "type": str(err.get("type", "value_error"))}


def raise_input_error(path: str, message: str, where: str = "body") -> NoReturn:
    """Raise a 422 naming a JSON path, from inside a handler."""
    raise RequestValidationError([{
        "type": INPUT_ERROR, "loc": (where,), "msg": message,
        "ctx": {"path": path, "message": message},
    }])


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: Sequence[Any] = exc.errors()
    detail = [render_error(dict(e)) for e in errors[:20]]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        # Starlette lists only the methods of the first route matching the path; a client
        # (and the schema) expects every method the path has.
        methods: set[str] = set()
        for route in request.app.router.routes:
            if isinstance(route, BaseRoute) and route.matches(request.scope)[0] != Match.NONE:
                methods |= set(getattr(route, "methods", None) or ())
        headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
        exc = StarletteHTTPException(405, exc.detail, headers=headers)
    return await http_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)


class BodyLimitMiddleware:
    """Refuse request bodies above `max_bytes` with a 413 naming the limit.

    Checks Content-Length first, then counts the bytes actually received (chunked bodies).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self, size: int | None) -> bytes:
        got = f"{size} bytes" if size is not None else "more bytes"
        return json.dumps({"detail": f"request body is {got}, above the limit "
                           f"max_body_bytes={self.max_bytes}"}).encode()

    async def _refuse(self, send: Send, size: int | None) -> None:
        body = self._message(size)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = None
                if size is not None and size > self.max_bytes:
                    await self._refuse(send, size)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send, None)


class JsonOnlyMiddleware:
    """Refuse a request body that is not JSON with a 415, before anything reads it.

    Every body this API takes is a JSON document; a form, text or a missing Content-Type
    would otherwise reach validation as raw bytes and come back as a puzzling 422.
    """

    # Uploads of files (spreadsheets) come as multipart forms: only these paths take them.
    MULTIPART_PATHS = frozenset({"/v1/import"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _has_body(headers: dict[bytes, bytes]) -> bool:
        length = headers.get(b"content-length", b"").strip()
        return b"transfer-encoding" in headers or (length not in (b"", b"0"))

    @staticmethod
    def _is_json(content_type: bytes) -> bool:
        mime = content_type.split(b";", 1)[0].strip().lower()
        return mime == b"application/json" or (
            mime.startswith(b"application/") and mime.endswith(b"+json"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH"):
            headers = dict(scope.get("headers", ()))
            got = headers.get(b"content-type", b"")
            multipart = (scope.get("path") in self.MULTIPART_PATHS
                         and got.split(b";", 1)[0].strip().lower() == b"multipart/form-data")
            if self._has_body(headers) and not self._is_json(got) and not multipart:
                shown = got.decode("latin-1")[:100] or "none"
                body = json.dumps({"detail": f"the request body must be JSON (Content-Type: "
                                   f"application/json), not {shown}"}).encode()
                await send({"type": "http.response.start", "status": 415,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _TooLarge(HTTPException):
    # An HTTPException, so FastAPI's body reader passes it on instead of answering 400.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body is above the limit max_body_bytes={max_bytes}")
