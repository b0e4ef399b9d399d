"""Per-organisation quotas of the day (UTC): jobs submitted and solver seconds.

Jobs are counted when they are accepted (one statement that adds and reads back, so two
requests at once cannot both take the last one); solver seconds are charged when a solve
ends (`Store.finish`, `charge`).  A request that would go over is a 429 with `Retry-After`
until midnight UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import HTTPException, status

from matcher.api.settings import Settings
from matcher.api.store import Store, utcnow


def _until_midnight(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()) + 1)


def _refuse(message: str, now: datetime) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message,
                         headers={"Retry-After": str(_until_midnight(now))})


def admit(store: Store, settings: Settings, org: str, seconds: float, *, job: bool) -> None:
    """Refuse (429) a solve of up to `seconds` when it would go over a quota; count it as
    one of the day's jobs when `job`."""
    now = utcnow()
    cap = settings.quota_solver_seconds_per_day
    if cap is not None:
        check_seconds(org, cap, store.usage(org, now.date()).solver_seconds, seconds)
    jobs_cap = settings.quota_jobs_per_day
    if job and jobs_cap is not None:
        total = store.add_usage(org, jobs=1, day=now.date()).jobs
        if total > jobs_cap:
            store.add_usage(org, jobs=-1, day=now.date())
            raise _refuse(f"organisation {org!r} has used its quota of {jobs_cap} jobs for "
                          "today (UTC)", now)
    elif job:
        store.add_usage(org, jobs=1, day=now.date())


def check_seconds(org: str, cap: float, used: float, seconds: float) -> None:
    """Refuse (429) a solve of up to `seconds` when `used` of the daily `cap` leaves less."""
    now = utcnow()
    if used >= cap:
        raise _refuse(f"organisation {org!r} has used its quota of {cap:g} solver seconds "
                      f"for today (UTC): {used:.1f} s", now)
    if seconds > cap - used:
        raise _refuse(f"time_limit {seconds:g} s is more than the {cap - used:.1f} solver "
                      f"seconds left today (UTC) of organisation {org!r}'s quota of "
                      f"{cap:g}; ask for less", now)


def used_seconds(store: Store, org: str) -> float:
    """Solver seconds `org` has used today (UTC)."""
    return store.usage(org, utcnow().date()).solver_seconds


def charge(store: Store, org: str, seconds: float) -> None:
    """Charge a solve that is not a stored job (POST /v1/solve) to the day's usage."""
    if seconds > 0:
        store.add_usage(org, solver_seconds=seconds)
