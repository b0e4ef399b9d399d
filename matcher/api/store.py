"""The job store: jobs, their problems, best plans and progress events, in SQL.

SQLite by default, PostgreSQL through `Settings.database_url`; one SQLAlchemy 2.0 API for
both, the schema made and upgraded by Alembic (`migrate.py`).  Every method opens its own
short session, so the store is safe to share between the request handlers and the solver
threads.

Several processes may share one database.  A job belongs to the process that accepted it
(`owner`) for as long as that process renews its lease (`renew_leases`, every few seconds);
writes about a running job are fenced by the owner, so a process that lost its lease cannot
overwrite what another one decided.  A job whose lease expired is marked `interrupted` by
whichever live process sees it first (`expire_leases`), with the cause in its `error`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, create_engine, delete, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker
from sqlalchemy.pool import StaticPool

from matcher.api import migrate
from matcher.api.tables import ApiKeyRow, EventRow, JobRow, UsageRow

__all__ = ["ACTIVE_STATES", "FINAL_STATES", "ApiKeyRow", "JobRow", "JobState", "Store",
           "Usage", "public_error", "utcnow"]

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "stopped", "interrupted", "failed"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")
FINAL_STATES: tuple[JobState, ...] = ("done", "stopped", "interrupted", "failed")
# A job cut off by this server's shutdown; one whose process died is marked by
# `expire_leases` with LEASE_ERROR_START. Both may be resumed on the next start.
SHUTDOWN_ERROR = "the server shut down while the job was running"
LEASE_ERROR_START = "the server process that was running it ("
# Job ids are uuid4 hex; anything else (a NUL byte, 5,000 characters) cannot be a job and is
# never sent to the database, where PostgreSQL would refuse it with an error.
_JOB_ID = re.compile(r"[0-9a-f]{32}")

STORE_ERROR = "internal error in the job store (the details are in the server's log)"


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc(t: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives them back naive)."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def public_error(err: BaseException) -> str:
    """What a client may be told about an error: database errors carry SQL and bound
    parameters (parts of the caller's or another tenant's data), so they are logged here
    and replaced by a fixed sentence."""
    if isinstance(err, SQLAlchemyError):
        log.error("job store error: %s", err)
        return STORE_ERROR
    return f"{type(err).__name__}: {err}"


def process_name() -> str:
    """This process's name as a job owner: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Usage:
    """An organisation's use on one UTC day."""

    jobs: int = 0
    solver_seconds: float = 0.0


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
    """Jobs and their events. Reads are scoped to an organisation; ids are random.

    `owner` names this process in the jobs it runs; `lease_seconds` is how long its claim on
    them holds without renewal.
    """

    def __init__(self, url: str, *, owner: str | None = None,
                 lease_seconds: float = 30.0) -> None:
        self.engine = _make_engine(url)
        migrate.upgrade(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self.owner = owner or process_name()
        self.lease_seconds = lease_seconds

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction (committed on success)."""
        with self._session.begin() as s:
            yield s

    def _lease(self) -> datetime:
        return utcnow() + timedelta(seconds=self.lease_seconds)

    def _mine(self, job_id: str) -> Any:
        # Writes about a running job: only by its owner, and only while it is active.
        return and_(JobRow.id == job_id, JobRow.owner == self.owner,
                    JobRow.state.in_(ACTIVE_STATES))

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
        now = utcnow()
        row = JobRow(
            id=uuid.uuid4().hex,
            org=org,
            state="queued",
            parent_id=parent_id,
            problem_json=json.dumps(problem, ensure_ascii=False),
            changes_json=None if changes is None else json.dumps(list(changes)),
            time_limit=time_limit,
            seed=seed,
            created_at=now,
            owner=self.owner,
            lease_until=self._lease(),
            heartbeat_at=now,
            stop_requested=False,
        )
        with self._session.begin() as s:
            s.add(row)
            s.flush()
            s.refresh(row)  # loads the computed `has_plan` too
        return row

    def get(self, job_id: str, org: str | None = None) -> JobRow | None:
        """The job, or None when it does not exist or belongs to another organisation."""
        if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
            return None
        with self._session() as s:
            row = s.get(JobRow, job_id)
            if row is None or (org is not None and row.org != org):
                return None
            return row

    def list_jobs(self, org: str, *, states: Sequence[str] = (), limit: int = 50,
                  after: JobRow | None = None) -> list[JobRow]:
        """An organisation's jobs, newest first; `after` continues a listing past that job.

        The rows come without their problem, plan and changes (big documents a listing does
        not show); `has_plan` is there."""
        q = select(JobRow).where(JobRow.org == org).options(
            defer(JobRow.problem_json, raiseload=True), defer(JobRow.plan_json, raiseload=True),
            defer(JobRow.changes_json, raiseload=True))
        if states:
            q = q.where(JobRow.state.in_(list(states)))
        if after is not None:
            q = q.where(or_(JobRow.created_at < after.created_at,
                            and_(JobRow.created_at == after.created_at, JobRow.id < after.id)))
        q = q.order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit)
        with self._session() as s:
            return list(s.scalars(q).all())

    def mark_running(self, job_id: str) -> bool:
        """Queued -> running; False when the job is no longer queued here (stopped
        meanwhile, or taken from this process after its lease expired)."""
        now = utcnow()
        with self._session.begin() as s:
            res = s.execute(
                update(JobRow)
                .where(self._mine(job_id), JobRow.state == "queued")
                .values(state="running", started_at=now, lease_until=self._lease(),
                        heartbeat_at=now)
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
        """Store one improvement and its event; returns the event's sequence number (0 when
        the job is no longer this process's to write)."""
        with self._session.begin() as s:
            row = s.scalars(select(JobRow).where(self._mine(job_id))).first()
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
    ) -> bool:
        """Record a job's end: its final state and (when it has one) its final plan; the
        solver time is charged to the organisation's usage of the day.  False when the job
        was no longer this process's (another one marked it after its lease expired)."""
        with self._session.begin() as s:
            row = s.scalars(select(JobRow).where(self._mine(job_id))).first()
            if row is None:
                log.warning("job %s: not finished as %s here, it is no longer owned by %s",
                            job_id, state, self.owner)
                return False
            row.state = state
            row.finished_at = utcnow()
            row.error = error
            row.lease_until = None
            if elapsed is not None:
                row.elapsed = elapsed
            if plan is not None:
                row.plan_json = json.dumps(plan, ensure_ascii=False)
                row.coverage = plan.get("objective", {}).get("coverage", row.coverage)
                bound = plan.get("bound", {}).get("coverage")
                if bound is not None and row.coverage is not None:
                    row.bound = bound
                    row.gap = 0.0 if bound <= 0 else max(0.0, (bound - row.coverage) / bound)
            seconds = row.elapsed or 0.0
            if seconds > 0:  # in the same transaction: whoever sees the end sees the charge
                s.execute(self._usage_upsert(row.org, utcnow().date(), 0, seconds))
        return True

    def request_stop(self, job_id: str) -> None:
        """Ask the job's owner, in whichever process, to stop it."""
        with self._session.begin() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id,
                                           JobRow.state.in_(ACTIVE_STATES))
                      .values(stop_requested=True))

    def stop_requests(self) -> list[str]:
        """Active jobs of this process that a client asked (maybe elsewhere) to stop."""
        with self._session() as s:
            return list(s.scalars(select(JobRow.id).where(
                JobRow.owner == self.owner, JobRow.state.in_(ACTIVE_STATES),
                JobRow.stop_requested.is_(True))).all())

    def delete_job(self, job_id: str, org: str) -> bool:
        """Remove a finished job, its plan and its events; False when it is not finished."""
        with self._session.begin() as s:
            found = s.scalar(select(JobRow.id).where(
                JobRow.id == job_id, JobRow.org == org, JobRow.state.in_(FINAL_STATES))
                .with_for_update())
            if found is None:
                return False
            s.execute(delete(EventRow).where(EventRow.job_id == job_id))
            s.execute(delete(JobRow).where(JobRow.id == job_id)
                      .execution_options(synchronize_session=False))
            return True

    def purge_finished(self, older_than: timedelta) -> int:
        """Delete finished jobs that ended more than `older_than` ago; returns how many."""
        cutoff = utcnow() - older_than
        with self._session.begin() as s:
            ids = list(s.scalars(select(JobRow.id).where(
                JobRow.state.in_(FINAL_STATES), JobRow.finished_at < cutoff)).all())
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                s.execute(delete(EventRow).where(EventRow.job_id.in_(chunk)))
                s.execute(delete(JobRow).where(JobRow.id.in_(chunk))
                          .execution_options(synchronize_session=False))
            return len(ids)

    def resumable_ids(self) -> list[str]:
        """Jobs cut off by a shutdown or a dead process (not stopped by a client, not
        failed), oldest first: what `on_restart: resume` runs again."""
        with self._session() as s:
            return list(s.scalars(select(JobRow.id).where(
                JobRow.state == "interrupted",
                or_(JobRow.error == SHUTDOWN_ERROR,
                    JobRow.error.startswith(LEASE_ERROR_START, autoescape=True)))
                .order_by(JobRow.created_at)).all())

    def requeue(self, job_id: str) -> bool:
        """Claim an interrupted job for this process, back to `queued` (its best plan stays);
        False when another process claimed it first."""
        with self._session.begin() as s:
            res = s.execute(update(JobRow).where(
                JobRow.id == job_id, JobRow.state == "interrupted").values(
                state="queued", finished_at=None, error=None, owner=self.owner,
                lease_until=self._lease(), stop_requested=False))
            return bool(res.rowcount)  # type: ignore[attr-defined]

    # --- leases ------------------------------------------------------------------------

    def renew_leases(self) -> int:
        """Extend this process's claim on its active jobs; returns how many it holds."""
        now = utcnow()
        with self._session.begin() as s:
            res = s.execute(update(JobRow)
                            .where(JobRow.owner == self.owner,
                                   JobRow.state.in_(ACTIVE_STATES))
                            .values(lease_until=self._lease(), heartbeat_at=now))
            return int(res.rowcount)  # type: ignore[attr-defined]

    def expire_leases(self) -> list[str]:
        """Mark active jobs whose owner stopped renewing its lease as interrupted, with the
        cause; their best plan stays stored and served.  Returns their ids."""
        now = utcnow()
        with self._session.begin() as s:
            rows = s.scalars(select(JobRow).where(
                JobRow.state.in_(ACTIVE_STATES),
                or_(JobRow.owner.is_(None), JobRow.owner != self.owner),
                or_(JobRow.lease_until.is_(None), JobRow.lease_until < now),
            ).with_for_update(skip_locked=True)).all()
            for row in rows:
                beat = utc(row.heartbeat_at)
                was = "queued" if row.state == "queued" else "running"
                row.error = (
                    f"{LEASE_ERROR_START}{row.owner or 'unknown'}) "
                    f"stopped: its last heartbeat was at "
                    f"{beat.isoformat(timespec='seconds') if beat else 'never'} and its "
                    f"lease expired; the job was {was}, "
                    + ("its best plan so far is kept" if row.plan_json is not None
                       else "it had no plan yet")
                )
                row.state = "interrupted"
                row.finished_at = now
                row.lease_until = None
                log.warning("job %s: %s", row.id, row.error)
            return [r.id for r in rows]

    # --- usage ---------------------------------------------------------------------------

    def add_usage(self, org: str, *, jobs: int = 0, solver_seconds: float = 0.0,
                  day: date | None = None) -> Usage:
        """Add to an organisation's use of the day (UTC) in one statement; the new totals."""
        stmt = self._usage_upsert(org, day or utcnow().date(), jobs, solver_seconds)
        with self._session.begin() as s:
            got = s.execute(stmt).one()
            return Usage(int(got[0]), float(got[1]))

    def _usage_upsert(self, org: str, day: date, jobs: int, solver_seconds: float) -> Any:
        values = {"org": org, "day": day, "jobs": jobs, "solver_seconds": solver_seconds}
        ins = (postgresql.insert(UsageRow) if self.engine.dialect.name == "postgresql"
               else sqlite.insert(UsageRow))
        return ins.values(**values).on_conflict_do_update(
            index_elements=[UsageRow.org, UsageRow.day],
            set_={"jobs": UsageRow.jobs + ins.excluded.jobs,
                  "solver_seconds": UsageRow.solver_seconds + ins.excluded.solver_seconds},
        ).returning(UsageRow.jobs, UsageRow.solver_seconds)

    def usage(self, org: str, day: date | None = None) -> Usage:
        with self._session() as s:
            row = s.get(UsageRow, (org, day or utcnow().date()))
            return Usage() if row is None else Usage(row.jobs, row.solver_seconds)

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
