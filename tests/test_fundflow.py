"""Money-only components (matcher/solver/fundflow.py): the min-cost flow's bound is the LP's
bound, its plan is valid and keeps every pin, and the large path uses both."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from problem_factory import Sizes, problems

from matcher.model import parse_problem
from matcher.solver import SolveParams, core, fundflow, lns, lp, solve
from matcher.solver.candidates import Compiled, generate
from matcher.solver.cpsat import StageSettings, SubProblem
from matcher.solver.greedy import greedy
from matcher.solver.stages import keeps_pins, solve_subproblem

I64 = np.int64


def _money_only(seed: int, n: int = 60, n_funds: int = 6,
                pins: int = 0) -> SubProblem:
    """Needs asking for 50-400 CNY each from a few funds that cannot pay for all of them,
    each need eligible for two or three funds (as earmarks make it)."""
    rng = np.random.default_rng(seed)
    funding = rng.integers(5, 40, n).astype(I64) * 1000
    pairs = sorted({(int(f), i) for i in range(n)
                    for f in rng.choice(n_funds, int(rng.integers(2, 4)), replace=False)},
                   key=lambda p: (p[1], p[0]))
    f_fund = np.array([f for f, _ in pairs], dtype=I64)
    f_need = np.array([i for _, i in pairs], dtype=I64)
    amounts = {f: int(rng.integers(20, 120)) * 1000 for f in range(n_funds)}
    f_cap = np.minimum(np.array([amounts[int(f)] for f in f_fund]), funding[f_need])
    pin_f: list[tuple[int, int]] = []
    for k in rng.choice(len(pairs), pins, replace=False).tolist():
        if all(f_need[k] != f_need[j] for j, _ in pin_f):
            pin_f.append((k, int(f_cap[k])))
    z = np.zeros(0, dtype=I64)
    return SubProblem(
        needs=np.arange(n, dtype=I64), weight=rng.choice([1, 2, 4, 8, 16], n).astype(I64),
        start=np.zeros(n, dtype=I64), end=np.ones(n, dtype=I64),
        role_min=[[] for _ in range(n)], role_count=[[] for _ in range(n)],
        asks_venue=np.zeros(n, dtype=bool), funding=funding,
        v_vol=z, v_need=z, v_role=z, v_dist=z, vol_max_s={},
        u_venue=z, u_need=z, u_dist=z,
        f_fund=f_fund, f_need=f_need, f_cap=f_cap.astype(I64), fund_amount=amounts,
        pin_f=pin_f)


def _valid(sp: SubProblem, g: np.ndarray, met: np.ndarray) -> bool:
    """Rules 10-13 on a money-only solution: within caps and amounts, met needs funded
    exactly, unmet needs given nothing."""
    per_need = np.bincount(sp.f_need, weights=g, minlength=len(sp.needs))
    per_fund = np.bincount(sp.f_fund, weights=g)
    return (bool(np.all((g >= 0) & (g <= sp.f_cap)))
            and all(per_fund[f] <= a for f, a in sp.fund_amount.items() if f < len(per_fund))
            and bool(np.all(per_need[met] == sp.funding[met]))
            and bool(np.all(per_need[~met] == 0)))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("pins", [0, 3])
def test_flow_bound_is_the_lp_bound_and_its_plan_is_valid(seed: int, pins: int) -> None:
    sp = _money_only(seed, pins=pins)
    assert fundflow.applies(sp)
    out = fundflow.coverage_bound(sp)
    relaxed = lp.coverage_bound(sp, 30.0)
    if out is None:
        # Only when no flow holds the pins, and then no plan does.
        assert pins
        exact = solve_subproblem(sp, 30.0, StageSettings(seed=1))
        assert exact.solution is None
        return
    assert relaxed is not None
    bound, share, sol = out
    if pins:
        # The flow also holds that a pinned need is met in full (rule 14), which the LP
        # leaves fractional: never looser than the LP.
        assert bound <= relaxed[0] + 1
    else:
        # The same LP solved two ways: equal up to the flow's rounding of values per fen
        # (the flow's is never below, so it stays a bound).
        assert relaxed[0] <= bound <= relaxed[0] + 1
    # A bound on every plan keeping the pins: the exact optimum is never above it.
    exact = solve_subproblem(sp, 30.0, StageSettings(seed=1))
    assert exact.solution is not None
    assert all(r.status == "optimal" for r in exact.results)
    assert sp.stage_value("coverage", exact.solution) <= bound
    assert _valid(sp, sol.g, sol.met)
    assert keeps_pins(sp, sol)
    assert sp.stage_value("coverage", sol) <= bound
    assert np.all((share >= 0) & (share <= 1 + 1e-9))
    topped = greedy(sp, fixed=sol)
    assert _valid(sp, topped.g, topped.met) and keeps_pins(sp, topped)
    assert sp.stage_value("coverage", topped) >= sp.stage_value("coverage", sol)


def test_pins_no_flow_can_hold_give_none() -> None:
    sp = _money_only(3)
    # Two pins that together take more than the fund has.
    f = int(sp.f_fund[0])
    ks = [k for k in range(len(sp.f_fund)) if int(sp.f_fund[k]) == f][:2]
    sp.fund_amount[f] = int(sp.f_cap[ks[0]])  # room for the first pin only
    sp.pin_f = [(k, int(sp.f_cap[k])) for k in ks]
    assert fundflow.coverage_bound(sp) is None


def test_not_for_components_with_volunteers() -> None:
    sp = _money_only(1)
    sp.v_vol = np.array([0], dtype=I64)
    assert not fundflow.applies(sp)


def test_large_path_uses_the_flow_bound() -> None:
    sp = _money_only(5, n=200, n_funds=12, pins=2)
    results, best, bound = lns.solve_large(sp, greedy(sp), 5.0, StageSettings(seed=1),
                                           lambda *_a: None)
    out = fundflow.coverage_bound(sp)
    assert out is not None and bound == out[0]
    assert _valid(sp, best.g, best.met) and keeps_pins(sp, best)
    assert sp.stage_value("coverage", best) >= sp.stage_value("coverage", out[2])
    assert results[0].bound == bound


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(Sizes(fairness=False)))
def test_money_bound_is_above_every_plan(doc: dict[str, object]) -> None:
    """Money alone (volunteers, venues and their pins dropped) bounds the coverage of
    every plan that keeps the pins: never below the proven optimum of a random problem."""
    problem = parse_problem(doc)
    result = solve(problem, SolveParams(time_limit=20.0, seed=1, decompose=False))
    bound = None
    compiled = Compiled.build(problem)
    cand = generate(problem, compiled)
    possible = cand.possible()
    keep = np.flatnonzero(possible)
    if len(keep) and result.plan.status == "optimal":
        pins = core._map_pins(problem, cand, possible)
        sp, *_ = core._subproblem(cand, keep, pins, SolveParams(), None)
        bound = fundflow.money_bound(sp)
    if bound is not None:
        assert result.plan.objective.coverage <= bound
