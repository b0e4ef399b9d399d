"""Subproblems solved side by side in worker processes.

Each subproblem is a pure function call (`stages.solve_subproblem`) on picklable arrays, so
a pool of processes runs them in parallel, one CP-SAT worker each (which also keeps every
subproblem's search deterministic). Progress comes back through a queue; a shared event
stops every worker. The same pattern ports to a distributed engine: submit
`solve_subproblem(sp, seconds, settings)` per subproblem and merge the outcomes.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from matcher.solver.cpsat import StageSettings, SubProblem
from matcher.solver.stages import SubOutcome, solve_subproblem

_QUEUE: Any = None
_STOP: Any = None


def _init(q: Any, stop: Any) -> None:
    global _QUEUE, _STOP
    _QUEUE, _STOP = q, stop


def _run(idx: int, sp: SubProblem, deadline_wall: float, seconds: float,
         settings: StageSettings) -> tuple[int, SubOutcome]:
    budget = max(0.0, min(seconds, deadline_wall - time.time()))

    def report(stage: str, value: int, bound: float | None) -> None:
        _QUEUE.put((idx, stage, value, bound))

    return idx, solve_subproblem(sp, budget, settings, report, _STOP)


def run_parallel(
    subs: list[SubProblem],
    workers: int,
    seconds: float,
    settings: StageSettings,
    report: Callable[[int, str, int, float | None], None],
    stop: Any = None,
) -> dict[int, SubOutcome]:
    """Solve `subs` in `workers` processes within `seconds`; biggest first."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    stop_event = ctx.Event()
    deadline_wall = time.time() + seconds
    total = sum(sp.size for sp in subs) or 1
    order = sorted(range(len(subs)), key=lambda i: (-subs[i].size, i))
    outcomes: dict[int, SubOutcome] = {}
    one = StageSettings(seed=settings.seed, workers=1, log=settings.log)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                             initargs=(q, stop_event)) as pool:
        pending: set[Future[tuple[int, SubOutcome]]] = set()
        for i in order:
            # Biggest first onto `workers` processes: with no more subproblems than
            # workers each has the whole time, else a share by size.
            share = seconds if len(subs) <= workers else seconds * min(
                1.0, workers * subs[i].size / total)
            pending.add(pool.submit(_run, i, subs[i], deadline_wall, share, one))
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(q, report)
            if stop is not None and stop.is_set():
                stop_event.set()
            for fut in done:
                idx, outcome = fut.result()
                outcomes[idx] = outcome
        _drain(q, report)
    return outcomes


def _drain(q: Any, report: Callable[[int, str, int, float | None], None]) -> None:
    while True:
        try:
            idx, stage, value, bound = q.get_nowait()
        except queue_mod.Empty:
            return
        report(idx, stage, value, bound)
