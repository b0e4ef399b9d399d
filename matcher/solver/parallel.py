"""Subproblems solved side by side.

Each subproblem is a pure function call (`stages.solve_subproblem`) on plain arrays. CP-SAT
releases the GIL while it searches, so a pool of threads keeps both cores busy with one
CP-SAT worker per subproblem (which also keeps each subproblem's search deterministic),
without the start-up cost and main-module re-import of worker processes. The same pattern
ports to a distributed engine: submit `solve_subproblem(sp, seconds, settings)` per
subproblem and merge the outcomes (see the README).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from matcher.solver.cpsat import Solution, StageSettings, SubProblem
from matcher.solver.stages import SubOutcome, solve_subproblem


def run_parallel(
    subs: list[SubProblem],
    workers: int,
    seconds: float,
    settings: StageSettings,
    report: Callable[[int, str, int, float | None, Solution | None], None],
    stop: Any = None,
    with_solutions: bool = False,
    executor: Any = None,
) -> dict[int, SubOutcome]:
    """Solve `subs` on `workers` threads within `seconds`, biggest first; with an
    `executor` (`SolveParams.executor`) each thread hands its subproblem to it."""
    deadline = time.monotonic() + seconds
    order = sorted(range(len(subs)), key=lambda i: (-subs[i].size, i))
    one = StageSettings(seed=settings.seed, workers=1, log=settings.log)
    lock = threading.Lock()
    waiting = {i: subs[i].size for i in order}  # subproblems not started yet

    def run(i: int) -> SubOutcome:
        # At its start a subproblem gets its size's share of the time left, counting the
        # workers that run beside it: with no more subproblems than workers, all of it.
        with lock:
            rest = sum(waiting.values()) or 1
            left = max(0.0, deadline - time.monotonic())
            budget = min(left, left * workers * subs[i].size / rest)
            del waiting[i]

        def sub_report(stage: str, value: int, bound: float | None,
                       sol: Solution | None) -> None:
            report(i, stage, value, bound, sol)

        return (executor or solve_subproblem)(subs[i], budget, one, sub_report, stop,
                                              with_solutions)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcher-sub") as pool:
        futures = {i: pool.submit(run, i) for i in order}
        return {i: fut.result() for i, fut in futures.items()}
