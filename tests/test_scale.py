"""The city-scale machinery on small problems: LP bound, HiGHS stages, neighbourhood search,
subproblems side by side, and best-plan-so-far progress. Each is forced onto problems small
enough to check against the validator and the conformance optima."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import matcher.solver.core as core
import matcher.solver.stages as stages
from matcher.io import load_problem
from matcher.solver import SolveParams, solve
from matcher.solver.candidates import generate
from matcher.solver.cpsat import StageSettings
from matcher.solver.greedy import best_greedy
from matcher.solver.lns import pack, solve_large, time_clusters
from matcher.solver.lp import coverage_bound
from matcher.solver.mip import solve_mip
from matcher.validate import validate

CONFORMANCE = Path(__file__).resolve().parent / "data" / "conformance"
NAMES = ["c01", "c02", "c04", "c06"]  # no fairness: the coverage LP applies as is


def _subproblems(name: str) -> tuple[object, list]:
    problem = load_problem(CONFORMANCE / f"{name}.problem.json")
    cand = generate(problem)
    possible = cand.possible()
    keep = np.flatnonzero(possible)
    comps = core._components(core._restrict(cand, possible), keep, group_all=True)
    pins = core._map_pins(problem, cand, possible)
    return problem, [core._subproblem(cand, c, pins, SolveParams(), None)[0] for c in comps]


def _expected(name: str) -> dict:
    return json.loads((CONFORMANCE / f"{name}.expected-plan.json").read_text())["objective"]


@pytest.mark.parametrize("name", NAMES)
def test_lp_bound_is_at_least_the_proven_optimum(name: str) -> None:
    _, subs = _subproblems(name)
    bound = sum(coverage_bound(sp, 30)[0] for sp in subs)  # type: ignore[index]
    assert bound >= _expected(name)["coverage"]


@pytest.mark.parametrize("name", NAMES)
def test_highs_stages_reach_the_conformance_optimum(name: str) -> None:
    _, subs = _subproblems(name)
    (sp,) = subs
    out = solve_mip(sp, 30)
    assert [r.status for r in out.results] == ["optimal"] * 3
    assert out.solution is not None
    exp = _expected(name)
    assert sp.stage_value("coverage", out.solution) == exp["coverage"]
    assert sp.stage_value("fill", out.solution) == exp["fill"]
    assert sp.stage_value("travel", out.solution) == exp["travel_m"]


def test_time_clusters_split_only_where_nothing_is_shared() -> None:
    """Two needs in different clusters never share a volunteer or venue at overlapping times."""
    _, (sp,) = _subproblems("c06")
    clusters = time_clusters(sp)
    assert sorted(np.concatenate(clusters).tolist()) == list(range(len(sp.needs)))
    label = np.empty(len(sp.needs), dtype=int)
    for k, c in enumerate(clusters):
        label[c] = k
    for owner, need in ((sp.v_vol, sp.v_need), (sp.u_venue, sp.u_need)):
        for o in np.unique(owner):
            ns = np.unique(need[owner == o])
            for a in ns:
                for b in ns:
                    if sp.start[a] < sp.end[b] and sp.start[b] < sp.end[a]:
                        assert label[a] == label[b]


def test_pack_keeps_order_and_every_need() -> None:
    groups = [np.array([0, 1]), np.array([2]), np.array([3, 4, 5]), np.array([6])]
    size = np.ones(7, dtype=np.int64)
    packed = pack(groups, size, 3)
    assert [p.tolist() for p in packed] == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("name", ["c04", "c06"])
def test_neighbourhood_search_never_loses_and_stays_under_its_bound(name: str) -> None:
    _, (sp,) = _subproblems(name)
    warm = best_greedy(sp)
    reports: list[tuple[int, float | None]] = []
    results, best, bound = solve_large(sp, warm, 10.0, StageSettings(),
                                       lambda v, b, s: reports.append((v, b)))
    cov = sp.stage_value("coverage", best)
    assert cov >= sp.stage_value("coverage", warm)
    assert _expected(name)["coverage"] <= bound
    assert cov <= _expected(name)["coverage"]
    assert results[0].name == "coverage" and results[0].value == cov


def test_large_path_gives_valid_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the city-size path (LP bound + neighbourhood search) on a conformance problem."""
    monkeypatch.setattr(stages, "LARGE_PAIRS", 10)
    problem = load_problem(CONFORMANCE / "c06.problem.json")
    result = solve(problem, SolveParams(time_limit=10))
    assert validate(problem, result.plan) == []
    assert result.plan.bound.coverage is not None
    best = _expected("c06")["coverage"]
    assert result.plan.bound.coverage >= best >= result.plan.objective.coverage


def test_subproblems_side_by_side_give_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several subproblems on two threads: same objective as one after the other."""
    monkeypatch.setattr(core, "PARALLEL_MIN_SIZE", 1)
    monkeypatch.setattr(core, "BATCH_SIZE", 1)  # every component a subproblem of its own
    problem = load_problem(CONFORMANCE / "c04.problem.json")
    par = solve(problem, SolveParams(time_limit=20, workers=2))
    seq = solve(problem, SolveParams(time_limit=20, workers=2, parallel=False))
    coverage_stages = [s for s in par.plan.stats["subproblem_stages"] if s["name"] == "coverage"]
    assert len(coverage_stages) == 7  # c04 has seven independent components
    assert validate(problem, par.plan) == []
    assert par.plan.status == seq.plan.status == "optimal"
    assert par.plan.objective == seq.plan.objective


def test_progress_carries_valid_best_plans_so_far() -> None:
    problem = load_problem(CONFORMANCE / "c05.problem.json")
    seen = []
    solve(problem, SolveParams(time_limit=10, progress_plans=True), progress=seen.append)
    plans = [p.plan for p in seen if p.plan is not None]
    assert plans, "no progress report carried a plan"
    for plan in plans:
        assert validate(problem, plan) == []
    assert all(p.coverage is not None and p.bound is not None and p.bound >= p.coverage
               for p in seen)
