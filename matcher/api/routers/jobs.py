"""Jobs: submit a batch solve, follow it, fetch its plan, stop it, replan it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import anyio
from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from matcher.api import limits, quotas, replan
from matcher.api.admission import body_doc, parse_body
from matcher.api.deps import JobDep, OrgDep, RunnerDep, SettingsDep, StoreDep
from matcher.api.errors import raise_input_error
from matcher.api.jobs import RunnerClosed
from matcher.api.responses import (
    ERRORS,
    JOB_ERRORS,
    SERVICE_UNAVAILABLE,
    TOO_MANY,
    Message,
    as_json,
)
from matcher.api.schemas import (
    JobList,
    JobProgress,
    JobRequest,
    JobResult,
    JobStateName,
    JobStatus,
    PlanChanges,
    ReplanRequest,
    ReplanResponse,
    StageOut,
)
from matcher.api.store import FINAL_STATES, JobRow, Store, utcnow
from matcher.engine.fair import Busy, FairGate
from matcher.model import Plan, parse_plan
from matcher.replan import diff_plans
from matcher.solver import SolveParams
from matcher.solver.report import whole

router = APIRouter(prefix="/jobs", tags=["jobs"])
HEARTBEAT_SECONDS = 1.0  # a running job's event stream says it is alive at least this often


def _utc(t: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; the store writes UTC.
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def job_status(row: JobRow, detail: bool = True) -> JobStatus:
    """The job resource; `detail` adds the final plan in brief (it reads the plan)."""
    created = _utc(row.created_at)
    assert created is not None
    started, finished = _utc(row.started_at), _utc(row.finished_at)
    final = row.state in FINAL_STATES
    elapsed = None
    if final and row.elapsed is not None:
        elapsed = row.elapsed  # the solve's own seconds, as recorded at its end
    elif started is not None:
        # Running: the clock since the start, not the time of the last improvement.
        elapsed = round(((finished or utcnow()) - started).total_seconds(), 3)
    result = job_result(row.plan) if detail and final and row.has_plan else None
    return JobStatus(
        id=row.id, state=row.state,  # type: ignore[arg-type]
        parent=row.parent_id, time_limit=row.time_limit, seed=row.seed,
        progress=JobProgress(stage="finished" if final else row.stage, coverage=row.coverage,
                             bound=whole(row.bound), gap=row.gap, elapsed=elapsed,
                             last_improvement=row.elapsed),
        result=result, has_plan=row.has_plan, error=row.error,
        created_at=created, started_at=started, finished_at=finished,
    )


def job_result(plan: dict[str, Any] | None) -> JobResult | None:
    """Status, objective, bound and each stage's value and bound of a stored plan."""
    if plan is None:
        return None
    stages = (plan.get("stats") or {}).get("stages") or []
    return JobResult(
        status=plan["status"],
        objective={k: whole(v) for k, v in plan.get("objective", {}).items() if v is not None},
        bound={k: whole(v) for k, v in plan.get("bound", {}).items() if v is not None},
        stages=[StageOut(name=st["name"], status=st["status"], value=whole(st.get("value")),
                         bound=whole(st.get("bound"))) for st in stages],
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobStatus,
             responses={**JOB_ERRORS, **SERVICE_UNAVAILABLE, **TOO_MANY},
             summary="Submit a problem as a job", openapi_extra=body_doc(JobRequest))
async def create_job(request: Request, org: OrgDep, settings: SettingsDep, store: StoreDep,
                     runner: RunnerDep, response: Response) -> JobStatus:
    """Queue a solve; follow it with GET /v1/jobs/{id} or its event stream. An organisation
    has at most `max_queued_jobs_per_org` jobs waiting (429 beyond) and
    `max_running_jobs_per_org` running; queued jobs of different organisations start in
    turn."""
    # Refused before its body is parsed (it can be megabytes).
    running, queued = runner.counts(org)
    if queued >= settings.max_queued_jobs_per_org:
        raise Busy(f"organisation {org} already has {queued} jobs queued and {running} "
                   f"running (limit {settings.max_queued_jobs_per_org} queued)",
                   settings.retry_after_seconds)
    body = await parse_body(request, JobRequest)
    limits.check_entities(body.problem, settings)
    seconds = limits.time_limit(body.time_limit, settings.default_job_time_limit,
                                settings.max_job_time_limit, "max_job_time_limit")

    def create() -> JobRow:
        quotas.admit(store, settings, org, seconds, job=True)
        doc = body.problem.model_dump(mode="json", exclude_none=True)
        row = store.create_job(org, doc, seconds, body.seed)
        params = SolveParams(time_limit=seconds, seed=body.seed,
                             workers=settings.solver_workers, progress_plans=True)
        try:
            runner.submit(row.id, body.problem, params, org)
        except RunnerClosed as err:
            store.finish(row.id, "interrupted", error=str(err))
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from None
        except Busy:
            store.finish(row.id, "failed", error="refused: too many jobs queued")
            raise
        return row

    row = await anyio.to_thread.run_sync(create)
    response.headers["Location"] = f"/v1/jobs/{row.id}"
    return job_status(row)


