"""HiGHS's MIP with a start solution and a stop flag.

`scipy.optimize.milp` runs HiGHS with neither: every call starts from nothing, and once
started it cannot be stopped before its time limit. Both cost us. Without a start, a stage
HiGHS does not prove ends at an incumbent found from scratch, often far behind the plan the
solver already holds (Zhecheng's fill on a busy machine: 446 against the greedy's 1,100);
without a stop, an API job that may be cancelled had to cut HiGHS into short calls that never
reach the solutions a long one finds (Gansu, 10,000 volunteers in a surge: the whole
component's coverage MIP finds a plan within 0.004% of its bound after 17 s).

scipy ships the HiGHS binding it uses itself (`scipy.optimize._highspy._core`, the same API
as the `highspy` package, whose shared library clashes with OR-Tools' copy and cannot be
loaded beside it). That binding takes a start (`setSolution`) and a callback through which
HiGHS hands over each improving solution and asks, every so often, whether to stop. It is a
private module of scipy: when it is missing, `solve` falls back to `milp` (no start, no stop
but the time limit), and everything still works, only weaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix, vstack

try:  # scipy >= 1.15
    from scipy.optimize._highspy import _core as _hc
except ImportError:  # pragma: no cover - an older scipy: the plain path
    _hc = None

F64 = NDArray[np.float64]

# scipy.optimize.milp's status codes, which the callers test.
OPTIMAL, LIMIT, INFEASIBLE, UNBOUNDED, OTHER = 0, 1, 2, 3, 4


@dataclass
class MipResult:
    """What `milp` returns, in the fields our callers read: `x` is the best point HiGHS holds
    (None when it has none), `fun` its objective, `mip_dual_bound` the proven bound."""

    status: int
    x: F64 | None
    fun: float | None
    mip_dual_bound: float | None


def available() -> bool:
    return _hc is not None


def solve(
    c: F64,
    constraints: list[LinearConstraint],
    integrality: F64,
    bounds: Bounds,
    seconds: float,
    start: F64 | None = None,
    stop: Any = None,
    presolve: bool = True,
) -> MipResult:
    """Minimise `c @ x` over the rows and bounds, within `seconds`, from `start` (a point
    that satisfies every row, or None), until `stop` (a `threading.Event`) is set."""
    if _hc is None:
        return _plain(c, constraints, integrality, bounds, seconds, presolve)
    h = _hc._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(0.05, float(seconds)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("presolve", "on" if presolve else "off")
    # No `threads` option: HiGHS's thread pool is global to the process, and asking one run
    # for another size than linprog's runs set up makes that run fail.
    a = vstack([k.A for k in constraints], format="csc") if constraints else csc_matrix(
        (0, len(c)))
    lp = _hc.HighsLp()
    lp.num_col_ = len(c)
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = np.asarray(bounds.lb, dtype=np.float64)
    lp.col_upper_ = np.asarray(bounds.ub, dtype=np.float64)
    lp.row_lower_ = np.concatenate([np.broadcast_to(k.lb, k.A.shape[0]) for k in constraints]
                                   ) if constraints else np.zeros(0)
    lp.row_upper_ = np.concatenate([np.broadcast_to(k.ub, k.A.shape[0]) for k in constraints]
                                   ) if constraints else np.zeros(0)
    lp.a_matrix_.format_ = _hc.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = len(c)
    lp.a_matrix_.num_row_ = a.shape[0]
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    kinds = (_hc.HighsVarType.kContinuous, _hc.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(k)] for k in np.asarray(integrality).tolist()]
    h.passModel(lp)
    if start is not None:
        sol = _hc.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    found: list[F64] = []  # HiGHS's improving solutions, the last the best
    on_found, on_ask = _hc.cb.kCallbackMipImprovingSolution, _hc.cb.kCallbackMipInterrupt

    def callback(kind: Any, _msg: str, out: Any, into: Any, _user: Any) -> None:
        if kind == on_found:
            found.append(np.array(out.mip_solution, dtype=np.float64))
        elif stop is not None and stop.is_set():
            into.user_interrupt = True

    h.setCallback(callback, None)
    h.startCallback(on_found)
    if stop is not None:
        h.startCallback(on_ask)
        h.startCallback(_hc.cb.kCallbackSimplexInterrupt)
    h.run()
    return _result(h, c, start, found)


def _result(h: Any, c: F64, start: F64 | None, found: list[F64]) -> MipResult:
    status = h.getModelStatus()
    ms = _hc.HighsModelStatus
    info = h.getInfo()
    dual = float(info.mip_dual_bound)
    code = {ms.kOptimal: OPTIMAL, ms.kInfeasible: INFEASIBLE, ms.kUnbounded: UNBOUNDED,
            ms.kUnboundedOrInfeasible: INFEASIBLE}.get(status, LIMIT)
    if status not in (ms.kOptimal, ms.kInfeasible, ms.kUnbounded, ms.kUnboundedOrInfeasible,
                      ms.kTimeLimit, ms.kInterrupt, ms.kSolutionLimit, ms.kIterationLimit,
                      ms.kObjectiveBound, ms.kObjectiveTarget):
        code = OTHER
    # The point HiGHS reports, the last improving one it handed over, and the start: the
    # best of them by objective. (highspy 1.16 was seen to report the start while it had
    # proven a better point: RESULTS.md, corpus findings.)
    points = [p for p in (found[-1] if found else None, start) if p is not None]
    sol = h.getSolution()
    if sol.value_valid:
        points.insert(0, np.asarray(sol.col_value, dtype=np.float64))
    x = min(points, key=lambda p: float(c @ p)) if points else None
    if code == INFEASIBLE:
        x = None
    return MipResult(code, x, None if x is None else float(c @ x),
                     dual if np.isfinite(dual) else None)


def _plain(c: F64, constraints: list[LinearConstraint], integrality: F64, bounds: Bounds,
           seconds: float, presolve: bool) -> MipResult:
    res = milp(c, constraints=constraints, integrality=integrality, bounds=bounds,
               options={"time_limit": max(0.05, float(seconds)), "mip_rel_gap": 0.0,
                        "presolve": presolve})
    dual = getattr(res, "mip_dual_bound", None)
    return MipResult(int(res.status), res.x, None if res.x is None else float(res.fun),
                     float(dual) if dual is not None and np.isfinite(dual) else None)

