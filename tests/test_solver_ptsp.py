"""Issue 9, PTSP: every task met, and the ejection chains that get there.

`tests/data/ptsp/data_29_22_219_66.dat` is one of the 137 public PTSP instances, byte-identical
(its SHA-256 is in `benchmarks/data/ptsp/sha256.txt`): 219 tasks, 22 workers, every task
doable. On it the greedy's default order leaves 18 tasks open, the ejection chains alone 2,
the earliest-start order alone 2: the solver must combine them (or search) to meet all.
The larger instances of the set have the same structure (one day of overlapping tasks);
`benchmarks/corpus_run.py --family ptsp` runs all of them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from solver_instances import pinned_city, ptsp_like

import matcher.solver.core as core
from matcher.model import Problem, parse_problem
from matcher.solver import SolveParams, solve
from matcher.solver.candidates import Compiled, generate
from matcher.solver.cpsat import Solution, SubProblem
from matcher.solver.greedy import best_greedy, greedy, greedy_starts
from matcher.solver.repair import augment, warm_start
from matcher.solver.stages import keeps_pins
from matcher.validate import validate

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.corpus import ptsp  # noqa: E402

DAT = Path(__file__).parent / "data" / "ptsp" / "data_29_22_219_66.dat"


def _problem() -> Problem:
    inst = ptsp.parse(DAT.name, DAT.read_text(encoding="ascii"))
    return parse_problem(ptsp.to_problem(inst))


def _one_subproblem(problem: Problem):  # type: ignore[no-untyped-def]
    """The whole problem as one subproblem, and a way to turn its solutions into plans."""
    c = Compiled.build(problem)
    cand = generate(problem, c)
    possible = cand.possible()
    pins = core._map_pins(problem, cand, possible)
    sub = core._subproblem(cand, np.flatnonzero(possible), pins, SolveParams(), None)

    def plan_of(sol: Solution):  # type: ignore[no-untyped-def]
        return core._assemble(problem, cand, [sub], {0: sol}, possible, float(len(problem.needs)))

    return sub[0], plan_of


def test_every_task_of_a_ptsp_instance_is_met() -> None:
    problem = _problem()
    assert len(problem.needs) == 219 and len(problem.volunteers) == 22
    plan = solve(problem, SolveParams(time_limit=20, seed=0, workers=2)).plan
    assert not validate(problem, plan)
    assert len(plan.met) == 219 and not plan.unmet
    assert plan.status == "optimal"  # every task met at one place: nothing left to prove


def test_ejection_chains_meet_tasks_the_greedy_left_open() -> None:
    problem = _problem()
    sp, plan_of = _one_subproblem(problem)
    start = greedy(sp)  # the default order: heaviest first, then document order
    assert int(start.met.sum()) < 219  # the case the chains exist for
    more, added = augment(sp, start, time.monotonic() + 60)
    assert added == int(more.met.sum()) - int(start.met.sum()) > 0
    assert sp.rank(more) > sp.rank(start)
    assert not validate(problem, plan_of(more))
    # The warm start combines the greedy orders and the chains: every task.
    best = warm_start(sp, greedy_starts(sp), time.monotonic() + 60)
    assert int(best.met.sum()) == 219
    assert not validate(problem, plan_of(best))


def _rank_ok(sp: SubProblem, before: Solution, after: Solution) -> bool:
    # Swaps may trade a met need for another of at least its weight: the rank never drops.
    return sp.rank(after) >= sp.rank(before)


@pytest.mark.parametrize("seed", range(4))
def test_ejection_chains_keep_pins_and_every_rule(seed: int) -> None:
    # Pins, forbids, venues, funds and hours limits: the chains move only unpinned
    # volunteers, and the plan they give is valid.
    problem = parse_problem(pinned_city(150, 110, days=2, seed=seed, towns=4))
    sp, plan_of = _one_subproblem(problem)
    start = best_greedy(sp)
    assert keeps_pins(sp, start)
    more, _added = augment(sp, start, time.monotonic() + 60)
    assert keeps_pins(sp, more)
    assert _rank_ok(sp, start, more)
    assert not validate(problem, plan_of(more))
    best = warm_start(sp, greedy_starts(sp), time.monotonic() + 60)
    assert keeps_pins(sp, best) and sp.rank(best) >= sp.rank(start)
    assert not validate(problem, plan_of(best))


@pytest.mark.parametrize("seed", range(3))
def test_ejection_chains_on_generated_task_scheduling(seed: int) -> None:
    # Planted schedules (every task doable; harder than the public set: the plant keeps
    # every worker busy), shuffled task order: the chains and swaps never lose a task and
    # their plan is valid; the solve is never behind the best greedy start.
    problem = parse_problem(ptsp_like(150, 15, seed=seed))
    sp, plan_of = _one_subproblem(problem)
    start = greedy(sp)
    more, added = augment(sp, start, time.monotonic() + 60)
    assert added == int(more.met.sum() - start.met.sum()) > 0
    assert _rank_ok(sp, start, more)
    assert not validate(problem, plan_of(more))
    plan = solve(problem, SolveParams(time_limit=5, seed=0, workers=2)).plan
    assert not validate(problem, plan)
    assert plan.objective.coverage >= int(greedy_starts(sp)[0].met.sum())
