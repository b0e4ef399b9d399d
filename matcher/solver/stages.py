"""One subproblem solved stage by stage: a pure function of its data.

`solve_subproblem` takes a `SubProblem` (plain arrays) and a time budget and returns the
stages' results and the best solution. It does no I/O and keeps no state, so subproblems
can run in threads, in worker processes (`parallel.py`), or on any distributed engine that
can call a Python function on picklable data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from matcher.solver.cpsat import (
    MatchModel,
    Solution,
    StageResult,
    StageSettings,
    SubProblem,
    solve_stage,
)
from matcher.solver.greedy import best_greedy

# Components with more pairs than this go to the LP bound and neighbourhood search: one
# CP-SAT model of them spends a minute in presolve alone.
LARGE_PAIRS = 60_000

MIP_SHARE = 0.8  # of a subproblem's time, for HiGHS; CP-SAT finishes what it leaves
LP_BOUND_PAIRS = 5_000  # above this, an LP bound first (cheap next to the CP-SAT search)

# (stage, coverage, bound, incumbent or None); the incumbent only when asked for.
Report = Callable[[str, int, float | None, Solution | None], None]


@dataclass
class SubOutcome:
    results: list[StageResult]
    solution: Solution | None
    fairness: tuple[Fraction, Fraction] | None  # (value, bound)
    coverage_bound: float


def keeps_pins(sp: SubProblem, sol: Solution) -> bool:
    return (all(sum(bool(sol.v[k]) for k in ks) == 1 for ks in sp.pin_v)
            and all(sol.u[k] for k in sp.pin_u)
            and all(sol.g[k] == a for k, a in sp.pin_f))


def is_large(sp: SubProblem) -> bool:
    return (len(sp.v_vol) + len(sp.u_venue) + len(sp.f_fund) > LARGE_PAIRS
            and sp.group is None and sp.ref_v is None)


def solve_subproblem(
    sp: SubProblem,
    seconds: float,
    settings: StageSettings,
    report: Report | None = None,
    stop: Any = None,
    with_solutions: bool = False,
) -> SubOutcome:
    """The lexicographic stages on one subproblem within `seconds`.

    `report` hears of every improvement; with `with_solutions` it gets the incumbent too.
    """
    end = time.monotonic() + seconds

    def tell(stage: str, value: int, bound: float | None, sol: Solution | None = None) -> None:
        if report is not None:
            report(stage, value, bound, sol if with_solutions else None)

    warm = best_greedy(sp)
    best: Solution | None = warm if keeps_pins(sp, warm) else None
    if best is not None:
        tell("greedy", sp.stage_value("coverage", best), None, best)
    if is_large(sp) and best is not None:
        from matcher.solver import lns

        results, sol, bound = lns.solve_large(
            sp, best, max(0.0, end - time.monotonic()), settings,
            lambda value, b, sol: tell("coverage", value, b, sol), stop)
        return SubOutcome(results, sol, None, bound)
    return _exact(sp, warm, best, end, settings, tell, stop, with_solutions)


def _exact(
    sp: SubProblem, warm: Solution, best: Solution | None, end: float,
    settings: StageSettings, tell: Report, stop: Any, with_solutions: bool,
) -> SubOutcome:
    mm = MatchModel(sp)
    mm.set_hint(warm)
    results: list[StageResult] = []
    fair_info: tuple[Fraction, Fraction] | None = None
    cov_bound = float(sp.max_coverage())
    if sp.size >= LP_BOUND_PAIRS and sp.group is None and sp.ref_v is not None:
        # A bound within a second or so, long before CP-SAT's search proves as much.
        from matcher.solver import lp

        relaxed = lp.coverage_bound(sp, 0.1 * max(0.0, end - time.monotonic()))
        if relaxed is not None:
            cov_bound = min(cov_bound, relaxed[0])
            if best is not None:
                tell("bound", sp.stage_value("coverage", best), cov_bound, None)

    def left(frac: float) -> float:
        return max(0.0, (end - time.monotonic()) * frac)

    stages: list[tuple[str, bool, float]] = []
    if sp.group is not None:
        stages.append(("fairness", True, 0.4))
    stages.append(("coverage", True, 0.7))
    stages.append(("fill", True, 0.4))
    if sp.ref_v is not None:
        stages.append(("stability", False, 0.5))
    stages.append(("travel", False, 1.0))

    if sp.ref_v is None:
        # HiGHS first: on these models it usually proves every stage in seconds. What it
        # proves is held; CP-SAT goes on from its solution with the rest.
        from matcher.solver.mip import solve_mip

        mo = solve_mip(sp, left(MIP_SHARE), stop)
        finished = [r for r in mo.results if r.status in ("optimal", "feasible")]
        if mo.solution is not None and keeps_pins(sp, mo.solution):
            best = mo.solution
            fair_info = mo.fairness
            if mo.coverage_bound is not None:
                cov_bound = min(cov_bound, mo.coverage_bound)
            tell("coverage", sp.stage_value("coverage", best), cov_bound, best)
            if len(finished) == len(stages):
                return SubOutcome(mo.results, best, fair_info, cov_bound)
            results.extend(finished)
            for r in finished:
                if r.name == "fairness":
                    assert mo.fairness is not None
                    mm.hold_fairness(mo.fairness[0])
                    continue
                held = int(round(r.value or 0))
                expr = _stage_expr(mm, r.name)
                mm.model.add(expr >= held if r.name != "travel" else expr <= held)
            done = {r.name for r in finished}
            stages = [s for s in stages if s[0] not in done]
            mm.set_hint(best)

    for name, maximize, frac in stages:
        scale = 1
        if name == "fairness":
            expr, scale = mm.fairness_scaled()
        else:
            expr = _stage_expr(mm, name)

        def on_solution(value: float, bound: float, cb: Any, name: str = name) -> None:
            if name == "coverage":
                sol = mm.read(cb) if with_solutions else None
                tell(name, int(round(value)), float(np.floor(bound + 1e-6)), sol)

        res, sol = solve_stage(mm, name, expr, maximize, left(frac), settings, on_solution, stop)
        results.append(res)
        if name == "coverage" and res.bound is not None:
            cov_bound = min(cov_bound, float(np.floor(res.bound + 1e-6)))
        if sol is None:
            if res.status == "infeasible" or best is None:
                return SubOutcome(results, None, None, cov_bound)
            # Nothing better found in time: hold the incumbent's value of this stage.
            if name == "fairness":
                achieved = sp.fairness_of(best.met)
                fair_info = (achieved, Fraction(1))
                mm.hold_fairness(achieved)
            else:
                held = sp.stage_value(name, best)
                mm.model.add(expr >= held if maximize else expr <= held)
            continue
        best = sol
        assert res.value is not None and res.bound is not None
        if name == "coverage":
            tell(name, sp.stage_value("coverage", sol), cov_bound, sol)
        if name == "fairness":
            # Hold the exact fraction the solution reaches (the optimum when proven).
            achieved = sp.fairness_of(sol.met)
            top = Fraction(min(scale, int(np.floor(res.bound + 1e-6)) + 1), scale)
            fair_info = (achieved, achieved if res.status == "optimal" else max(achieved, top))
            mm.hold_fairness(achieved)
        elif maximize:
            mm.model.add(expr >= int(round(res.value)))
        else:
            mm.model.add(expr <= int(round(res.value)))
        mm.set_hint(sol)
        if res.status != "optimal" and time.monotonic() >= end:
            break  # out of time: later stages get no budget; keep what we have
    return SubOutcome(results, best, fair_info, cov_bound)


def _stage_expr(mm: MatchModel, name: str) -> Any:
    if name == "coverage":
        return mm.coverage()
    if name == "fill":
        return mm.fill()
    if name == "stability":
        return mm.changes()
    return mm.travel()
