"""Subproblems solved side by side.

Each subproblem is a pure function call (`stages.solve_subproblem`) on plain arrays. CP-SAT
releases the GIL while it searches, so a pool of threads keeps both cores busy with one
CP-SAT worker per subproblem (which also keeps each subproblem's search deterministic),
without the start-up cost and main-module re-import of worker processes. The same pattern
ports to a distributed engine: submit `solve_subproblem(sp, seconds, settings)` per
subproblem and merge the outcomes (see the README).
"""

from __future__ import annotations

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
) -> dict[int, SubOutcome]:
    """Solve `subs` on `workers` threads within `seconds`, biggest first."""
    deadline = time.monotonic() + seconds
    total = sum(sp.size for sp in subs) or 1
    order = sorted(range(len(subs)), key=lambda i: (-subs[i].size, i))
    one = StageSettings(seed=settings.seed, workers=1, log=settings.log)

    def run(i: int) -> SubOutcome:
        # With no more subproblems than workers each has the whole time, else a share by
        # size; never past the common deadline.
        share = seconds if len(subs) <= workers else seconds * min(
            1.0, workers * subs[i].size / total)
        budget = max(0.0, min(share, deadline - time.monotonic()))

        def sub_report(stage: str, value: int, bound: float | None,
                       sol: Solution | None) -> None:
            report(i, stage, value, bound, sol)

        return solve_subproblem(subs[i], budget, one, sub_report, stop, with_solutions)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcher-sub") as pool:
        futures = {i: pool.submit(run, i) for i in order}
        return {i: fut.result() for i, fut in futures.items()}