@router.get("/{job_id}", response_model=JobStatus, responses=JOB_ERRORS,
            summary="A job's state and progress")
def get_job(job: JobDep) -> JobStatus:
    return job_status(job)


@router.get("/{job_id}/plan", response_model=Plan, response_model_exclude_none=True,
            responses={**JOB_ERRORS, 409: {"model": Message, "description": "no plan yet"}},
            summary="The best plan so far, or the final one")
def get_plan(job: JobDep, response: Response) -> dict[str, Any]:
    """The plan; header `X-Job-State` says whether it is final (`done`, `stopped`, ...)."""
    plan = job.plan
    if plan is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job.id} has no plan yet (state {job.state})")
    response.headers["X-Job-State"] = job.state
    return plan


@router.get("", response_model=JobList, responses=ERRORS,
            summary="Your organisation's jobs, newest first")
def list_jobs(
    org: OrgDep, store: StoreDep,
    state: Annotated[list[JobStateName] | None, Query(
        description="only jobs in these states (repeat the parameter for several)")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="jobs per page")] = 50,
    cursor: Annotated[str | None, Query(
        description="the `next` of the previous page")] = None,
) -> JobList:
    """A page of jobs (without their problems and plans: fetch those by id)."""
    after = None
    if cursor is not None:
        after = store.get(cursor, org)
        if after is None:
            raise_input_error("cursor", f"cursor {cursor!r} is not one of your jobs (it must "
                              "be the `next` of a previous page)", where="query")
    rows = store.list_jobs(org, states=state or (), limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return JobList(jobs=[job_status(r, detail=False) for r in rows],
                   next=rows[-1].id if more else None)


@router.delete("/{job_id}", response_model=JobStatus,
               responses={**JOB_ERRORS, **SERVICE_UNAVAILABLE,
                          204: {"description": "the finished job was deleted"}},
               summary="Stop a running job (keeping its best plan), or delete a finished one")
def stop_job(job: JobDep, store: StoreDep, runner: RunnerDep,
             settings: SettingsDep) -> Any:
    """A queued or running job: stop the solver, wait until it has stopped, and return the
    final state; the best plan is kept. A finished job: delete it with its plan and events
    (204); it is gone for good."""
    if job.state in FINAL_STATES:
        if store.delete_job(job.id, job.org):
            return Response(status_code=status.HTTP_204_NO_CONTENT)
    elif runner.is_active(job.id):
        if not runner.stop(job.id, settings.stop_wait_seconds):
            _not_stopped(job.id, settings.stop_wait_seconds)
    elif not _stop_elsewhere(job.id, store, settings.stop_wait_seconds,
                             settings.event_poll_seconds):
        _not_stopped(job.id, settings.stop_wait_seconds)
    row = store.get(job.id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job.id!r}")
    return job_status(row)


def _stop_elsewhere(job_id: str, store: Store, wait: float, poll: float) -> bool:
    """The job runs in another process on this database: ask it through the store and wait
    until that process has stopped it (or its lease ran out and it was marked)."""
    store.request_stop(job_id)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        row = store.get(job_id)
        if row is None or row.state in FINAL_STATES:
            return True
        time.sleep(poll)
    return False


def _not_stopped(job_id: str, wait: float) -> NoReturn:
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                        f"job {job_id}'s solver did not stop within stop_wait_seconds={wait:g}")


def _last_event(header: str | None) -> int:
    """The sequence number a reconnecting client last saw; anything but 1-18 ASCII digits
    (what this stream sends as ids) is ignored and the stream starts from the beginning."""
    if header and len(header) <= 18 and header.isascii() and header.isdigit():
        return int(header)
    return 0


@router.get("/{job_id}/events", response_class=EventSourceResponse,
            responses={**as_json(JOB_ERRORS), 200: {
                "description": "improvements as server-sent events",
                "content": {"text/event-stream": {}}}},
            summary="Stream a job's improvements as server-sent events")
