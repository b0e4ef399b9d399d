"""The lexicographic stages as a MIP solved by HiGHS (through `scipy.optimize.milp`).

On county-size subproblems the LP relaxation of this model is tight and HiGHS proves every
stage in about a second where CP-SAT's travel stage can run for minutes (Tianchang: 1.8 s
against > 30 s). HiGHS works in floating point, so its answer is rounded and then checked
exactly against every constraint (all coefficients are integers); a solution that fails
the check is dropped and CP-SAT takes over. `mip_rel_gap = 0` makes "optimal" mean proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from matcher.solver.cpsat import Solution, StageResult, SubProblem
from matcher.solver.lp import Matrices, matrices


@dataclass
class MipOutcome:
    results: list[StageResult]
    solution: Solution | None
    coverage_bound: float | None


def _objectives(sp: SubProblem, mx: Matrices) -> dict[str, NDArray[np.float64]]:
    n = mx.n
    cov = np.zeros(mx.total)
    cov[:n] = sp.weight
    fill = np.zeros(mx.total)
    fill[mx.o_x:mx.o_y] = sp.weight[sp.v_need]
    fill[:n] -= sp.weight * np.array([sum(r) for r in sp.role_min] or [0])
    travel = np.zeros(mx.total)
    travel[mx.o_x:mx.o_y] = sp.v_dist
    travel[mx.o_y:mx.o_g] = sp.u_dist
    return {"coverage": cov, "fill": fill, "travel": travel}


def _exact_ok(mx: Matrices, x: NDArray[np.float64]) -> bool:
    """Does the rounded point satisfy every constraint exactly (integer data)?"""
    if np.any(x < 0) or np.any(x > mx.upper):
        return False
    if mx.a_ub is not None and np.any(mx.a_ub @ x > mx.b_ub + 1e-9):
        return False
    return not (mx.a_eq is not None and np.any(np.abs(mx.a_eq @ x - mx.b_eq) > 1e-9))


def _solution(mx: Matrices, x: NDArray[np.float64]) -> Solution:
    return Solution(
        met=x[:mx.n] > 0.5,
        v=x[mx.o_x:mx.o_y] > 0.5,
        u=x[mx.o_y:mx.o_g] > 0.5,
        g=np.rint(x[mx.o_g:]).astype(np.int64),
    )


def solve_mip(sp: SubProblem, seconds: float) -> MipOutcome:
    """Coverage, fill and travel in turn, each held by the next, within `seconds`.

    Stops at the first stage HiGHS does not prove (the caller goes on with CP-SAT from the
    best solution so far, with the proven stages' values held).
    """
    end = time.monotonic() + seconds
    mx = matrices(sp)
    cons: list[LinearConstraint] = []
    if mx.a_ub is not None:
        cons.append(LinearConstraint(mx.a_ub, -np.inf, mx.b_ub))
    if mx.a_eq is not None:
        cons.append(LinearConstraint(mx.a_eq, mx.b_eq, mx.b_eq))
    bounds = Bounds(np.zeros(mx.total), mx.upper)
    integrality = np.ones(mx.total)
    results: list[StageResult] = []
    best: Solution | None = None
    cov_bound: float | None = None
    shares = {"coverage": 0.5, "fill": 0.5, "travel": 1.0}
    for name, c in _objectives(sp, mx).items():
        maximize = name != "travel"
        left = end - time.monotonic()
        if left <= 0.05:
            break
        t0 = time.monotonic()
        res = milp(-c if maximize else c, constraints=cons, integrality=integrality,
                   bounds=bounds, options={"time_limit": left * shares[name],
                                           "mip_rel_gap": 0.0, "presolve": True})
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
        if name == "coverage":
            cov_bound = value if proven else (np.floor(bound + 1e-6) if bound else None)
        if not proven:
            break
        row = csr_matrix(c.reshape(1, -1))
        cons.append(LinearConstraint(row, value - 0.5, np.inf) if maximize
                    else LinearConstraint(row, -np.inf, value + 0.5))
    return MipOutcome(results, best, cov_bound)
