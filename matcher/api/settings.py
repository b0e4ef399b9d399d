"""API settings, read from the environment (prefix ``MATCHER_``) by the API alone."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the API can be told from outside.

    Keys are made with `matcher keys add ORG` and stored hashed in the database.
    `api_keys` (``MATCHER_API_KEYS='{"key1": "org1"}'``) adds keys from the environment, for
    development and tests only: they sit in plain text in the process's environment.
    """

    model_config = SettingsConfigDict(env_prefix="MATCHER_", frozen=True)

    database_url: str = "sqlite:///./matcher.db"
    api_keys: dict[str, str] = Field(default_factory=dict)

    max_body_bytes: int = Field(default=20_000_000, ge=1)
    max_entities: int = Field(
        default=50_000, ge=1, description="volunteers + venues + funds + needs in one problem"
    )
    max_sync_time_limit: float = Field(
        default=10.0, gt=0, description="seconds; cap for /v1/solve, /v1/recommend and replan"
    )
    max_job_time_limit: float = Field(default=3600.0, gt=0, description="seconds; cap for jobs")
    default_job_time_limit: float = Field(default=60.0, gt=0)
    default_replan_time_limit: float = Field(
        default=10.0, gt=0, description="seconds; a replan usually ends well before it")
    max_replan_time_limit: float = Field(
        default=60.0, gt=0, description="seconds; cap for a replan the request waits for")
    max_changes: int = Field(default=1_000, ge=1, description="changes in one replan request")
    max_recommendations: int = Field(default=20, ge=1)

    workers: int = Field(default=2, ge=1, description="jobs solved at the same time")
    solver_workers: int = Field(default=2, ge=1, description="CP-SAT threads per solve")
    stop_wait_seconds: float = Field(
        default=30.0, gt=0, description="how long DELETE waits for a solver to stop"
    )
    event_poll_seconds: float = Field(
        default=0.2, gt=0, description="how often an event stream looks for new events"
    )

    # --- several processes on one database, retention (see README, "Security") ---
    lease_seconds: float = Field(
        default=15.0, gt=0, description="a process's claim on its jobs lasts this long "
        "unless renewed (every second); then any process on the database marks the job "
        "interrupted"
    )
    retention_days: float | None = Field(
        default=None, gt=0, description="finished jobs older than this are deleted (hourly); "
        "None keeps them"
    )

    tile_url: str = Field(
        default="", description="the web page's base map, a Leaflet tile URL template such as "
        "http://127.0.0.1:8080/{z}/{x}/{y}.png; empty: no base map (points and region "
        "outlines only), so the page never reaches a tile server it was not given"
    )
    tile_attribution: str = Field(default="", description="credit line shown under the tiles")

    # --- keys, rate limits, quotas (see README, "Security") ---
    min_key_length: int = Field(
        default=32, ge=1, description="MATCHER_API_KEYS keys shorter than this are refused at "
        "start (stored keys are 60 characters)"
    )
    rate_limit_requests: str = Field(
        default="50/second;1500/minute", description="requests per API key and per client "
        "address ('' for none), in the `limits` notation"
    )
    rate_limit_failures: str = Field(
        default="10/minute;100/hour", description="failed authentications per client address "
        "and per presented key id ('' for none)"
    )
    quota_jobs_per_day: int | None = Field(
        default=None, ge=1, description="jobs (and replans) an organisation may submit per UTC "
        "day; None for no quota"
    )
    quota_solver_seconds_per_day: float | None = Field(
        default=None, gt=0, description="solver seconds an organisation may use per UTC day "
        "(jobs, replans, /v1/solve); None for no quota"
    )

    @field_validator("rate_limit_requests", "rate_limit_failures")
    @classmethod
    def _rates(cls, text: str) -> str:
        from matcher.api.ratelimit import parse_rates

        parse_rates(text)  # a ValueError names what is wrong
        return text

    @model_validator(mode="after")
    def _key_lengths(self) -> Settings:
        for key, org in self.api_keys.items():
            if len(key) < self.min_key_length:
                raise ValueError(
                    f"api_keys: a key of organisation {org!r} has {len(key)} characters, "
                    f"fewer than min_key_length={self.min_key_length}")
        return self

    # --- the execution engine (matcher.engine) --------------------------------------------
    engine: Literal["local", "inprocess"] = Field(
        default="local", description="jobs' subproblems as tasks on a Dask LocalCluster of "
        "worker processes that the server starts ('local'), or in this process ('inprocess'); "
        "scheduler_address overrides both")
    scheduler_address: str | None = Field(
        default=None, description="an existing Dask cluster's scheduler, tcp://HOST:PORT")
    engine_workers: int = Field(default=2, ge=1, description="worker processes of 'local'")
    worker_memory_limit: str = Field(
        default="3GiB", description="per worker process of 'local'; its nanny restarts a "
        "worker beyond it, and the job ends failed with the cause")

    # --- fair, bounded queues --------------------------------------------------------------
    max_running_jobs_per_org: int = Field(default=2, ge=1)
    max_queued_jobs_per_org: int = Field(default=20, ge=0)
    sync_slots: int = Field(default=2, ge=1, description="synchronous solves at the same time")
    max_sync_solves_per_org: int = Field(
        default=4, ge=1, description="synchronous solves of one organisation running or "
        "waiting for a slot; beyond it 429")
    sync_wait_seconds: float = Field(
        default=60.0, gt=0, description="how long a synchronous solve waits for a slot")
    retry_after_seconds: int = Field(default=5, ge=1, description="Retry-After of a 429")
    sync_processes: int = Field(
        default=2, ge=0, description="worker processes that parse and solve synchronous "
        "requests (POST /v1/solve) off the API process, so that its event loop stays "
        "responsive; 0: in threads of the API process")
    sync_warm: bool = Field(
        default=False, description="start those processes with the server (`matcher serve` "
        "sets it) instead of at the first synchronous solve")

    # --- robustness ------------------------------------------------------------------------
    store_retry_seconds: float = Field(
        default=2.0, gt=0, description="how often unwritten job states are retried")
    shutdown_seconds: float = Field(
        default=3.0, gt=0, description="how long a shutdown waits for running jobs to stop "
        "before marking them interrupted with their best plan stored so far")
    on_restart: Literal["resume", "resubmit"] = Field(
        default="resume", description="jobs a shutdown or crash cut off: run again from "
        "their best plan for the time they had left ('resume'), or leave them interrupted "
        "for the client to resubmit ('resubmit')")
