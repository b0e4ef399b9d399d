"""POST /v1/solve: a small problem solved while the client waits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from matcher.api import limits
from matcher.api.deps import OrgDep, SettingsDep
from matcher.api.responses import ERRORS
from matcher.api.schemas import SolveRequest
from matcher.model import Plan
from matcher.solver import SolveParams, solve

router = APIRouter(tags=["solve"])


@router.post("/solve", response_model=Plan, response_model_exclude_none=True,
             responses=ERRORS, summary="Solve a problem synchronously")
def solve_now(body: SolveRequest, settings: SettingsDep, _org: OrgDep) -> dict[str, Any]:
    """Solve within `time_limit` (capped by the server's `max_sync_time_limit`) and return
    the plan. For big problems use a job."""
    limits.check_entities(body.problem, settings)
    seconds = limits.time_limit(body.time_limit, settings.max_sync_time_limit,
                                settings.max_sync_time_limit, "max_sync_time_limit")
    params = SolveParams(time_limit=seconds, seed=body.seed, workers=settings.solver_workers)
    return solve(body.problem, params).plan.to_json_dict()
