"""Admission: 429 with `Retry-After` beyond an organisation's caps, and request bodies
parsed off the event loop.

FastAPI decodes and validates a declared body model on the event loop, so one 17 MB problem
holds up every other request (`/health` included) for a second or two. The big endpoints
instead take the raw body and parse it here, in a worker thread, with the same model and
the same error paths.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from matcher.engine.fair import Busy

M = TypeVar("M", bound=BaseModel)


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` of an endpoint whose body `parse_body` reads: the model's schema."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def parse_raw(model: type[M], raw: bytes) -> M:
    """`raw` as `model`, or `RequestValidationError` located under "body"."""
    # Exactly what FastAPI does with a declared body (json.loads, then the model in Python
    # mode, errors located under "body"), only not on the event loop.
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                       "msg": "Field required", "input": None}])
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as bad:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", bad.pos),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": bad.msg}}]) from None
    except UnicodeDecodeError as u:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", u.start),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": "not UTF-8"}}]) from None
    except ValueError as big:  # e.g. an integer of more than 4300 digits
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": str(big)[:200]}}]) from None
    except RecursionError:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": "nested too deeply"}}]) from None
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        errs: list[dict[str, Any]] = []
        for e in err.errors(include_url=False):
            item: dict[str, Any] = dict(e)
            item["loc"] = ("body", *e.get("loc", ()))
            errs.append(item)
        raise RequestValidationError(errs) from None


async def parse_body(request: Request, model: type[M]) -> M:
    """The request body as `model`, decoded and validated in a worker thread."""
    raw = await request.body()
    return await anyio.to_thread.run_sync(parse_raw, model, raw)


def install(app: FastAPI) -> None:
    """The handler for `Busy` (429), and the body models' schemas in the OpenAPI
    components."""

    async def busy(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Busy)
        return JSONResponse(status_code=429, content={"detail": str(exc)},
                            headers={"Retry-After": str(exc.retry_after)})

    app.add_exception_handler(Busy, busy)

    from matcher.api.schemas import JobRequest, SolveRequest

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (SolveRequest, JobRequest):
            doc = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in doc.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components.setdefault(model.__name__, doc)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
