"""The job runner: solves jobs on a small pool of threads, one stop flag per job.

A runner belongs to one app instance (``app.state.runner``); nothing here is global.  Every
improvement goes to the store at once, so a restart loses at most the solver's work since
the last improvement, and an interrupted job keeps its best plan.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from matcher.api.store import Store, public_error
from matcher.model import Problem
from matcher.solver import Progress, SolveParams, solve

log = logging.getLogger(__name__)

StopReason = Literal["client", "shutdown"]


@dataclass
class _Active:
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    reason: StopReason | None = None
    started: bool = False  # claimed by a worker thread (or finished while still queued)


class RunnerClosed(RuntimeError):
    """The runner is shutting down and takes no new jobs."""


class JobRunner:
    """Runs queued jobs; `stop` asks a job to end early and waits for its solver."""

    def __init__(self, store: Store, workers: int) -> None:
        self.store = store
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcher-job")
        self._lock = threading.Lock()
        self._active: dict[str, _Active] = {}
        self._closed = False

    def start(self) -> None:
        """Take jobs again after a `shutdown` (an app's lifespan may run more than once)."""
        with self._lock:
            if self._closed:
                self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="matcher-job")
                self._closed = False

    def submit(self, job_id: str, problem: Problem, params: SolveParams) -> None:
        with self._lock:
            if self._closed:
                raise RunnerClosed("the server is shutting down and takes no new jobs")
            self._active[job_id] = _Active()
        self._pool.submit(self._run, job_id, problem, params)

    def run_here(self, job_id: str, problem: Problem, params: SolveParams) -> None:
        """Run a job in the calling thread (a request that waits for its answer), still
        stoppable through `stop` and `shutdown`."""
        with self._lock:
            if self._closed:
                raise RunnerClosed("the server is shutting down and takes no new jobs")
            self._active[job_id] = _Active()
        self._run(job_id, problem, params)

    def is_active(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._active

    def wait(self, job_id: str, timeout: float) -> bool:
        """Wait until the job has ended; True when it has (or was never running here)."""
        with self._lock:
            active = self._active.get(job_id)
        return active is None or active.done.wait(timeout)

    def stop(self, job_id: str, timeout: float, reason: StopReason = "client") -> bool:
        """Ask the job's solver to stop and wait for it; True once it has stopped.

        A job still waiting in the queue ends at once, without a plan.
        """
        with self._lock:
            active = self._active.get(job_id)
            if active is None:
                return True
            if active.reason is None:
                active.reason = reason
            active.stop.set()
            queued = not active.started
            if queued:
                active.started = True  # the worker that picks it up will skip it
                self._active.pop(job_id, None)
        if queued:
            self.store.finish(job_id, "interrupted" if active.reason == "shutdown" else "stopped",
                              error="stopped before it started")
            active.done.set()
            return True
        return active.done.wait(timeout)

    def shutdown(self, timeout: float) -> None:
        """Stop every job (their best plans are kept, marked interrupted) and the pool."""
        with self._lock:
            self._closed = True
            ids = list(self._active)
        for job_id in ids:
            self.stop(job_id, timeout, reason="shutdown")
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- the worker ----------------------------------------------------------------------

    def _run(self, job_id: str, problem: Problem, params: SolveParams) -> None:
        with self._lock:
            active = self._active.get(job_id)
            if active is None or active.started:
                return  # stopped while it waited in the queue
            active.started = True
        try:
            self._solve(job_id, problem, params, active)
        except Exception as err:  # a solver bug must not leave the job 'running' forever
            log.exception("job %s failed", job_id)
            self.store.finish(job_id, "failed", error=public_error(err))
        finally:
            active.done.set()
            with self._lock:
                self._active.pop(job_id, None)

    def _solve(self, job_id: str, problem: Problem, params: SolveParams, active: _Active) -> None:
        if active.stop.is_set():
            self.store.finish(job_id, "interrupted" if active.reason == "shutdown" else "stopped",
                              error="stopped before it started")
            return
        if not self.store.mark_running(job_id):
            return

        def progress(p: Progress) -> None:
            self.store.record_progress(
                job_id, elapsed=p.elapsed, stage=p.stage, coverage=p.coverage, bound=p.bound,
                gap=p.gap, plan=None if p.plan is None else p.plan.to_json_dict(),
            )

        result = solve(problem, params, progress=progress, stop=active.stop)
        plan = result.plan
        if active.reason == "shutdown":
            state: Literal["done", "stopped", "interrupted"] = "interrupted"
        elif active.stop.is_set() and plan.status != "optimal":
            state = "stopped"
        else:
            state = "done"
        self.store.finish(job_id, state, plan=plan.to_json_dict(), elapsed=result.seconds)
