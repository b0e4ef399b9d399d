"""POST /v1/solve: a small problem solved while the client waits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from matcher.api import limits, quotas
from matcher.api.deps import OrgDep, SettingsDep, StoreDep
from matcher.api.responses import ERRORS
from matcher.api.schemas import SolveRequest
from matcher.model import Plan
from matcher.solver import SolveParams, solve

router = APIRouter(tags=["solve"])


@router.post("/solve", response_model=Plan, response_model_exclude_none=True,
             responses=ERRORS, summary="Solve a problem synchronously")
def solve_now(body: SolveRequest, settings: SettingsDep, org: OrgDep,
              store: StoreDep) -> dict[str, Any]:
    """Solve within `time_limit` (capped by the server's `max_sync_time_limit`) and return
    the plan. For big problems use a job."""
    limits.check_entities(body.problem, settings)
    seconds = limits.time_limit(body.time_limit, settings.max_sync_time_limit,
                                settings.max_sync_time_limit, "max_sync_time_limit")
    quotas.admit(store, settings, org, seconds, job=False)
    params = SolveParams(time_limit=seconds, seed=body.seed, workers=settings.solver_workers)
    result = solve(body.problem, params)
    quotas.charge(store, org, result.seconds)
    return result.plan.to_json_dict()
