"""The FastAPI application: `create_app(settings)` builds one self-contained instance.

Each instance owns its store, job runner, synchronous-solve gate and execution engine
(``app.state``); `matcher serve` runs ``create_app`` through uvicorn's factory mode. The
engine (a Dask `LocalCluster` the app starts, or an existing cluster) lives from the app's
startup to its shutdown.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from matcher.api import docs, errors
from matcher.api.auth import Authenticator
from matcher.api.cache import ParsedJobs
from matcher.api.jobs import JobRunner
from matcher.api.lease import Housekeeper
from matcher.api.query import reject_unknown_query
from matcher.api.routers import api_router
from matcher.api.settings import Settings
from matcher.api.store import STORE_ERROR, Store
from matcher.api.syncsolve import SyncPool
from matcher.engine.fair import FairGate
from matcher.web import mount_web

log = logging.getLogger(__name__)

DESCRIPTION = """\
Matching of volunteers, venues and donated funds to community needs (SPEC version 1).

Small problems: `POST /v1/solve`. Batch plans: `POST /v1/jobs`, then follow the job, fetch
its plan, stream its improvements, stop it, or replan it after changes. Every `/v1` endpoint
needs an `X-API-Key` header; an organisation sees only its own jobs.
"""


def start_engine(settings: Settings) -> Any:
    """The engine the settings ask for (None: jobs solve in this process)."""
    from matcher.engine import Engine

    if settings.scheduler_address:
        return Engine.connect(settings.scheduler_address)
    if settings.engine == "local":
        return Engine.local(settings.engine_workers, settings.worker_memory_limit)
    return None


def _on_sigterm(runner: JobRunner, closing: threading.Event, grace: float,
                sync_pool: SyncPool | None = None) -> Any:
    """Chain a SIGTERM handler before the server's own: running jobs and synchronous solves
    are told to stop at once (event streams end with the jobs, waiting clients get the best
    plan so far) instead of after the server has waited for every open connection."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)

    def handler(sig: int, frame: Any) -> None:
        closing.set()
        runner.begin_shutdown(grace)
        if sync_pool is not None:
            sync_pool.stop()
        if callable(previous):
            previous(sig, frame)

    signal.signal(signal.SIGTERM, handler)
    return previous


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new API instance on its database (migrated to the newest schema first).

    Jobs whose process stopped renewing its lease (crashed, killed) are marked interrupted
    by the housekeeping thread, here or in any other process on the same database.
    """
    settings = settings or Settings()
    store = Store(settings.database_url, lease_seconds=settings.lease_seconds)
    runner = JobRunner(store, settings.workers,
                       max_running_per_org=settings.max_running_jobs_per_org,
                       max_queued_per_org=settings.max_queued_jobs_per_org,
                       retry_seconds=settings.store_retry_seconds)
    closing = threading.Event()

    def stop_requested(job_id: str) -> None:
        # A DELETE that reached another process: stop here, without waiting for the solver.
        runner.stop(job_id, 0.0)

    housekeeper = Housekeeper(store, stop_job=stop_requested,
                              retention_days=settings.retention_days)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from matcher.api.resume import resume

        closing.clear()
        runner.start()
        if app.state.sync_pool is None and settings.sync_processes > 0:
            app.state.sync_pool = SyncPool(settings.sync_processes)
            if settings.sync_warm:
                await anyio.to_thread.run_sync(app.state.sync_pool.start)
        runner.engine = await anyio.to_thread.run_sync(start_engine, settings)
        await anyio.to_thread.run_sync(housekeeper.tick)
        housekeeper.start()
        previous = _on_sigterm(runner, closing, settings.shutdown_seconds, app.state.sync_pool)
        if settings.on_restart == "resume":
            await anyio.to_thread.run_sync(resume, store, runner, settings)
        try:
            yield
        finally:
            closing.set()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            # Running jobs stop with their best plan kept (state 'interrupted').
            await anyio.to_thread.run_sync(runner.shutdown, settings.shutdown_seconds)
            await anyio.to_thread.run_sync(housekeeper.close)
            pool, app.state.sync_pool = app.state.sync_pool, None
            if pool is not None:
                await anyio.to_thread.run_sync(pool.close)
            engine, runner.engine = runner.engine, None
            if engine is not None:
                await anyio.to_thread.run_sync(engine.close)
            store.close()

    # docs_url/redoc_url off: FastAPI's own pages load their assets from a CDN (docs.py).
    app = FastAPI(title="matcher", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.housekeeper = housekeeper
    app.state.auth = Authenticator(settings, store)
    app.state.closing = closing
    app.state.sync_gate = FairGate(settings.sync_slots, settings.max_sync_solves_per_org,
                                   settings.retry_after_seconds)
    app.state.parsed_jobs = ParsedJobs()
    app.state.sync_pool = None  # a SyncPool while the app runs (settings.sync_processes)
    errors.install(app)
    from matcher.api.admission import install

    install(app)

    @app.exception_handler(SQLAlchemyError)
    async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
        # SQL and bound parameters stay in the server's log, never in an answer.
        log.error("job store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": STORE_ERROR})
    app.add_middleware(errors.BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(errors.JsonOnlyMiddleware)
    app.include_router(api_router, dependencies=[Depends(reject_unknown_query)])
    docs.install(app)

    @app.get("/health", tags=["health"], summary="Liveness (no API key needed)")
    async def health() -> dict[str, str]:
        # async: answered on the event loop even when every worker thread is busy.
        return {"status": "ok"}

    mount_web(app, settings)  # the coordinators' page at /, after the API's own routes
    return app
