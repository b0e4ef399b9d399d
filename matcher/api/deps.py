"""Typed dependencies: settings, store, job runner and the caller's organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from matcher.api.auth import Authenticator
from matcher.api.cache import ParsedJobs
from matcher.api.jobs import JobRunner
from matcher.api.settings import Settings
from matcher.api.store import JobRow, Store

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False,
    description="Your organisation's API key; every /v1 endpoint needs one.",
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


def get_parsed_jobs(request: Request) -> ParsedJobs:
    cache: ParsedJobs = request.app.state.parsed_jobs
    return cache


def get_auth(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthDep = Annotated[Authenticator, Depends(get_auth)]
StoreDep = Annotated[Store, Depends(get_store)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
ParsedJobsDep = Annotated[ParsedJobs, Depends(get_parsed_jobs)]


def get_org(request: Request, auth: AuthDep,
            key: Annotated[str | None, Security(api_key_header)]) -> str:
    """The organisation the API key belongs to; 401 without a valid key, 429 over a rate
    limit (per key and per client address)."""
    return auth.authenticate(key, request.client.host if request.client else "unknown")


OrgDep = Annotated[str, Depends(get_org)]


def get_job(job_id: str, org: OrgDep, store: StoreDep) -> JobRow:
    """The caller's job; 404 when it does not exist or belongs to another organisation."""
    row = store.get(job_id, org)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return row


JobDep = Annotated[JobRow, Depends(get_job)]
