"""The FastAPI application: `create_app(settings)` builds one self-contained instance.

Each instance owns its store and job runner (``app.state``); `matcher serve` runs
``create_app`` through uvicorn's factory mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from matcher.api import errors
from matcher.api.cache import ParsedJobs
from matcher.api.jobs import JobRunner
from matcher.api.routers import api_router
from matcher.api.settings import Settings
from matcher.api.store import Store

DESCRIPTION = """\
Matching of volunteers, venues and donated funds to community needs (SPEC version 1).

Small problems: `POST /v1/solve`. Batch plans: `POST /v1/jobs`, then follow the job, fetch
its plan, stream its improvements, stop it, or replan it after changes. Every `/v1` endpoint
needs an `X-API-Key` header; an organisation sees only its own jobs.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new API instance; jobs a previous process left running are marked interrupted."""
    settings = settings or Settings()
    store = Store(settings.database_url)
    store.recover_interrupted()
    runner = JobRunner(store, settings.workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        yield
        # Running jobs stop with their best plan kept (state 'interrupted').
        await anyio.to_thread.run_sync(runner.shutdown, settings.stop_wait_seconds)
        store.close()

    app = FastAPI(title="matcher", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.parsed_jobs = ParsedJobs()
    errors.install(app)
    app.add_middleware(errors.BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(api_router)

    @app.get("/health", tags=["health"], summary="Liveness (no API key needed)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
