"""Request limits from the settings; going over one is a 413 or 422 naming the limit."""

from __future__ import annotations

from typing import NoReturn

from fastapi import HTTPException, status

from matcher.api.errors import raise_input_error
from matcher.api.settings import Settings
from matcher.model import Problem


def entity_count(problem: Problem) -> int:
    return len(problem.volunteers) + len(problem.venues) + len(problem.funds) + len(problem.needs)


def check_entities(problem: Problem, settings: Settings) -> None:
    n = entity_count(problem)
    if n > settings.max_entities:
        refuse_entities(n, settings.max_entities)


def refuse_entities(n: int, max_entities: int) -> NoReturn:
    raise HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"problem has {n} volunteers, venues, funds and needs in all, above the limit "
        f"max_entities={max_entities}",
    )


def time_limit(asked: float | None, default: float, cap: float, cap_name: str) -> float:
    """The time limit to use: the one asked for (422 above the cap), else the default."""
    if asked is None:
        return min(default, cap)
    if asked > cap:
        raise_input_error("time_limit", f"time_limit {asked:g} s is above the limit "
                          f"{cap_name}={cap:g} s")
    return asked
