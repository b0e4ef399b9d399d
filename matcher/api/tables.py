"""The store's tables as SQLAlchemy 2.0 models (the schema itself is made by the Alembic
migrations in `migrations/`; these classes must match the newest one, which a test checks).

Counters and sums use 64-bit columns: coverage is a sum of need weights (up to 2^31 and more),
event ids and usage counters grow without bound.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

# SQLite's autoincrement needs the column to be exactly INTEGER (its rowid, 64-bit anyway).
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(32), default=None)
    problem_json: Mapped[str] = mapped_column(Text)
    # What the replan request asked to change (replan jobs only).
    changes_json: Mapped[str | None] = mapped_column(Text, default=None)
    time_limit: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    plan_json: Mapped[str | None] = mapped_column(Text, default=None)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    coverage: Mapped[int | None] = mapped_column(BigInteger, default=None)
    bound: Mapped[float | None] = mapped_column(Float, default=None)
    gap: Mapped[float | None] = mapped_column(Float, default=None)
    elapsed: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # The process that runs the job (host:pid:random) and until when its claim holds; it
    # renews the lease while it lives, and only an expired lease lets another process act.
    owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None,
                                                        index=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # A client asked to stop it (DELETE), seen by the owning process wherever it runs.
    stop_requested: Mapped[bool] = mapped_column(default=False)
    # Computed in SQL, so that a listing need not load the plans themselves.
    has_plan: Mapped[bool] = column_property(plan_json.is_not(None))

    @property
    def problem(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.problem_json)
        return doc

    @property
    def plan(self) -> dict[str, Any] | None:
        return None if self.plan_json is None else json.loads(self.plan_json)


class EventRow(Base):
    """One improvement of a job, in order: what its event stream sends."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored; `id` is the public part that names it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org: Mapped[str] = mapped_column(String(200), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class UsageRow(Base):
    """What an organisation used on one UTC day: jobs submitted and solver seconds spent."""

    __tablename__ = "usage"

    org: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    jobs: Mapped[int] = mapped_column(BigInteger, default=0)
    solver_seconds: Mapped[float] = mapped_column(Float, default=0.0)
