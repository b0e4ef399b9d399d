"""Unknown query parameters are refused, not ignored.

A misspelt parameter (`/v1/jobs?limt=10`) would otherwise be dropped in silence and the
caller would get an answer to a question they did not ask; SPEC's inputs are strict
everywhere else, so the query string is too. The parameters an endpoint takes are read from
its own signature (FastAPI's dependency tree), so this list can never drift from the code.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


def _query_names(dep: Dependant) -> set[str]:
    names = {p.alias for p in dep.query_params}
    for sub in dep.dependencies:
        names |= _query_names(sub)
    return names


def _known(route: APIRoute) -> frozenset[str]:
    # Walked per request: a handful of dependencies, cheaper than any cache keyed on routes
    # (which are not hashable).
    return frozenset(_query_names(route.dependant))


def reject_unknown_query(request: Request) -> None:
    """422 naming the first query parameter the endpoint does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _known(route)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([{
            "type": "extra_forbidden", "loc": ("query", unknown[0]),
            "msg": f"unknown query parameter {unknown[0]!r} (this endpoint takes: {takes})",
            "input": request.query_params.get(unknown[0]),
        }])