async def job_events(
    request: Request, job: JobDep, store: StoreDep, settings: SettingsDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> AsyncIterator[ServerSentEvent]:
    """One `improvement` event (a `data:` line of JSON) per improvement, a `heartbeat`
    event at least once a second while the job runs (its progress: elapsed, stage, coverage,
    bound), then one `end` event with the job's final state; the stream closes when the job
    ends, or with a `shutdown` event when the server shuts down first."""
    closing = request.app.state.closing
    grace: float | None = None  # after a shutdown began: when to give up on the job's end
    seq = _last_event(last_event_id)
    # A job cannot outlive its time limit by much; the stream is bounded all the same.
    deadline = time.monotonic() + job.time_limit + settings.stop_wait_seconds + 60.0
    beat = 0.0
    while True:
        row = await anyio.to_thread.run_sync(store.get, job.id)
        assert row is not None
        for ev in await anyio.to_thread.run_sync(store.events_after, job.id, seq):
            seq = ev["seq"]
            yield ServerSentEvent(data=ev, event="improvement", id=str(seq))
        if row.state not in FINAL_STATES and time.monotonic() - beat >= HEARTBEAT_SECONDS:
            # At least once a second while the job runs: its clock, stage and best so far.
            beat = time.monotonic()
            yield ServerSentEvent(data=job_status(row, detail=False).progress.model_dump(
                mode="json") | {"state": row.state}, event="heartbeat")
        if row.state in FINAL_STATES:
            yield ServerSentEvent(data=job_status(row).model_dump(mode="json"), event="end")
            return
        if closing.is_set():
            # The job is being stopped: its final state follows within a few seconds.
            grace = grace or time.monotonic() + settings.shutdown_seconds + 1.0
            if time.monotonic() > grace:
                yield ServerSentEvent(data={"state": row.state, "detail": "server shutdown"},
                                      event="shutdown")
                return
        if time.monotonic() > deadline:
            yield ServerSentEvent(data={"state": row.state, "detail": "stream time limit"},
                                  event="timeout")
            return
        await anyio.sleep(min(settings.event_poll_seconds, HEARTBEAT_SECONDS / 2))


@router.post("/{job_id}/replan", status_code=status.HTTP_201_CREATED,
             response_model=ReplanResponse | JobStatus, response_model_exclude_none=True,
             responses={**JOB_ERRORS, **SERVICE_UNAVAILABLE, **TOO_MANY,
                        202: {"model": JobStatus, "description": "wait: false; a job started"},
                        409: {"model": Message, "description": "the job has not finished"}},
             summary="Re-solve a finished job's problem after changes, changing little")
def replan_job(request: Request, job: JobDep, body: ReplanRequest, org: OrgDep,
               settings: SettingsDep, store: StoreDep, runner: RunnerDep,
               response: Response) -> Any:
    """Apply the changes and re-solve with the job's plan as the reference (SPEC
    "Replanning": coverage first, then as few changes as possible, then fill and travel),
    searching outward from what the changes touched. With `wait` (default) the answer is the
    new plan and the list of what changed; with `wait: false` a job (202) that reports
    progress and events and can be stopped like any other. Either way the new plan is stored
    as a job whose `parent` is this one. A waiting replan is a synchronous solve: at most
    `max_sync_solves_per_org` per organisation (429 beyond)."""
    old_plan_doc = job.plan
    if job.state not in FINAL_STATES or job.state == "failed" or old_plan_doc is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job.id} is {job.state}; replan needs a finished job with a "
                            "plan")
    if old_plan_doc.get("status") == "infeasible":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job.id}'s plan is infeasible; fix its pins and solve again")
    if len(body.changes) > settings.max_changes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"{len(body.changes)} changes, above the limit "
                            f"max_changes={settings.max_changes}")
    rp = replan.prepare(job, body.changes)
    limits.check_entities(rp.problem, settings)
    if body.wait:
        seconds = limits.time_limit(body.time_limit, settings.default_replan_time_limit,
                                    settings.max_replan_time_limit, "max_replan_time_limit")
    else:
        seconds = limits.time_limit(body.time_limit, settings.default_replan_time_limit,
                                    settings.max_job_time_limit, "max_job_time_limit")
    quotas.admit(store, settings, org, seconds, job=True)
    changes = [c.model_dump(mode="json", exclude_none=True) for c in body.changes]
    params = rp.params(seconds, body.seed, settings.solver_workers)
    gate: FairGate = request.app.state.sync_gate
    if body.wait:
        gate.acquire(org, settings.sync_wait_seconds)  # Busy: 429, before anything is stored
    try:
        row = store.create_job(org, rp.doc, seconds, body.seed, parent_id=job.id,
                               changes=changes)
        response.headers["Location"] = f"/v1/jobs/{row.id}"
        try:
            if not body.wait:
                try:
                    runner.submit(row.id, rp.problem, params, org)
                except Busy:
                    store.finish(row.id, "failed", error="refused: too many jobs queued")
                    raise
                response.status_code = status.HTTP_202_ACCEPTED
                return job_status(row)
            runner.run_here(row.id, rp.problem, params)
        except RunnerClosed as err:
            store.finish(row.id, "interrupted", error=str(err))
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from None
    finally:
        if body.wait:
            gate.release(org)
    done = store.get(row.id)
    assert done is not None
    if done.plan is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"replan job {row.id} ended {done.state} without a plan: {done.error}")
    new_plan = parse_plan(done.plan, rp.problem)
    return {
        "job": job_status(done), "plan": done.plan,
        "changes": diff_plans(rp.old_plan, new_plan, rp.old_problem, rp.problem, rp.dropped),
    }


@router.get("/{job_id}/changes", response_model=PlanChanges,
            responses={**JOB_ERRORS, 409: {"model": Message,
                                           "description": "not a replan, or no plan yet"}},
            summary="What a replan job's plan changed against its parent's plan")
def job_changes(job: JobDep, org: OrgDep, store: StoreDep) -> dict[str, Any]:
    """The same list a waiting replan answers with, for the job's plan as it stands (the
    best so far while it runs, then the final one)."""
    parent = store.get(job.parent_id, org) if job.parent_id else None
    if parent is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job.id} is not a replan")
    diff = replan.diff_against_parent(parent, job)
    if diff is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job.id} has no plan yet")
    return diff
