"""POST /v1/solve: a small problem solved while the client waits."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request, Response, status

import matcher.solver.core
from matcher.api import limits, quotas
from matcher.api.admission import body_doc, parse_body
from matcher.api.deps import OrgDep, SettingsDep, StoreDep
from matcher.api.responses import ERRORS, SERVICE_UNAVAILABLE, TOO_MANY
from matcher.api.schemas import SolveRequest
from matcher.api.settings import Settings
from matcher.api.store import Store
from matcher.api.syncsolve import Solved, SolveJob, SyncPool, WorkerLost
from matcher.engine.fair import FairGate, with_slot
from matcher.model import Plan
from matcher.solver import SolveParams, solve

router = APIRouter(tags=["solve"])


@router.post("/solve", response_model=Plan, response_model_exclude_none=True,
             responses={**ERRORS, **TOO_MANY, **SERVICE_UNAVAILABLE},
             summary="Solve a problem synchronously", openapi_extra=body_doc(SolveRequest))
async def solve_now(request: Request, settings: SettingsDep, org: OrgDep,
                    store: StoreDep) -> Any:
    """Solve within `time_limit` (capped by the server's `max_sync_time_limit`) and return
    the plan. For big problems use a job. An organisation has at most
    `max_sync_solves_per_org` solves running or waiting (429 beyond); waiting solves of
    different organisations are served in turn."""
    gate: FairGate = request.app.state.sync_gate
    gate.check(org)  # a refused request costs no parsing (the body can be megabytes)
    pool: SyncPool | None = request.app.state.sync_pool
    if pool is not None:
        raw = await request.body()
        return await anyio.to_thread.run_sync(_in_worker, pool, gate, raw, org, settings,
                                              store)
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


def _in_worker(pool: SyncPool, gate: FairGate, raw: bytes, org: str, settings: Settings,
               store: Store) -> Response:
    """The request in one of the pool's processes, once the organisation's turn has come:
    the slot is taken before parsing, since the parse runs in the worker too."""
    cap = settings.quota_solver_seconds_per_day

    def run() -> Any:
        job = SolveJob(raw=raw, org=org, max_entities=settings.max_entities,
                       max_time_limit=settings.max_sync_time_limit,
                       solver_workers=settings.solver_workers, quota_seconds=cap,
                       quota_used=quotas.used_seconds(store, org) if cap is not None else 0.0,
                       strict=matcher.solver.core.STRICT)
        # Parsing and the solver's own margin come on top of the time limit.
        return pool.run(job, timeout=60.0 + 2 * settings.max_sync_time_limit)

    try:
        out = with_slot(gate, org, run, settings.sync_wait_seconds)
    except WorkerLost as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from None
    if not isinstance(out, Solved):
        out.raise_()
    quotas.charge(store, org, out.seconds)
    return Response(out.body, media_type="application/json")
