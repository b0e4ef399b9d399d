"""The coverage stage under fairness floors, by HiGHS, for a component too big for the
exact stages.

On a fair city-size component the neighbourhood search settles the fairness but climbs
coverage poorly: every group at the smallest share is a floor no step may cross, so a step
that frees a volunteer in such a group must meet another need of that group in the same
small model. HiGHS sees the whole component: with every group held at the fairness reached
(`mip._group_rows`), its root bound and rounding heuristics usually land within a few
needs of the optimum (Gansu, 5,000 volunteers by town: 5,890 proven where the search held
5,858). Any plan of the lexicographic optimum has fairness at least the one held, so the
MIP's dual bound is a proven coverage bound too, as the exact path's coverage stage is.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from scipy.optimize import Bounds

from matcher.solver import highs
from matcher.solver.cpsat import Solution, SubProblem
from matcher.solver.lp import Matrices
from matcher.solver.mip import _chunk, _exact_ok, _group_rows, _solution, start_vector


def coverage_under_floors(
    sp: SubProblem, mx: Matrices, value: Fraction, seconds: float, stop: Any = None,
    start: Solution | None = None,
) -> tuple[Solution | None, float | None]:
    """The best coverage HiGHS finds within `seconds` from `start` with every group's share
    at least `value` (no floors when `value` is 0, as without fairness), and the proven bound
    on it; (None, None) parts when HiGHS has none."""
    cons = mx.constraints()
    if value > 0:
        cons.append(_group_rows(sp, mx, value.numerator, value.denominator))
    c = np.zeros(mx.total)
    c[:mx.n] = -sp.weight.astype(np.float64)
    x0 = start_vector(sp, mx, start)
    if start is not None and value > 0 and sp.fairness_of(start.met) < value:
        x0 = None  # below the floors
    res = highs.solve(c, cons, np.ones(mx.total), Bounds(np.zeros(mx.total), mx.upper),
                      max(0.1, _chunk(seconds, stop)), start=x0, stop=stop)
    dual = res.mip_dual_bound
    bound = None
    if dual is not None and np.isfinite(dual):
        bound = float(np.floor(-float(dual) + 1e-6))
    if res.x is None:
        return None, bound
    x = np.rint(res.x)
    if not _exact_ok(mx, x):
        return None, bound
    sol = _solution(mx, x)
    if value > 0 and sp.fairness_of(sol.met) < value:  # rounding noise: hold it exactly
        return None, bound
    return sol, bound
