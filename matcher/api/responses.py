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
    401: {"model": Message, "description": "no valid API key"},
    413: {"model": Message, "description": "request over a size limit"},
    422: {"model": ValidationErrors, "description": "bad input, with the JSON path"},
}
JOB_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": Message, "description": "no such job for this organisation"},
}
