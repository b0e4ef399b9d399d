"""Properties of the solver's heuristics over random small problems (issue 9).

Every solution the greedy, the pins-first model and the neighbourhood search produce, turned
into a plan (`core._assemble`), passes the validator, except that a greedy may miss a pin
(rule 14: that is why pins-first exists); the search never goes lexicographically backwards
(`SubProblem.rank`) and never drops a pin. Cheap enough for hundreds of examples in CI;
MATCHER_PROPERTY_SCALE multiplies the counts.
"""

from __future__ import annotations

import os
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from problem_factory import Sizes, problems

import matcher.solver.core as core
from matcher.derived import fairness_group
from matcher.model import Problem, parse_problem
from matcher.solver import SolveParams
from matcher.solver.candidates import Candidates, Compiled, generate
from matcher.solver.cpsat import Solution, StageSettings, SubProblem
from matcher.solver.greedy import best_greedy, fair_greedy, greedy
from matcher.solver.search import improve
from matcher.solver.stages import keeps_pins, pins_first
from matcher.validate import validate

SCALE = float(os.environ.get("MATCHER_PROPERTY_SCALE", "1"))
SIZES = Sizes(volunteers=7, venues=3, funds=3, needs=9, pins=3, forbids=2)


def _setup(doc: dict) -> tuple[Problem, Candidates, np.ndarray, list, SubProblem]:  # type: ignore[type-arg]
    problem = parse_problem(doc)
    c = Compiled.build(problem)
    cand = generate(problem, c)
    possible = cand.possible()
    pins = core._map_pins(problem, cand, possible)
    groups = None
    fair = problem.objective.fairness
    if fair is not None:
        names: dict[str, int] = {}
        gid = np.array([names.setdefault(fairness_group(n.region, fair.region_depth), len(names))
                        for n in problem.needs], dtype=np.int64)
        groups = (gid, {int(g): int(c.weight[gid == g].sum()) for g in range(len(names))})
    sub = core._subproblem(cand, np.flatnonzero(possible), pins, SolveParams(), groups)
    return problem, cand, possible, [sub], sub[0]


def _violations(problem: Problem, cand: Candidates, possible: np.ndarray, subs: list,  # type: ignore[type-arg]
                sol: Solution) -> list[str]:
    plan = core._assemble(problem, cand, subs, {0: sol}, possible, float(10**12))
    return [str(v) for v in validate(problem, plan)]


@settings(max_examples=int(700 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(SIZES))
def test_greedy_plans_break_no_rule_but_pins(doc: dict) -> None:  # type: ignore[type-arg]
    problem, cand, possible, subs, sp = _setup(doc)
    if not len(sp.needs) or core._map_pins(problem, cand, possible).broken:
        return  # a pin outside the candidates: the solver answers infeasible at once
    sols = [greedy(sp), best_greedy(sp)]
    if sp.group is not None:
        sols.append(fair_greedy(sp))
    for sol in sols:
        broken = _violations(problem, cand, possible, subs, sol)
        if keeps_pins(sp, sol):
            assert not broken, broken
        else:
            assert broken and all(b.startswith("rule 14") for b in broken), broken
    best = best_greedy(sp)
    assert all(sp.rank(best) >= sp.rank(s) for s in sols[:1])


@settings(max_examples=int(120 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(SIZES))
def test_pins_first_and_search_keep_every_rule(doc: dict) -> None:  # type: ignore[type-arg]
    problem, cand, possible, subs, sp = _setup(doc)
    if not len(sp.needs) or core._map_pins(problem, cand, possible).broken:
        return
    one = StageSettings(seed=0, workers=1)
    start = best_greedy(sp)
    if not keeps_pins(sp, start):
        status, pinned, _ = pins_first(sp, 5.0, one)
        if pinned is None:
            # Proven: then the full solve says infeasible too.
            assert status == "infeasible"
            plan = core.solve(problem, SolveParams(time_limit=5, workers=1)).plan
            assert plan.status == "infeasible"
            return
        assert keeps_pins(sp, pinned)
        assert not _violations(problem, cand, possible, subs, pinned)
        start = best_greedy(sp, fixed=pinned)
        assert keeps_pins(sp, start)
    assert not _violations(problem, cand, possible, subs, start)
    ranks = []
    best, _ = improve(sp, start, time.monotonic() + 0.3, one,
                      on_improve=lambda s: ranks.append(sp.rank(s)), max_steps=4)
    assert keeps_pins(sp, best)
    assert sp.rank(best) >= sp.rank(start)
    assert ranks == sorted(ranks)
    assert not _violations(problem, cand, possible, subs, best)
