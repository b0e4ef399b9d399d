"""Issue 9: plans that hold on inputs unlike our scenarios.

- the final check: a plan breaking a rule raises in strict mode and otherwise falls back to
  the greedy start, said in `stats.check`;
- no stage behind the greedy: on PTSP-like problems HiGHS's time-limited incumbent used to
  replace a far better greedy start;
- pins first: pins the greedy cannot keep are found by the exact model over pinned needs;
- infeasible pins are named, across decomposed subproblems;
- the neighbourhood search never loses value and keeps every pin;
- fairness on a component too big for one model: at least the greedy's, with a proven bound.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from solver_instances import clashing_pins, pinned_city, ptsp_like

import matcher.solver.core as core
from matcher.model import parse_problem
from matcher.solver import SolveParams, solve
from matcher.solver import stages as stages_mod
from matcher.solver.candidates import Compiled, generate
from matcher.solver.cpsat import StageSettings
from matcher.solver.greedy import best_greedy, greedy
from matcher.solver.search import improve
from matcher.solver.stages import keeps_pins, pins_first
from matcher.validate import validate


def _subproblem(doc: dict, fairness: bool = False):  # type: ignore[no-untyped-def]
    from matcher.derived import fairness_group

    problem = parse_problem(doc)
    c = Compiled.build(problem)
    cand = generate(problem, c)
    possible = cand.possible()
    pins = core._map_pins(problem, cand, possible)
    groups = None
    if fairness:
        names: dict[str, int] = {}
        fair = problem.objective.fairness
        assert fair is not None
        gid = np.array([names.setdefault(fairness_group(n.region, fair.region_depth), len(names))
                        for n in problem.needs], dtype=np.int64)
        groups = (gid, {int(g): int(c.weight[gid == g].sum()) for g in range(len(names))})
    sp, *_ = core._subproblem(cand, np.flatnonzero(possible), pins, SolveParams(), groups)
    return problem, sp


def _doc(volunteers, needs, pins=(), funds=(), venues=()):  # type: ignore[no-untyped-def]
    loc = {"lat": 30.66, "lon": 104.06}
    return {
        "version": 1, "name": "t", "currency": "CNY",
        "volunteers": [{"id": v, "location": loc, "skills": ["s"]} for v in volunteers],
        "venues": list(venues), "funds": list(funds),
        "needs": [dict({"id": nid, "location": loc, "start": s, "end": e, "priority": p,
                        "roles": [{"skill": "s", "count": 1}]}, **extra)
                  for nid, s, e, p, extra in needs],
        "pins": list(pins),
    }


T9 = "2027-03-01T09:00:00+08:00"
T10 = "2027-03-01T10:00:00+08:00"
T11 = "2027-03-01T11:00:00+08:00"


def test_broken_plan_raises_in_strict_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = parse_problem(_doc(["v1", "v2"], [("n1", T9, T10, 3, {}), ("n2", T9, T10, 1, {})]))
    real = core._plan

    def drop_an_assignment(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = real(*args, **kwargs)
        return plan.model_copy(update={"assignments": plan.assignments[1:]})

    monkeypatch.setattr(core, "_plan", drop_an_assignment)
    with pytest.raises(core.PlanCheckError, match="rule 12"):
        solve(problem, SolveParams(time_limit=5, strict=True))


def test_broken_plan_falls_back_to_greedy(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = parse_problem(_doc(["v1", "v2"], [("n1", T9, T10, 3, {}), ("n2", T9, T10, 1, {})],
                                 pins=[{"need": "n1", "volunteer": "v2"}]))
    real = core._plan
    calls = [0]

    def break_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = real(*args, **kwargs)
        calls[0] += 1
        if calls[0] == 1:  # only the solver's own plan; the fallback is built after it
            return plan.model_copy(update={"assignments": plan.assignments[1:]})
        return plan

    monkeypatch.setattr(core, "_plan", break_first)
    monkeypatch.setattr(core, "STRICT", False)
    plan = solve(problem, SolveParams(time_limit=5)).plan
    assert plan.stats["check"]["fallback"] == "greedy"
    assert plan.stats["check"]["valid"] is False
    assert not validate(problem, plan)
    assert plan.status == "feasible"
    assert "n1" in plan.met  # the pin holds in the fallback
    assert plan.bound.coverage >= plan.objective.coverage


def test_plan_is_checked_and_says_so() -> None:
    problem = parse_problem(_doc(["v1"], [("n1", T9, T10, 3, {})]))
    plan = solve(problem, SolveParams(time_limit=5)).plan
    assert plan.stats["check"] == {"valid": True}
    assert "check" in plan.stats["phases"]


def test_ptsp_like_never_behind_its_greedy_start() -> None:
    # 500 tasks: HiGHS's time-limited incumbent met 7 where the greedy start met 456.
    problem = parse_problem(ptsp_like(500, 60, seed=0))
    result = solve(problem, SolveParams(time_limit=10, workers=2))
    greedy_cov = [h.coverage for h in result.history if h.stage == "greedy"]
    assert greedy_cov and greedy_cov[0] is not None
    assert result.plan.objective.coverage >= greedy_cov[0]
    assert not validate(problem, result.plan)


def test_rank_orders_stages_as_spec() -> None:
    _, sp = _subproblem(ptsp_like(40, 6, seed=1))
    a = greedy(sp)
    b = stages_mod.empty_solution(sp)
    assert sp.stage_names() == ["coverage", "fill", "travel"]
    assert sp.rank(a) > sp.rank(b)
    assert sp.rank(a)[0] == sp.stage_value("coverage", a)


def _fund_pins_doc() -> dict:
    # B (heavier, pinned to v2) is served first and takes the fund with the most left (f1),
    # which A's fund pin needs whole: the greedy cannot keep both pins, an exact model can.
    funds = [{"id": "f1", "amount": 100}, {"id": "f2", "amount": 100}]
    needs = [("A", T9, T10, 1, {"funding": 100}), ("B", T9, T10, 5, {"funding": 100}),
             ("C", T10, T11, 2, {})]
    pins = [{"need": "A", "fund": "f1", "amount": 100}, {"need": "B", "volunteer": "v2"},
            {"need": "A", "volunteer": "v1"}]
    doc = _doc(["v1", "v2"], needs, pins=pins, funds=funds)
    doc["funds"][0]["amount"] = 150  # f1 has the most left, so the greedy gives B from it
    return doc


def test_pins_first_keeps_pins_the_greedy_cannot() -> None:
    doc = _fund_pins_doc()
    problem, sp = _subproblem(doc)
    assert not keeps_pins(sp, best_greedy(sp))  # the case this path exists for
    status, sol, _took = pins_first(sp, 5.0, StageSettings())
    assert status == "feasible" and sol is not None and keeps_pins(sp, sol)
    extended = best_greedy(sp, fixed=sol)
    assert keeps_pins(sp, extended)
    assert sp.stage_value("coverage", extended) >= sp.stage_value("coverage", sol)
    plan = solve(problem, SolveParams(time_limit=5)).plan
    assert not validate(problem, plan) and {"A", "B"} <= set(plan.met)


def test_pins_first_on_the_large_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The large path (time clusters, neighbourhood search) used to need a greedy that kept
    # every pin; without one it fell back to an exact model that did not finish at scale.
    monkeypatch.setattr(stages_mod, "LARGE_PAIRS", 0)
    problem = parse_problem(_fund_pins_doc())
    plan = solve(problem, SolveParams(time_limit=5)).plan
    assert not validate(problem, plan)
    assert {"A", "B"} <= set(plan.met)


def test_clashing_pins_are_named_across_subproblems() -> None:
    doc, clashing = clashing_pins(300, 120, seed=3)
    problem = parse_problem(doc)
    plan = solve(problem, SolveParams(time_limit=10)).plan
    assert plan.status == "infeasible"
    named = {u.need for u in plan.unmet if u.reasons[0].startswith("pin of")}
    assert named == clashing


def test_search_never_loses_value_and_keeps_pins() -> None:
    import time

    problem, sp = _subproblem(pinned_city(200, 120, days=2, seed=5))
    start = best_greedy(sp)
    assert keeps_pins(sp, start)
    seen = []
    best, _gains = improve(sp, start, time.monotonic() + 3.0, StageSettings(seed=1),
                           on_improve=lambda s: seen.append(sp.rank(s)))
    assert keeps_pins(sp, best)
    assert sp.rank(best) >= sp.rank(start)
    assert seen == sorted(seen)


def test_fairness_at_least_greedy_on_large_component(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages_mod, "LARGE_PAIRS", 0)  # the path for city-size components
    doc = pinned_city(300, 150, days=3, fairness=True, seed=7, towns=5)
    problem, sp = _subproblem(doc, fairness=True)
    greedy_fair = sp.fairness_of(best_greedy(sp).met)
    plan = solve(problem, SolveParams(time_limit=8)).plan
    assert not validate(problem, plan)
    assert plan.objective.fairness is not None and plan.bound.fairness is not None
    assert Fraction(plan.objective.fairness) >= greedy_fair - Fraction(1, 10**9)
    assert plan.bound.fairness >= plan.objective.fairness
    assert plan.bound.fairness <= 1.0


def test_search_with_coverage_at_its_bound_improves_fill_and_travel() -> None:
    """Coverage proven (as HiGHS leaves it on Gansu's 2,500-volunteer fortnight), fill and
    travel not: seeds at unmet needs cannot help, seeds at met needs with long travel or
    free role places and their nearest volunteers do. Same steps, same seed."""
    from matcher.solver.cpsat import MatchModel, solve_stage

    problem, sp = _subproblem(pinned_city(300, 100, days=3, seed=2))
    mm = MatchModel(sp)
    res, start = solve_stage(mm, "coverage", mm.coverage(), True, 30.0,
                             StageSettings(seed=0, workers=1))
    assert res.status == "optimal" and start is not None and keeps_pins(sp, start)
    bound = float(sp.stage_value("coverage", start))
    far = 1e12  # no deadline: the steps alone end each search

    blind, _ = improve(sp, start, far, StageSettings(seed=0), max_pairs=40, max_steps=40)
    aimed, _ = improve(sp, start, far, StageSettings(seed=0), max_pairs=40, max_steps=40,
                       coverage_bound=bound)
    for sol in (blind, aimed):
        assert keeps_pins(sp, sol)
        assert sp.stage_value("coverage", sol) == bound
    assert sp.rank(aimed) > sp.rank(blind)
    assert sp.stage_value("fill", aimed) > sp.stage_value("fill", start)


def test_coverage_under_floors_holds_the_fairness_and_proves_coverage() -> None:
    from matcher.solver import lp
    from matcher.solver.floors import coverage_under_floors

    doc = pinned_city(300, 150, days=3, fairness=True, seed=7, towns=5)
    problem, sp = _subproblem(doc, fairness=True)
    exact = solve(problem, SolveParams(time_limit=30)).plan
    assert exact.status == "optimal" and exact.objective.fairness is not None
    met = np.array([n.id in set(exact.met) for n in problem.needs])[sp.needs]
    fair = sp.fairness_of(met)
    sol, bound = coverage_under_floors(sp, lp.matrices(sp, link_pairs=False), fair, 30.0)
    assert sol is not None and bound is not None
    assert sp.fairness_of(sol.met) >= fair
    # The lexicographic optimum at this fairness, proven by both.
    assert sp.stage_value("coverage", sol) == exact.objective.coverage == bound


def test_large_fair_component_proves_coverage_under_the_floors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The path for city-size fair components: after the search, HiGHS's coverage stage
    under the floors of the fairness reached; the LP alone left the coverage unproven."""
    monkeypatch.setattr(stages_mod, "LARGE_PAIRS", 0)
    doc = pinned_city(300, 150, days=3, fairness=True, seed=7, towns=5)
    problem = parse_problem(doc)
    exact = solve(problem, SolveParams(time_limit=30)).plan
    plan = solve(problem, SolveParams(time_limit=10)).plan
    assert not validate(problem, plan)
    assert plan.objective.fairness == exact.objective.fairness
    assert plan.objective.coverage == exact.objective.coverage
    assert plan.bound.coverage == plan.objective.coverage
