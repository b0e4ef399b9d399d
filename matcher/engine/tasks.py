"""What runs on a worker: one subproblem, its progress sent back as worker events.

Kept apart from the client side so that a worker imports only the solver.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

from matcher.solver.cpsat import Solution, StageSettings, SubProblem
from matcher.solver.stages import SubOutcome, solve_subproblem

SOLUTION_EVERY_S = 1.0  # incumbents are sent at most this often (they can be megabytes)
STOP_POLL_S = 0.25  # the stop flag lives on the scheduler: ask it at most this often


class _RemoteStop:
    """The job's stop flag as a `distributed.Event`, polled at most every STOP_POLL_S."""

    def __init__(self, name: str) -> None:
        from distributed import Event

        self._event = Event(name)
        self._checked = 0.0
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._checked >= STOP_POLL_S:
            self._checked = now
            try:
                self._set = bool(self._event.is_set())
            except Exception:  # the scheduler is briefly unreachable: keep solving
                return False
        return self._set


def run_subproblem(
    sp: SubProblem,
    deadline: float,
    settings: StageSettings,
    topic: str,
    stop_name: str | None,
    with_solutions: bool,
) -> SubOutcome:
    """`solve_subproblem` on a worker until the wall-clock `deadline` (so that a task retried
    after its worker died gets only the time that is left)."""
    from distributed import get_worker

    worker = get_worker()
    last_sent = [0.0]

    def report(stage: str, value: int, bound: float | None, sol: Solution | None) -> None:
        msg: dict[str, Any] = {"stage": stage, "value": int(value),
                               "bound": None if bound is None else float(bound)}
        now = time.monotonic()
        if sol is not None and now - last_sent[0] >= SOLUTION_EVERY_S:
            last_sent[0] = now
            msg["solution"] = pickle.dumps(sol, protocol=pickle.HIGHEST_PROTOCOL)
        worker.log_event(topic, msg)

    stop = _RemoteStop(stop_name) if stop_name else None
    seconds = max(0.0, deadline - time.time())
    return solve_subproblem(sp, seconds, settings, report, stop, with_solutions)
