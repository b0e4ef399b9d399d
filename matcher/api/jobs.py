"""The job runner: queued jobs solved through the execution engine, fairly, robustly.

A runner belongs to one app instance (``app.state.runner``); nothing here is global.

- Jobs wait in a per-organisation queue (`engine.fair.FairQueue`) and get one of `workers`
  slots in turn between organisations; beyond an organisation's caps `submit` raises `Busy`.
- A running job's solve runs in a thread of this process, and its subproblems as tasks on
  the Dask cluster (`runner.engine`) when there is one; a dead worker or an out-of-memory
  task ends the job `failed` with the cause (`EngineError`), never `running` for good.
- State changes go through `_Recorder`: when the database cannot be written (an outage), the
  solve goes on, the latest progress and the final state are kept in memory and written by a
  background retry as soon as the database is back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from matcher.api.store import SHUTDOWN_ERROR, JobState, Store, public_error
from matcher.engine.fair import Busy, FairQueue
from matcher.model import Problem
from matcher.solver import Progress, SolveParams, solve

log = logging.getLogger(__name__)

StopReason = Literal["client", "shutdown"]

__all__ = ["Busy", "JobRunner", "RunnerClosed"]


@dataclass
class _Active:
    org: str
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    reason: StopReason | None = None
    started: bool = False  # given a slot (or finished while still queued)
    previous: dict[str, Any] | None = None  # best plan of an earlier run (resumed job)
    used: float = 0.0  # solver seconds earlier runs of this job used (resumed job)
    t0: float | None = None  # when this run's solve began (time.monotonic)


class RunnerClosed(RuntimeError):
    """The runner is shutting down and takes no new jobs."""


class _Recorder:
    """Store writes that survive a database outage: what fails is kept and retried."""

    def __init__(self, store: Store, retry_seconds: float) -> None:
        self.store = store
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._progress: dict[str, dict[str, Any]] = {}
        self._final: dict[str, tuple[JobState, dict[str, Any]]] = {}
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def mark_running(self, job_id: str) -> bool:
        try:
            return self.store.mark_running(job_id)
        except Exception as err:
            log.warning("job %s: cannot record 'running' (%s); solving anyway", job_id, err)
            return True

    def progress(self, job_id: str, **kw: Any) -> None:
        with self._lock:
            if job_id in self._final:
                return
            pending = self._progress.pop(job_id, None)
        if pending is not None and kw.get("plan") is None:
            kw["plan"] = pending.get("plan")  # keep the best plan the failed write carried
        try:
            self.store.record_progress(job_id, **kw)
        except Exception as err:
            log.warning("job %s: cannot record progress (%s); kept for later", job_id, err)
            with self._lock:
                self._progress[job_id] = kw
            self._ensure_thread()

    def finish(self, job_id: str, state: JobState, **kw: Any) -> None:
        with self._lock:
            self._final[job_id] = (state, kw)
        if not self._flush_one(job_id):
            self._ensure_thread()

    def _flush_one(self, job_id: str) -> bool:
        with self._lock:
            entry = self._final.get(job_id)
            progress = self._progress.get(job_id)
        try:
            if entry is None:
                if progress is not None:
                    self.store.record_progress(job_id, **progress)
                    with self._lock:
                        self._progress.pop(job_id, None)
                return True
            state, kw = entry
            if kw.get("plan") is None and progress is not None and progress.get("plan"):
                kw = {**kw, "plan": progress["plan"]}
            self.store.finish(job_id, state, **kw)
        except Exception as err:
            log.warning("job %s: cannot record its end (%s); retrying", job_id, err)
            return False
        with self._lock:
            self._final.pop(job_id, None)
            self._progress.pop(job_id, None)
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._final) + len(self._progress)

    def flush(self) -> bool:
        """Write what is pending now; True when nothing is left."""
        with self._lock:
            ids = list(set(self._final) | set(self._progress))
        return all([self._flush_one(i) for i in ids])

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="matcher-recorder",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._wake.wait(self.retry_seconds):
            if self.flush() or self._closed:
                return

    def close(self) -> None:
        self._closed = True
        self.flush()


class JobRunner:
    """Runs queued jobs; `stop` asks a job to end early and waits for its solver."""

    def __init__(self, store: Store, workers: int, *, max_running_per_org: int | None = None,
                 max_queued_per_org: int = 1_000_000, retry_seconds: float = 2.0) -> None:
        self.store = store
        self.engine: Any = None  # a matcher.engine.Engine while the app runs with one
        self._workers = workers
        self._queue: FairQueue[tuple[Problem, SolveParams]] = FairQueue(
            max_running_per_org or workers, max_queued_per_org)
        self._running = 0
        self._lock = threading.Lock()
        self._active: dict[str, _Active] = {}
        self._closed = False
        self._stop_by: float | None = None  # when a shutdown under way marks jobs interrupted
        self.recorder = _Recorder(store, retry_seconds)

    def start(self) -> None:
        """Take jobs again after a `shutdown` (an app's lifespan may run more than once)."""
        with self._lock:
            self._closed = False
            self._stop_by = None

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, job_id: str, problem: Problem, params: SolveParams,
               org: str = "", previous: dict[str, Any] | None = None,
               used: float = 0.0) -> None:
        """Queue a job; `Busy` when its organisation has too many queued already.

        `previous`: the plan an earlier run of this job reached (a resumed job); the job
        ends with the better of it and the new one. `used`: the solver seconds earlier runs
        used; the job's recorded `elapsed` counts them too, so that a job cut off again
        resumes only for what is really left.
        """
        with self._lock:
            if self._closed:
                raise RunnerClosed("the server is shutting down and takes no new jobs")
            self._queue.push(org, job_id, (problem, params))
            self._active[job_id] = _Active(org, previous=previous, used=used)
            self._dispatch()

    def counts(self, org: str) -> tuple[int, int]:
        """(running, queued) jobs of `org`."""
        with self._lock:
            return self._queue.counts(org)

    def _dispatch(self) -> None:
        # Called with the lock held: fill free slots, in turn between organisations.
        while self._running < self._workers:
            nxt = self._queue.pop()
            if nxt is None:
                return
            org, key, (problem, params) = nxt
            job_id = str(key)
            active = self._active.get(job_id)
            if active is None or active.started:
                self._queue.done(org)
                continue
            active.started = True
            self._running += 1
            threading.Thread(target=self._run_slot, args=(job_id, problem, params, active),
                             name=f"matcher-job-{job_id[:8]}", daemon=True).start()

    def _run_slot(self, job_id: str, problem: Problem, params: SolveParams,
                  active: _Active) -> None:
        try:
            self._run(job_id, problem, params, active)
        finally:
            with self._lock:
                self._running -= 1
                self._queue.done(active.org)
                self._dispatch()

    def run_here(self, job_id: str, problem: Problem, params: SolveParams) -> None:
        """Run a job in the calling thread (a request that waits for its answer), still
        stoppable through `stop` and `shutdown`; in-process (it is a synchronous solve)."""
        with self._lock:
            if self._closed:
                raise RunnerClosed("the server is shutting down and takes no new jobs")
            active = _Active("", started=True)
            self._active[job_id] = active
        self._run(job_id, problem, params, active, use_engine=False)

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
                active.started = True
                self._queue.remove(job_id)
                self._active.pop(job_id, None)
        if queued:
            self.recorder.finish(job_id, "interrupted" if active.reason == "shutdown"
                                 else "stopped", error="stopped before it started")
            active.done.set()
            return True
        return active.done.wait(timeout)

    def begin_shutdown(self, grace: float | None = None) -> None:
        """Take no new jobs and tell every running solver to stop (does not wait): what a
        SIGTERM handler calls, so that event streams see their jobs end at once. After
        `grace` seconds, jobs still running are marked interrupted with the best plan they
        have stored (a solver may take longer than that to return)."""
        with self._lock:
            self._closed = True
            actives = list(self._active.items())
            if grace is not None and self._stop_by is None:
                self._stop_by = time.monotonic() + grace
        for _job_id, active in actives:
            if active.reason is None:
                active.reason = "shutdown"
            active.stop.set()
        if grace is not None and actives:
            timer = threading.Timer(grace, self._interrupt_running)
            timer.daemon = True
            timer.start()

    def _interrupt_running(self) -> None:
        with self._lock:
            running = [(i, a) for i, a in self._active.items() if a.started]
        for job_id, active in running:
            if not active.done.is_set():
                # The solver has not returned: the time it used is the clock since it began
                # (the last improvement's time would let a resumed run overrun the limit).
                elapsed = None
                if active.t0 is not None:
                    elapsed = round(active.used + time.monotonic() - active.t0, 3)
                self.recorder.finish(job_id, "interrupted", error=SHUTDOWN_ERROR,
                                     elapsed=elapsed)

    def shutdown(self, timeout: float) -> None:
        """Stop every job (best plans kept, marked interrupted) within about `timeout`."""
        self.begin_shutdown()
        end = time.monotonic() + timeout
        if self._stop_by is not None:  # a SIGTERM began the shutdown: keep to its deadline
            end = min(end, self._stop_by)
        with self._lock:
            ids = list(self._active)
        for job_id in ids:
            self.stop(job_id, max(0.0, end - time.monotonic()), reason="shutdown")
        self._interrupt_running()
        self.recorder.close()

    # --- one job -------------------------------------------------------------------------

    def _run(self, job_id: str, problem: Problem, params: SolveParams, active: _Active,
             use_engine: bool = True) -> None:
        try:
            self._solve(job_id, problem, params, active, use_engine)
        except MemoryError:
            log.exception("job %s ran out of memory", job_id)
            self.recorder.finish(job_id, "failed",
                                 error="out of memory in the API process (solve it as a job "
                                       "on the cluster, or give the server more memory)")
        except Exception as err:  # a solver bug must not leave the job 'running' forever
            from matcher.engine import EngineError

            log.exception("job %s failed", job_id)
            cause = str(err) if isinstance(err, EngineError) else public_error(err)
            self.recorder.finish(job_id, "failed", error=cause)
        finally:
            active.done.set()
            with self._lock:
                self._active.pop(job_id, None)

    def _solve(self, job_id: str, problem: Problem, params: SolveParams, active: _Active,
               use_engine: bool) -> None:
        if active.stop.is_set():
            self.recorder.finish(job_id, "interrupted" if active.reason == "shutdown"
                                 else "stopped", error="stopped before it started")
            return
        if not self.recorder.mark_running(job_id):
            return
        if use_engine and self.engine is not None:
            params = replace(params, executor=self.engine.executor())

        def progress(p: Progress) -> None:
            self.recorder.progress(
                job_id, elapsed=active.used + p.elapsed, stage=p.stage, coverage=p.coverage,
                bound=p.bound, gap=p.gap,
                plan=None if p.plan is None else p.plan.to_json_dict(),
            )

        active.t0 = time.monotonic()
        result = solve(problem, params, progress=progress, stop=active.stop)
        plan_doc = better(result.plan.to_json_dict(), active.previous)
        plan = result.plan
        error = None
        if active.reason == "shutdown":
            state: JobState = "interrupted"
            error = SHUTDOWN_ERROR
        elif active.stop.is_set() and plan.status != "optimal":
            state = "stopped"
        else:
            state = "done"
        self.recorder.finish(job_id, state, plan=plan_doc, elapsed=active.used + result.seconds,
                             error=error)


def better(plan: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The lexicographically better of two plans of one problem (coverage, fill, travel)."""
    if previous is None or previous.get("status") not in ("optimal", "feasible"):
        return plan

    def key(doc: dict[str, Any]) -> tuple[float, float, float, float]:
        o = doc.get("objective", {})
        return (o.get("fairness") or 0.0, o.get("coverage", 0), o.get("fill", 0),
                -o.get("travel_m", 0))

    return previous if key(previous) > key(plan) else plan
