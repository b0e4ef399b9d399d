"""POST /v1/solve: a small problem solved while the client waits."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request

from matcher.api import limits, quotas
from matcher.api.admission import body_doc, parse_body
from matcher.api.deps import OrgDep, SettingsDep, StoreDep
from matcher.api.responses import ERRORS, TOO_MANY
from matcher.api.schemas import SolveRequest
from matcher.engine.fair import FairGate, with_slot
from matcher.model import Plan
from matcher.solver import SolveParams, solve

router = APIRouter(tags=["solve"])


@router.post("/solve", response_model=Plan, response_model_exclude_none=True,
             responses={**ERRORS, **TOO_MANY}, summary="Solve a problem synchronously",
             openapi_extra=body_doc(SolveRequest))
async def solve_now(request: Request, settings: SettingsDep, org: OrgDep,
                    store: StoreDep) -> dict[str, Any]:
    """Solve within `time_limit` (capped by the server's `max_sync_time_limit`) and return
    the plan. For big problems use a job. An organisation has at most
    `max_sync_solves_per_org` solves running or waiting (429 beyond); waiting solves of
    different organisations are served in turn."""
    gate: FairGate = request.app.state.sync_gate
    gate.check(org)  # a refused request costs no parsing (the body can be megabytes)
    body = await parse_body(request, SolveRequest)
    limits.check_entities(body.problem, settings)
    seconds = limits.time_limit(body.time_limit, settings.max_sync_time_limit,
                                settings.max_sync_time_limit, "max_sync_time_limit")
    await anyio.to_thread.run_sync(
        lambda: quotas.admit(store, settings, org, seconds, job=False))
    params = SolveParams(time_limit=seconds, seed=body.seed, workers=settings.solver_workers)

    def run() -> dict[str, Any]:
        result = with_slot(gate, org, lambda: solve(body.problem, params),
                           settings.sync_wait_seconds)
        quotas.charge(store, org, result.seconds)
        return result.plan.to_json_dict()

    plan: dict[str, Any] = await anyio.to_thread.run_sync(run)
    return plan
