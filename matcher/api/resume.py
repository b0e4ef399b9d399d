"""Jobs cut off by a shutdown or a dead process, on the next start (`Settings.on_restart`).

- ``resubmit``: they stay `interrupted` with their best plan; the client resubmits.
- ``resume``: each runs again for the time it had left, as a warm start from its best
  plan (`SolveParams.start`: every subproblem starts from its part of that plan, and CP-SAT
  gets it as its hint), so it never ends behind it; the plan stays stored (and served)
  meanwhile.
"""

from __future__ import annotations

import logging
from typing import Any

from matcher.api.jobs import JobRunner
from matcher.api.settings import Settings
from matcher.api.store import Store
from matcher.model import Plan, Problem, parse_plan, parse_problem
from matcher.solver import SolveParams

log = logging.getLogger(__name__)

MIN_RESUME_SECONDS = 1.0


def resume(store: Store, runner: JobRunner, settings: Settings) -> list[str]:
    """Queue every resumable job again for the time it had left; the ids queued."""
    queued = []
    for job_id in store.resumable_ids():
        row = store.get(job_id)
        if row is None:
            continue
        left = row.time_limit - (row.elapsed or 0.0)
        if left < MIN_RESUME_SECONDS:
            continue  # its time was used up: it stays interrupted with its best plan
        previous: dict[str, Any] | None = row.plan
        try:
            problem = parse_problem(row.problem)
            params = SolveParams(time_limit=left, seed=row.seed, workers=settings.solver_workers,
                                 progress_plans=True, start=_start(previous, problem, job_id))
            if not store.requeue(job_id):
                continue  # another process on this database resumed it
            runner.submit(job_id, problem, params, row.org, previous=previous,
                          used=row.elapsed or 0.0)
            queued.append(job_id)
        except Exception as err:  # one bad row must not stop the server from starting
            log.warning("job %s not resumed: %s", job_id, err)
    if queued:
        log.info("resumed %d interrupted job(s)", len(queued))
    return queued


def _start(doc: dict[str, Any] | None, problem: Problem, job_id: str) -> Plan | None:
    """The stored best plan to start from, when there is a usable one."""
    if doc is None or doc.get("status") not in ("optimal", "feasible"):
        return None
    try:
        return parse_plan(doc, problem)
    except Exception as err:  # a plan that does not read: start afresh, keep it stored
        log.warning("job %s: its stored plan is no warm start (%s)", job_id, err)
        return None
