"""HiGHS's MIP with a start and a stop (`matcher.solver.highs`), and the coverage MIP it lets
the path for city-size components run."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import Bounds, milp
from solver_instances import pinned_city
from test_solver_robust import _subproblem

from matcher.solver import SolveParams, highs, lp, solve
from matcher.solver import stages as stages_mod
from matcher.solver.formulation import columns
from matcher.solver.greedy import greedy_starts
from matcher.validate import validate


def _coverage_mip(seed: int):  # type: ignore[no-untyped-def]
    problem, sp = _subproblem(pinned_city(400, 200, days=2, seed=seed))
    mx = lp.matrices(sp, link_pairs=False)
    c = np.zeros(mx.total)
    c[:mx.n] = -sp.weight
    start = columns(sp).vector(greedy_starts(sp)[0])
    assert mx.holds(start)
    return problem, sp, mx, c, start, Bounds(np.zeros(mx.total), mx.upper)


def test_binding_is_there() -> None:
    """The start and the stop need scipy's own HiGHS binding; without it the solver still
    works (the plain path below) but weaker, so the pinned scipy must have it."""
    assert highs.available()


def test_a_stop_already_set_returns_the_start() -> None:
    _, _, mx, c, start, bounds = _coverage_mip(0)
    stop = threading.Event()
    stop.set()
    res = highs.solve(c, mx.constraints(), np.ones(mx.total), bounds, 60.0, start=start,
                      stop=stop)
    assert res.status == highs.LIMIT
    assert res.x is not None and float(c @ res.x) == float(c @ start)


@pytest.mark.parametrize("seed", [0, 1])
def test_same_optimum_as_scipy_milp_and_never_behind_the_start(seed: int) -> None:
    _, _, mx, c, start, bounds = _coverage_mip(seed)
    res = highs.solve(c, mx.constraints(), np.ones(mx.total), bounds, 60.0, start=start)
    ref = milp(c, constraints=mx.constraints(), integrality=np.ones(mx.total), bounds=bounds,
               options={"mip_rel_gap": 0.0})
    assert res.status == highs.OPTIMAL and ref.status == 0
    assert res.x is not None and mx.holds(np.rint(res.x))
    assert res.fun == pytest.approx(ref.fun) == pytest.approx(res.mip_dual_bound)
    assert res.fun < float(c @ start)  # the greedy start is not optimal here


def test_plain_path_without_the_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, mx, c, start, bounds = _coverage_mip(1)
    monkeypatch.setattr(highs, "_hc", None)
    assert not highs.available()
    res = highs.solve(c, mx.constraints(), np.ones(mx.total), bounds, 60.0, start=start)
    ref = milp(c, constraints=mx.constraints(), integrality=np.ones(mx.total), bounds=bounds,
               options={"mip_rel_gap": 0.0})
    assert res.status == highs.OPTIMAL and res.fun == pytest.approx(ref.fun)


def test_large_path_proves_coverage_by_the_mip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path for city-size components without fairness: the LP's bound (979) is above the
    optimum (974) and the greedy (958) below it; the coverage MIP closes both."""
    problem, sp, mx, c, start, bounds = _coverage_mip(0)
    lp_bound = lp.coverage_bound(sp, 30.0, mx)
    assert lp_bound is not None and lp_bound[0] > -float(c @ start)
    exact = solve(problem, SolveParams(time_limit=30)).plan
    assert exact.status == "optimal"
    monkeypatch.setattr(stages_mod, "LARGE_PAIRS", 0)
    plan = solve(problem, SolveParams(time_limit=20)).plan
    assert not validate(problem, plan)
    assert plan.objective.coverage == exact.objective.coverage
    assert plan.bound.coverage == plan.objective.coverage
    coverage = [s for s in plan.stats["stages"] if s["name"] == "coverage"]
    assert coverage and coverage[0]["status"] == "optimal"


def test_shorter_trips_keep_coverage_fill_and_pins() -> None:
    """The coverage MIP ignores distance; `repair.shorter_trips` moves role places to nearer
    free volunteers (or exchanges them) without touching what is met or filled."""
    from matcher.solver import repair
    from matcher.solver.floors import coverage_under_floors
    from matcher.solver.stages import keeps_pins

    _, sp, mx, _c, _start, _b = _coverage_mip(1)
    assert sp.pin_v  # pinned_city pins volunteers: they must not move
    sol, _bound = coverage_under_floors(sp, mx, Fraction(0), 30.0)
    assert sol is not None and keeps_pins(sp, sol)
    short = repair.shorter_trips(sp, sol, float("inf"))
    assert keeps_pins(sp, short)
    assert mx.holds(columns(sp).vector(short))
    for stage in ("coverage", "fill"):
        assert sp.stage_value(stage, short) == sp.stage_value(stage, sol)
    assert sp.stage_value("travel", short) < sp.stage_value("travel", sol)
    assert (short.met == sol.met).all()
