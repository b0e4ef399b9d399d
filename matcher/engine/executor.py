"""The solver's `SolveParams.executor` on Dask: one subproblem, one task.

The calling thread (the solver's, in-process) submits the task and waits for it; meanwhile it
relays the task's progress events to the solver's `report` and forwards the solver's stop
flag to the task. Whatever goes wrong on the cluster becomes an `EngineError` whose message
says what happened in words a planner can act on.
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import time
import uuid
import warnings
from typing import Any

from matcher.engine.tasks import run_subproblem
from matcher.solver.cpsat import StageSettings, SubProblem
from matcher.solver.stages import SubOutcome, is_large

POLL_S = 0.2  # how often the waiting thread relays progress and looks at the stop flag
# The subproblem travels inside its task on purpose (see `submit` below); the client's
# advice against big task graphs (tens of MB for a province's parts) is noise to a planner.
warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)


class EngineError(RuntimeError):
    """A subproblem could not be solved on the cluster (worker died, out of memory,
    cluster unreachable); the message is the cause, for the job's `error`."""


class DaskExecutor:
    """Runs `solve_subproblem` calls as tasks of `client` (a `distributed.Client`)."""

    def __init__(self, client: Any, memory_limit: str | None = None) -> None:
        self.client = client
        self.memory_limit = memory_limit

    def __call__(self, sp: SubProblem, seconds: float, settings: StageSettings,
                 report: Any, stop: Any, with_solutions: bool) -> SubOutcome:
        from distributed import Event

        token = uuid.uuid4().hex[:12]
        topic = f"matcher-progress-{token}"
        stop_name = f"matcher-stop-{token}" if stop is not None else None
        inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        last_stage: list[str | None] = [None]
        started = time.time()

        def relay(msg: dict[str, Any]) -> None:
            last_stage[0] = msg["stage"]
            if report is None:
                return
            sol = msg.get("solution")
            report(msg["stage"], msg["value"], msg["bound"],
                   None if sol is None else pickle.loads(sol))

        def drain() -> None:
            while True:
                try:
                    relay(inbox.get_nowait())
                except queue.Empty:
                    return

        # The handler runs on the client's event loop: it only queues; this thread relays.
        self.client.subscribe_topic(topic, lambda event: inbox.put(event[1]))
        stop_event = Event(stop_name, client=self.client) if stop_name else None
        try:
            try:
                # The subproblem travels inside the task (not scattered to one worker), so
                # that the scheduler can run the task again elsewhere if that worker dies.
                fut = self.client.submit(
                    run_subproblem, sp, started + seconds, settings, topic, stop_name,
                    with_solutions, pure=False, key=f"subproblem-{sp.size}-{token}")
            except OSError as err:
                raise EngineError(f"the Dask cluster is unavailable: {err}") from None
            forwarded = False
            while True:
                drain()
                if stop is not None and not forwarded and stop.is_set():
                    forwarded = True
                    assert stop_event is not None
                    stop_event.set()
                try:
                    out: SubOutcome = fut.result(timeout=POLL_S)
                    break
                except TimeoutError:
                    continue
                except MemoryError:
                    raise EngineError(
                        f"out of memory {self._where(sp, last_stage[0])}"
                        f"{self._limit()}") from None
                except Exception as err:
                    raise self._translate(err, sp, last_stage[0], started) from err
            drain()
            return out
        finally:
            self.client.unsubscribe_topic(topic)
            with contextlib.suppress(Exception):  # best effort: the cluster may be gone
                if stop_event is not None:
                    stop_event.clear()

    # --- causes --------------------------------------------------------------------------

    def _limit(self) -> str:
        return f" (worker memory limit {self.memory_limit})" if self.memory_limit else ""

    @staticmethod
    def _where(sp: SubProblem, stage: str | None) -> str:
        pairs = len(sp.v_vol) + len(sp.u_venue) + len(sp.f_fund)
        what = f"a subproblem of {len(sp.needs)} needs and {pairs} candidate pairs"
        if stage is None:
            return f"in the greedy start of {what}"
        if stage == "greedy" and is_large(sp):
            return f"in the LP bound of {what}"
        return f"in {what}, after its {stage} stage"

    def _translate(self, err: Exception, sp: SubProblem, stage: str | None,
                   started: float) -> Exception:
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        if isinstance(err, KilledWorker):
            addr = err.last_worker.address
            oom = []
            with contextlib.suppress(Exception):
                oom = [ev for t, ev in self.client.get_events("worker-restart-memory")
                       if t >= started - 1 and ev.get("worker") == addr]
            tries = err.allowed_failures + 1
            if oom:
                rss = oom[-1].get("rss", 0) / 2**20
                return EngineError(
                    f"out of memory {self._where(sp, stage)}: the worker reached {rss:.0f} MiB"
                    f"{self._limit()} and was restarted, {tries} times")
            return EngineError(f"worker died {self._where(sp, stage)} ({tries} workers tried, "
                               f"last {addr}){self._limit()}")
        if isinstance(err, FutureCancelledError | OSError | EOFError):
            return EngineError(f"the Dask cluster became unavailable {self._where(sp, stage)}: "
                               f"{type(err).__name__}: {err}")
        return err
