"""Synchronous solves (`POST /v1/solve`) in worker processes, off the API process.

Decoding and validating a 3.3 MB problem holds the GIL for about 0.8 s (pydantic-core does
not release it), and the solver's greedy, search and final check are Python too. In threads
of the API process they stalled its event loop: `/health` p99 2.4 s under 50 concurrent
synchronous solves (benchmarks/RESULTS.md). Here the raw body goes to one of a small pool of
worker processes (one per synchronous slot), which parses it, checks the request's limits,
solves, and hands back the plan as JSON bytes; the API process only moves bytes.

Errors keep the paths and messages of the in-process path: the worker returns a `Refused`
(status, detail, headers) that the API raises as the same exception.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, NoReturn

from fastapi import HTTPException, status
from fastapi.exceptions import RequestValidationError

log = logging.getLogger(__name__)

STOP_WAIT_S = 3.0  # after a SIGTERM, how long a waiting client waits for its best plan


@dataclass(frozen=True)
class SolveJob:
    """What a worker process needs for one request (plain data: it is pickled)."""

    raw: bytes  # the request body as received
    org: str
    max_entities: int
    max_time_limit: float
    solver_workers: int
    quota_seconds: float | None  # the organisation's daily solver-seconds quota, if any
    quota_used: float  # of it, used today before this request
    strict: bool  # raise on a plan that fails the final check (the test suite's setting)


@dataclass(frozen=True)
class Solved:
    body: bytes  # the plan, as the JSON the endpoint answers with
    seconds: float  # the solver's own time (charged to the organisation's quota)


@dataclass(frozen=True)
class Refused:
    """A 4xx: for 422 `detail` is the list of validation errors (plain dicts)."""

    status_code: int
    detail: Any
    headers: dict[str, str] | None = None

    def raise_(self) -> NoReturn:
        if self.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT:
            raise RequestValidationError(self.detail)
        raise HTTPException(self.status_code, self.detail, headers=self.headers)


class WorkerLost(RuntimeError):
    """The worker process died or hung; the API answers 503."""


def _plain(err: dict[str, Any]) -> dict[str, Any]:
    # What `errors.render_error` reads, as plain picklable values (a validation error's
    # `input` can be the whole document and its `ctx` can hold exception objects).
    ctx = {k: v if isinstance(v, str | int | float) else str(v)
           for k, v in (err.get("ctx") or {}).items()}
    return {"type": err.get("type"), "loc": tuple(err.get("loc", ())),
            "msg": str(err.get("msg", "")), "ctx": ctx}


def solve_request(job: SolveJob) -> Solved | Refused:
    """Runs in a worker process: parse, check, solve; the answer as JSON bytes."""
    from matcher.api import limits, quotas
    from matcher.api.admission import parse_raw
    from matcher.api.schemas import SolveRequest
    from matcher.solver import SolveParams, solve

    try:
        body = parse_raw(SolveRequest, job.raw)
        n = limits.entity_count(body.problem)
        if n > job.max_entities:
            limits.refuse_entities(n, job.max_entities)
        seconds = limits.time_limit(body.time_limit, job.max_time_limit, job.max_time_limit,
                                    "max_sync_time_limit")
        if job.quota_seconds is not None:
            quotas.check_seconds(job.org, job.quota_seconds, job.quota_used, seconds)
    except RequestValidationError as err:
        return Refused(status.HTTP_422_UNPROCESSABLE_CONTENT,
                       [_plain(dict(e)) for e in list(err.errors())[:50]])
    except HTTPException as err:
        return Refused(err.status_code, err.detail, dict(err.headers or {}) or None)
    params = SolveParams(time_limit=seconds, seed=body.seed, workers=job.solver_workers,
                         strict=job.strict)
    result = solve(body.problem, params, stop=_STOP)
    # As FastAPI's JSONResponse writes it.
    out = json.dumps(result.plan.to_json_dict(), ensure_ascii=False, allow_nan=False,
                     separators=(",", ":")).encode()
    return Solved(out, result.seconds)


# The pool's stop flag, shared by its processes (set on SIGTERM: solves end at once with
# their best plan, as jobs do).
_STOP: Any = None


def _warm(stop: Any) -> None:
    global _STOP
    _STOP = stop
    # Import what a solve needs once per process, before its first request.
    import matcher.api.admission  # noqa: F401
    import matcher.solver.core  # noqa: F401
    import matcher.solver.stages  # noqa: F401
    import matcher.validate  # noqa: F401


def _ready() -> bool:
    return True


class SyncPool:
    """A pool of `processes` worker processes for synchronous solves (started at the first
    solve, or by `start`). A worker that dies or hangs is replaced with the whole pool; its
    request gets `WorkerLost`."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._stopped_at: float | None = None

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed or self._stop.is_set():
                raise WorkerLost("the server is shutting down")
            if self._pool is None:
                # spawn: this process runs threads (uvicorn, the job runner, Dask's client),
                # which a fork would copy in whatever state they are.
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=self._context, initializer=_warm,
                    initargs=(self._stop,))
            return self._pool

    def start(self) -> None:
        """Start every worker process now (in the background), so that the first requests
        do not wait for their imports."""
        pool = self._get()
        for _ in range(self.processes):
            pool.submit(_ready)

    def run(self, job: SolveJob, timeout: float) -> Solved | Refused:
        """`solve_request(job)` in a worker process, within `timeout` seconds. A worker that
        dies breaks the whole pool (Python's executor fails every request it holds), so the
        other request in flight gets `WorkerLost` too; the next ones get a new pool."""
        for _attempt in range(2):
            pool = self._get()
            try:
                future = pool.submit(solve_request, job)
            except RuntimeError:  # that pool was just discarded by another request
                continue
            try:
                return self._wait(future, timeout)
            except (BrokenProcessPool, CancelledError):
                if self._closed or self._stop.is_set():
                    raise WorkerLost("the server is shutting down") from None
                self._discard(pool)
                raise WorkerLost("the process solving this request died (out of memory?); "
                                 "try again, or submit the problem as a job") from None
            except FutureTimeout:
                self._discard(pool)
                raise WorkerLost(f"the solve did not end within {timeout:.0f} s; try again, "
                                 "or submit the problem as a job") from None
        raise WorkerLost("no worker process could take the request; try again")

    def _wait(self, future: Future[Solved | Refused], timeout: float) -> Solved | Refused:
        # After a stop, a solve gets STOP_WAIT_S to answer with its best plan; then its
        # client gets a 503, before the server's own grace for open requests (5 s, `matcher
        # serve`) would cut it off with a 500.
        end = time.monotonic() + timeout
        while True:
            try:
                return future.result(min(0.2, max(0.0, end - time.monotonic())))
            except FutureTimeout:
                if time.monotonic() >= end:
                    raise
                stopped = self._stopped_at
                if stopped is not None and time.monotonic() - stopped > STOP_WAIT_S:
                    raise WorkerLost("the server is shutting down") from None

    def stop(self) -> None:
        """Solves under way end at once with the best plan they hold (what a SIGTERM asks);
        new requests are refused."""
        self._stopped_at = time.monotonic()
        self._stop.set()

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        _terminate(pool)

    def close(self) -> None:
        """Stop the worker processes (a solve still running is cut off)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            _terminate(pool)


def _terminate(pool: ProcessPoolExecutor) -> None:
    # `shutdown` alone waits for running solves; the processes are ended instead (Python
    # 3.14 has `terminate_workers`; before it the executor's process table is the way).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
