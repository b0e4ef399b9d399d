"""The job store: jobs, their problems, best plans and progress events, in SQL.

SQLite by default, PostgreSQL through `Settings.database_url`; one SQLAlchemy 2.0 API for
both.  Every method opens its own short session, so the store is safe to share between the
request handlers and the solver threads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

JobState = Literal["queued", "running", "done", "stopped", "interrupted", "failed"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")
FINAL_STATES: tuple[JobState, ...] = ("done", "stopped", "interrupted", "failed")


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    seed: Mapped[int] = mapped_column(Integer, default=0)
    plan_json: Mapped[str | None] = mapped_column(Text, default=None)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    coverage: Mapped[int | None] = mapped_column(Integer, default=None)
    bound: Mapped[float | None] = mapped_column(Float, default=None)
    gap: Mapped[float | None] = mapped_column(Float, default=None)
    elapsed: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

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

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text)


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if not memory:
            # Readers (event streams, polls) do not block the solver threads' writes.
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


class Store:
    """Jobs and their events. Reads are scoped to an organisation; ids are random."""

    def __init__(self, url: str) -> None:
        self.engine = _make_engine(url)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- jobs ----------------------------------------------------------------------------

    def create_job(
        self,
        org: str,
        problem: dict[str, Any],
        time_limit: float,
        seed: int = 0,
        parent_id: str | None = None,
        changes: Sequence[dict[str, Any]] | None = None,
    ) -> JobRow:
        row = JobRow(
            id=uuid.uuid4().hex,
            org=org,
            state="queued",
            parent_id=parent_id,
            problem_json=json.dumps(problem, ensure_ascii=False),
            changes_json=None if changes is None else json.dumps(list(changes)),
            time_limit=time_limit,
            seed=seed,
            created_at=utcnow(),
        )
        with self._session.begin() as s:
            s.add(row)
        return row

    def get(self, job_id: str, org: str | None = None) -> JobRow | None:
        """The job, or None when it does not exist or belongs to another organisation."""
        with self._session() as s:
            row = s.get(JobRow, job_id)
            if row is None or (org is not None and row.org != org):
                return None
            return row

    def mark_running(self, job_id: str) -> bool:
        """Queued -> running; False when the job is no longer queued (stopped meanwhile)."""
        with self._session.begin() as s:
            res = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == "queued")
                .values(state="running", started_at=utcnow())
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def record_progress(
        self,
        job_id: str,
        *,
        elapsed: float,
        stage: str,
        coverage: int | None,
        bound: float | None,
        gap: float | None,
        plan: dict[str, Any] | None,
    ) -> int:
        """Store one improvement and its event; returns the event's sequence number."""
        with self._session.begin() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return 0
            row.elapsed, row.stage = elapsed, stage
            if coverage is not None:
                row.coverage = coverage
            if bound is not None:
                row.bound = bound
            if gap is not None:
                row.gap = gap
            if plan is not None:
                row.plan_json = json.dumps(plan, ensure_ascii=False)
            last = s.scalar(
                select(EventRow.seq).where(EventRow.job_id == job_id).order_by(
                    EventRow.seq.desc()).limit(1)
            )
            seq = (last or 0) + 1
            data = {"seq": seq, "elapsed": elapsed, "stage": stage, "coverage": coverage,
                    "bound": bound, "gap": gap}
            s.add(EventRow(job_id=job_id, seq=seq, data_json=json.dumps(data)))
            return seq

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        plan: dict[str, Any] | None = None,
        elapsed: float | None = None,
        error: str | None = None,
    ) -> None:
        """Record a job's end: its final state and (when it has one) its final plan."""
        with self._session.begin() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return
            row.state = state
            row.finished_at = utcnow()
            row.error = error
            if elapsed is not None:
                row.elapsed = elapsed
            if plan is not None:
                row.plan_json = json.dumps(plan, ensure_ascii=False)
                row.coverage = plan.get("objective", {}).get("coverage", row.coverage)
                bound = plan.get("bound", {}).get("coverage")
                if bound is not None:
                    row.bound = bound
                    row.gap = 0.0 if bound <= 0 else max(0.0, (bound - row.coverage) / bound)

    def recover_interrupted(self) -> int:
        """Mark jobs a previous process left queued or running as interrupted.

        Their best plan so far (if any) stays stored and served.
        """
        with self._session.begin() as s:
            res = s.execute(
                update(JobRow)
                .where(JobRow.state.in_(ACTIVE_STATES))
                .values(state="interrupted", finished_at=utcnow(),
                        error="the server restarted while the job was queued or running")
            )
            return int(res.rowcount)  # type: ignore[attr-defined]

    # --- events --------------------------------------------------------------------------

    def events_after(self, job_id: str, seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(
                select(EventRow)
                .where(EventRow.job_id == job_id, EventRow.seq > seq)
                .order_by(EventRow.seq)
                .limit(limit)
            ).all()
            return [json.loads(r.data_json) for r in rows]
