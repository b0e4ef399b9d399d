"""The FastAPI application: `create_app(settings)` builds one self-contained instance.

Each instance owns its store and job runner (``app.state``); `matcher serve` runs
``create_app`` through uvicorn's factory mode.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from matcher.api import docs, errors
from matcher.api.auth import Authenticator
from matcher.api.cache import ParsedJobs
from matcher.api.jobs import JobRunner
from matcher.api.lease import Housekeeper
from matcher.api.routers import api_router
from matcher.api.settings import Settings
from matcher.api.store import STORE_ERROR, Store
from matcher.web import mount_web

log = logging.getLogger(__name__)

DESCRIPTION = """\
Matching of volunteers, venues and donated funds to community needs (SPEC version 1).

Small problems: `POST /v1/solve`. Batch plans: `POST /v1/jobs`, then follow the job, fetch
its plan, stream its improvements, stop it, or replan it after changes. Every `/v1` endpoint
needs an `X-API-Key` header; an organisation sees only its own jobs.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new API instance on its database (migrated to the newest schema first).

    Jobs whose process stopped renewing its lease (crashed, killed) are marked interrupted
    by the housekeeping thread, here or in any other process on the same database.
    """
    settings = settings or Settings()
    store = Store(settings.database_url, lease_seconds=settings.lease_seconds)
    runner = JobRunner(store, settings.workers)

    def stop_requested(job_id: str) -> None:
        # A DELETE that reached another process: stop here, without waiting for the solver.
        runner.stop(job_id, 0.0)

    housekeeper = Housekeeper(store, stop_job=stop_requested,
                              retention_days=settings.retention_days)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        await anyio.to_thread.run_sync(housekeeper.tick)
        housekeeper.start()
        yield
        # Running jobs stop with their best plan kept (state 'interrupted').
        await anyio.to_thread.run_sync(runner.shutdown, settings.stop_wait_seconds)
        await anyio.to_thread.run_sync(housekeeper.close)
        store.close()

    # docs_url/redoc_url off: FastAPI's own pages load their assets from a CDN (docs.py).
    app = FastAPI(title="matcher", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.housekeeper = housekeeper
    app.state.auth = Authenticator(settings, store)
    app.state.parsed_jobs = ParsedJobs()
    errors.install(app)

    @app.exception_handler(SQLAlchemyError)
    async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
        # SQL and bound parameters stay in the server's log, never in an answer.
        log.error("job store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": STORE_ERROR})
    app.add_middleware(errors.BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(errors.JsonOnlyMiddleware)
    app.include_router(api_router)
    docs.install(app)

    @app.get("/health", tags=["health"], summary="Liveness (no API key needed)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    mount_web(app, settings)  # the coordinators' page at /, after the API's own routes
    return app
