"""Documented error responses, shared by the routers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Message(BaseModel):
    detail: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    path: str
    msg: str
    type: str


class ValidationErrors(BaseModel):
    detail: list[ErrorItem]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "the body cannot be read (not UTF-8)"},
    401: {"model": Message, "description": "no valid API key"},
    413: {"model": Message, "description": "request over a size limit"},
    422: {"model": ValidationErrors, "description": "bad input, with the JSON path"},
    429: {"model": Message, "description": "over a rate limit or a daily quota; the header "
          "Retry-After says when to try again"},
}
JOB_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "the body cannot be read (not UTF-8)"},
    **ERRORS,
    404: {"model": Message, "description": "no such job for this organisation"},
}


def as_json(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The same error responses, explicitly JSON: for a route whose own content type is
    another (the event stream)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code, spec in responses.items():
        model = spec["model"]
        out[code] = {"description": spec["description"], "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
    return out


SERVICE_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Message, "description": "the server is shutting down or the solver did "
          "not stop in time"},
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"model": Message, "description": "the organisation is at its cap of queued jobs or "
          "synchronous solves; retry after the `Retry-After` header's seconds"},
}
