"""The lexicographic stages as a MIP solved by HiGHS (`highs.solve`: each stage starts from
the solution held, and a stop flag ends it).

On county-size subproblems the LP relaxation of this model is tight and HiGHS proves every
stage in about a second where CP-SAT's travel stage can run for minutes (Tianchang: 1.8 s
against > 30 s). HiGHS works in floating point, so its answer is rounded and then checked
exactly against every constraint (all coefficients are integers); a solution that fails
the check is dropped and CP-SAT takes over. `mip_rel_gap = 0` makes "optimal" mean proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint
from scipy.sparse import coo_matrix, csr_matrix, hstack

from matcher.solver import highs
from matcher.solver.cpsat import Solution, StageResult, SubProblem
from matcher.solver.formulation import columns, fairness_rows, objective
from matcher.solver.lp import Matrices, matrices

# Without scipy's HiGHS binding (`highs.available`) HiGHS cannot be interrupted: with a stop
# flag (an API job that may be cancelled) no single call then runs longer than this.
STOPPABLE_SECONDS = 8.0


def _stopped(stop: Any) -> bool:
    return stop is not None and bool(stop.is_set())


def _chunk(seconds: float, stop: Any) -> float:
    if highs.available():
        return seconds  # the stop flag interrupts HiGHS itself
    return min(seconds, STOPPABLE_SECONDS) if stop is not None else seconds


@dataclass
class MipOutcome:
    results: list[StageResult]
    solution: Solution | None
    coverage_bound: float | None
    fairness: tuple[Fraction, Fraction] | None = None  # (value, bound)


def _objectives(sp: SubProblem) -> dict[str, NDArray[np.float64]]:
    cols = columns(sp)
    return {name: objective(sp, cols, name).astype(np.float64)
            for name in ("coverage", "fill", "travel")}


def _exact_ok(mx: Matrices, x: NDArray[np.float64]) -> bool:
    """Does the rounded point satisfy every constraint exactly (integer data)?"""
    return mx.holds(x)


def _solution(mx: Matrices, x: NDArray[np.float64]) -> Solution:
    return Solution(
        met=x[:mx.n] > 0.5,
        v=x[mx.o_x:mx.o_y] > 0.5,
        u=x[mx.o_y:mx.o_g] > 0.5,
        g=np.rint(x[mx.o_g:]).astype(np.int64),
    )


def start_vector(sp: SubProblem, mx: Matrices, sol: Solution | None) -> NDArray[np.float64] | None:
    """`sol` as a MIP start (a column vector), or None when there is none or it breaks a row."""
    if sol is None:
        return None
    x = columns(sp).vector(sol)
    return x if mx.holds(x) else None


def solve_mip(sp: SubProblem, seconds: float, stop: Any = None,
              start: Solution | None = None) -> MipOutcome:
    """Fairness (when asked), coverage, fill and travel in turn, within `seconds`, from
    `start` (a valid solution, e.g. the greedy's; each later stage from the one before).

    Each stage's value is held by the next: the optimum when proven, else the best value
    found (as SPEC asks under a time limit). Stops at the first stage with no solution at all;
    the caller goes on with CP-SAT from the best solution so far, with the finished stages'
    values held.
    """
    end = time.monotonic() + seconds
    mx = matrices(sp)
    cons = mx.constraints()
    bounds = Bounds(np.zeros(mx.total), mx.upper)
    integrality = np.ones(mx.total)
    results: list[StageResult] = []
    best: Solution | None = None
    cov_bound: float | None = None
    fair: tuple[Fraction, Fraction] | None = None
    x0 = start_vector(sp, mx, start)
    if sp.group is not None:
        res_f, best, fair = _fairness(sp, mx, cons, bounds, end, stop, x0)
        results.append(res_f)
        if best is None:
            return MipOutcome(results, best, None, fair)
        x0 = columns(sp).vector(best)
    # Travel, the last stage, gets half of what is left, not all: a travel stage HiGHS does
    # not prove ends near its start, where the neighbourhood search that follows gains more
    # in the same time (Gansu 2,500 volunteers by community: 3,888 km after HiGHS's unproven
    # travel stage, 2,537 km after 20 s of search from a 3,354 km plan; reference 2,472 km).
    shares = {"coverage": 0.6, "fill": 0.4, "travel": 0.5}
    for name, c in _objectives(sp).items():
        maximize = name != "travel"
        left = end - time.monotonic()
        if left <= 0.05 or _stopped(stop):
            break
        t0 = time.monotonic()
        res = highs.solve(-c if maximize else c, cons, integrality, bounds,
                          _chunk(left * shares[name], stop), start=x0, stop=stop)
        took = time.monotonic() - t0
        if res.x is None:
            results.append(StageResult(name, "unknown", None, None, took))
            break
        x = np.rint(res.x)
        if not _exact_ok(mx, x):
            results.append(StageResult(name, "unknown", None, None, took))
            break
        value = float(c @ x)
        dual = getattr(res, "mip_dual_bound", None)
        bound = None if dual is None else (-float(dual) if maximize else float(dual))
        proven = res.status == 0
        results.append(StageResult(name, "optimal" if proven else "feasible", value,
                                   value if proven else bound, took))
        best = _solution(mx, x)
        x0 = x  # the next stage holds this one's value: x meets its row
        if name == "coverage":
            cov_bound = value if proven else (np.floor(bound + 1e-6) if bound else None)
        row = csr_matrix(c.reshape(1, -1))
        cons.append(LinearConstraint(row, value - 0.5, np.inf) if maximize
                    else LinearConstraint(row, -np.inf, value + 0.5))
    return MipOutcome(results, best, cov_bound, fair)


def _group_rows(sp: SubProblem, mx: Matrices, num: int, den: int) -> LinearConstraint:
    """Every group's met share at least num/den: den * met_w(g) - num * total(g) >= 0."""
    assert sp.group is not None and sp.group_total is not None
    gids, weights = fairness_rows(sp, columns(sp))
    a = (den * weights).tocsr()
    lb = np.array([num * sp.group_total[g] for g in gids], dtype=np.float64)
    return LinearConstraint(a, lb, np.inf)


def _fairness(
    sp: SubProblem, mx: Matrices, cons: list[LinearConstraint], bounds: Bounds, end: float,
    stop: Any = None, x0: NDArray[np.float64] | None = None,
) -> tuple[StageResult, Solution | None, tuple[Fraction, Fraction] | None]:
    """Maximise the smallest group share, then prove the exact fraction.

    A continuous column t with total(g) * t <= met_w(g) gives the best share up to HiGHS's
    tolerances; the exact share F of the rounded solution is then checked by asking for a
    plan whose every group reaches the next fraction above F (there is none when F is
    optimal). F is then held with integer rows in the later stages.
    """
    assert sp.group is not None and sp.group_total is not None
    t0 = time.monotonic()
    gids, weights = fairness_rows(sp, columns(sp))
    a_met = -weights
    a_t = coo_matrix(np.array([[float(sp.group_total[g])] for g in gids]))
    a = hstack([a_met, a_t]).tocsr()
    widened = [LinearConstraint(hstack([c.A, csr_matrix((c.A.shape[0], 1))]).tocsr(), c.lb, c.ub)
               for c in cons]
    widened.append(LinearConstraint(a, -np.inf, 0.0))
    c_t = np.zeros(mx.total + 1)
    c_t[-1] = -1.0
    lb = np.r_[bounds.lb, 0.0]
    ub = np.r_[bounds.ub, 1.0]
    integ = np.r_[np.ones(mx.total), 0.0]
    # The start's t: its smallest share, a hair below so float rounding keeps the rows.
    start = None if x0 is None else np.r_[x0, max(0.0, float(sp.fairness_of(x0[:mx.n] > 0.5))
                                                   - 1e-9)]
    res = highs.solve(c_t, widened, integ, Bounds(lb, ub),
                      _chunk(max(0.05, 0.5 * (end - time.monotonic())), stop), start=start,
                      stop=stop)
    if res.x is None:
        return StageResult("fairness", "unknown", None, None, time.monotonic() - t0), None, None
    x = np.rint(res.x[:-1])
    if not _exact_ok(mx, x):
        return StageResult("fairness", "unknown", None, None, time.monotonic() - t0), None, None
    best = _solution(mx, x)
    value = sp.fairness_of(best.met)
    dual = getattr(res, "mip_dual_bound", None)
    top = Fraction(1) if dual is None else min(Fraction(1), Fraction(-float(dual)) + Fraction(
        1, 10**9))
    proven = False
    # Is there a plan with every group at the next fraction above `value`?
    while res.status == 0 and time.monotonic() < end and not _stopped(stop):
        nxt = min(Fraction(int(value * t) + 1, t) for t in sp.group_total.values())
        if nxt > 1:
            proven = True
            break
        check = highs.solve(np.zeros(mx.total),
                            [*cons, _group_rows(sp, mx, nxt.numerator, nxt.denominator)],
                            np.ones(mx.total), bounds,
                            _chunk(max(0.05, 0.5 * (end - time.monotonic())), stop), stop=stop)
        if check.status == 2:  # infeasible: nothing reaches `nxt`
            proven = True
            break
        if check.x is None:
            break
        x2 = np.rint(check.x)
        if not _exact_ok(mx, x2):
            break
        best = _solution(mx, x2)
        value = sp.fairness_of(best.met)
    cons.append(_group_rows(sp, mx, value.numerator, value.denominator))
    bound = value if proven else max(value, top)
    result = StageResult("fairness", "optimal" if proven else "feasible", float(value),
                         float(bound), time.monotonic() - t0)
    return result, best, (value, bound)
