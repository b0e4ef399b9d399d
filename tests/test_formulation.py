"""The one model of the rules (`matcher.solver.formulation`) and the two backends fed from it.

1. Every block has a case that breaks it: a valid solution of a small hand-made problem,
   changed in one place, breaks exactly the blocks expected, CP-SAT and the HiGHS matrices
   both reject it, and the validator reports the SPEC rules the block encodes.
2. The backends agree: CP-SAT is handed every row of every block, the HiGHS matrices are the
   blocks stacked; on random problems the plan each backend finds satisfies every block and
   is accepted by the other, and around those plans (one decision changed at a time) CP-SAT,
   HiGHS's rows and the blocks accept exactly the same points.
3. The vectorised interval cliques equal a plain sweep line.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model
from problem_factory import Sizes, problems

from matcher.model import (
    Plan,
    PlanAssignment,
    PlanBooking,
    PlanGrant,
    PlanObjective,
    Problem,
    Unmet,
    parse_problem,
)
from matcher.solver import core, lp
from matcher.solver.candidates import generate
from matcher.solver.cpsat import MatchModel, Solution, StageSettings, SubProblem, solve_stage
from matcher.solver.formulation import formulate, interval_cliques, objective
from matcher.solver.greedy import greedy
from matcher.solver.mip import solve_mip
from matcher.solver.params import SolveParams
from matcher.validate import validate

C = {"lat": 32.690, "lon": 119.007}
NEAR = {"lat": 32.691, "lon": 119.008}


def _t(hhmm: str) -> str:
    return f"2026-12-05T{hhmm}:00+08:00"


def _need(nid: str, start: str, end: str, roles: list[dict[str, Any]], **fields: Any) -> dict:
    return {"id": nid, "location": C, "start": _t(start), "end": _t(end), "priority": 3,
            "roles": roles, **fields}


def _role(skill: str, count: int, min_count: int) -> dict:
    return {"skill": skill, "count": count, "min_count": min_count}


def _vol(vid: str, *skills: str, **fields: Any) -> dict:
    return {"id": vid, "location": NEAR, "skills": list(skills), **fields}


ROOM = {"capacity": 30, "features": ["classroom"]}
# n1 and n2 overlap (14:00-16:00, 15:00-17:00); n3 is in the evening. v1 may give 3 hours.
DOC = {
    "version": 1, "name": "blocks",
    "volunteers": [_vol("v1", "teaching", max_hours=3), _vol("v2", "teaching"),
                   _vol("v3", "teaching"), _vol("v4", "first_aid"),
                   _vol("v5", "teaching", "first_aid")],
    "venues": [{"id": u, "location": NEAR, "capacity": 40, "features": ["classroom"]}
               for u in ("u1", "u2")],
    "funds": [{"id": "f1", "amount": 1500}, {"id": "f2", "amount": 1000}],
    "needs": [
        _need("n1", "14:00", "16:00", [_role("teaching", 2, 1)], venue=ROOM, funding=1000),
        _need("n2", "15:00", "17:00", [_role("teaching", 2, 1)], venue=ROOM),
        _need("n3", "18:00", "20:00", [_role("teaching", 2, 1), _role("first_aid", 2, 1)],
              funding=1000),
    ],
    "pins": [{"need": "n3", "volunteer": "v3"}],
}


class Case:
    """A problem as one subproblem, with solutions written by ids."""

    def __init__(self, doc: dict) -> None:
        self.problem: Problem = parse_problem(doc)
        self.cand = generate(self.problem)
        possible = self.cand.possible()
        keep = np.flatnonzero(possible)
        comps = core._components(core._restrict(self.cand, possible), keep, group_all=True)
        pins = core._map_pins(self.problem, self.cand, possible)
        (comp,) = comps
        self.sp, self.vk, self.uk, self.fk = core._subproblem(self.cand, comp, pins,
                                                               SolveParams(), None)

    def solution(self, met: list[str], v: list[tuple[str, str, str]],
                 u: list[tuple[str, str]], g: list[tuple[str, str, int]]) -> Solution:
        """met needs; (need, skill, volunteer) assignments; (need, venue) bookings;
        (need, fund, amount) grants."""
        p, sp, cand = self.problem, self.sp, self.cand
        need = {n.id: i for i, n in enumerate(p.needs)}
        local = {int(i): k for k, i in enumerate(sp.needs)}
        sol = Solution(np.zeros(len(sp.needs), bool), np.zeros(len(sp.v_vol), bool),
                       np.zeros(len(sp.u_venue), bool), np.zeros(len(sp.f_fund), np.int64))
        for nid in met:
            sol.met[local[need[nid]]] = True
        vol = {x.id: i for i, x in enumerate(p.volunteers)}
        for nid, skill, vid in v:
            role = [r.skill for r in p.needs[need[nid]].roles].index(skill)
            (k,) = [k for k, gk in enumerate(self.vk) if cand.v_vol[gk] == vol[vid]
                    and cand.v_need[gk] == need[nid] and cand.v_role[gk] == role]
            sol.v[k] = True
        ven = {x.id: i for i, x in enumerate(p.venues)}
        for nid, uid in u:
            (k,) = [k for k, gk in enumerate(self.uk) if cand.u_venue[gk] == ven[uid]
                    and cand.u_need[gk] == need[nid]]
            sol.u[k] = True
        fund = {x.id: i for i, x in enumerate(p.funds)}
        for nid, fid, amount in g:
            (k,) = [k for k, gk in enumerate(self.fk) if cand.f_fund[gk] == fund[fid]
                    and cand.f_need[gk] == need[nid]]
            sol.g[k] = amount
        return sol

    def plan(self, sol: Solution) -> Plan:
        """The solution as a plan, its objective values its own."""
        p, sp, cand = self.problem, self.sp, self.cand
        assignments = [PlanAssignment(need=p.needs[int(cand.v_need[k])].id,
                                      skill=p.needs[int(cand.v_need[k])].roles[
                                          int(cand.v_role[k])].skill,
                                      volunteer=p.volunteers[int(cand.v_vol[k])].id,
                                      distance_m=int(cand.v_dist[k]))
                       for k in self.vk[sol.v]]
        bookings = [PlanBooking(need=p.needs[int(cand.u_need[k])].id,
                                venue=p.venues[int(cand.u_venue[k])].id,
                                distance_m=int(cand.u_dist[k])) for k in self.uk[sol.u]]
        grants = [PlanGrant(need=p.needs[int(cand.f_need[k])].id,
                            fund=p.funds[int(cand.f_fund[k])].id, amount=int(a))
                  for k, a in zip(self.fk, sol.g, strict=True) if a > 0]
        met = {p.needs[int(i)].id for i, on in zip(sp.needs, sol.met, strict=True) if on}
        cov = sp.stage_value("coverage", sol)
        return Plan(problem=p.name, status="feasible",
                    objective=PlanObjective(coverage=cov, fill=sp.stage_value("fill", sol),
                                            travel_m=sp.stage_value("travel", sol)),
                    met=sorted(met), assignments=assignments, bookings=bookings,
                    grants=grants,
                    unmet=[Unmet(need=n.id, reasons=["not chosen"]) for n in p.needs
                           if n.id not in met])


def cpsat_accepts(sp: SubProblem, sol: Solution) -> bool:
    """Does CP-SAT find the model feasible with every decision fixed to `sol`?"""
    mm = MatchModel(sp)
    m = mm.model
    for lits, vals in ((mm.met, sol.met), (mm.x, sol.v), (mm.y, sol.u), (mm.g, sol.g)):
        for lit, val in zip(lits, vals.tolist(), strict=True):
            m.add(lit == int(val))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    status = solver.solve(m)
    assert status != cp_model.UNKNOWN
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def highs_accepts(sp: SubProblem, sol: Solution, link_pairs: bool = True) -> bool:
    mx = lp.matrices(sp, link_pairs=link_pairs)
    return mx.holds(formulate(sp).cols.vector(sol))


# --- 1. every block has a case that breaks it ------------------------------------------------

BASE: dict[str, list] = {
    "met": ["n1", "n2", "n3"],
    "v": [("n1", "teaching", "v2"), ("n2", "teaching", "v1"), ("n3", "teaching", "v3"),
          ("n3", "first_aid", "v4")],
    "u": [("n1", "u1"), ("n2", "u2")],
    "g": [("n1", "f1", 1000), ("n3", "f2", 1000)],
}


def _changed(**parts: list) -> dict[str, list]:
    return {**BASE, **parts}


# (block broken, how, the blocks it breaks, SPEC rules the validator reports)
BREAKS = [
    ("staffing", _changed(v=[x for x in BASE["v"] if x[0] != "n1"]), {"staffing"}, {12}),
    ("staffing", _changed(v=[*BASE["v"], ("n1", "teaching", "v3"), ("n1", "teaching", "v5")]),
     {"staffing"}, {5}),
    # x <= met is implied by the staffing rows: breaking it breaks those too.
    ("pair needs met", _changed(met=["n1", "n3"], v=[x for x in BASE["v"] if x[0] != "n2"]
                                + [("n2", "teaching", "v2")], u=[("n1", "u1")]),
     {"pair needs met", "staffing", "no overlap"}, {4, 13}),
    # A need's pairs of one volunteer overlap one another, so the overlap rows hold them too.
    ("one role per need", _changed(v=[*BASE["v"], ("n3", "teaching", "v5"),
                                      ("n3", "first_aid", "v5")]),
     {"one role per need", "no overlap"}, {5}),
    ("no overlap", _changed(v=[*BASE["v"], ("n2", "teaching", "v2")]), {"no overlap"}, {4}),
    ("hours", _changed(v=[*BASE["v"], ("n3", "teaching", "v1")]), {"hours"}, {4}),
    ("booking", _changed(u=[("n2", "u2")]), {"booking"}, {12}),
    ("venue no overlap", _changed(u=[("n1", "u1"), ("n2", "u1")]), {"venue no overlap"}, {8}),
    ("funding", _changed(g=[("n1", "f1", 900), ("n3", "f2", 1000)]), {"funding"}, {12}),
    ("fund amount", _changed(g=[("n1", "f1", 1000), ("n3", "f1", 1000)]), {"fund amount"},
     {11}),
    ("pins", _changed(v=[("n1", "teaching", "v2"), ("n2", "teaching", "v1"),
                         ("n3", "teaching", "v5"), ("n3", "first_aid", "v4")]), {"pins"}, {14}),
]


@pytest.fixture(scope="module")
def case() -> Case:
    return Case(DOC)


def test_the_base_solution_is_valid_everywhere(case: Case) -> None:
    sol = case.solution(**BASE)
    assert formulate(case.sp).broken(sol) == {}
    assert cpsat_accepts(case.sp, sol)
    assert highs_accepts(case.sp, sol)
    assert validate(case.problem, case.plan(sol)) == []


def test_every_block_has_a_case_that_breaks_it(case: Case) -> None:
    names = {b.name for b in formulate(case.sp).blocks}
    assert names == {name for name, *_ in BREAKS}


@pytest.mark.parametrize("name, parts, blocks, rules", BREAKS,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BREAKS)])
def test_a_broken_solution_breaks_its_block(case: Case, name: str, parts: dict,
                                            blocks: set[str], rules: set[int]) -> None:
    sol = case.solution(**parts)
    form = formulate(case.sp)
    assert set(form.broken(sol)) == blocks
    assert not cpsat_accepts(case.sp, sol)
    assert not highs_accepts(case.sp, sol)
    if not form.block(name).implied:
        # The LP bound's matrices (no implied rows) reject it too.
        assert not highs_accepts(case.sp, sol, link_pairs=False)
    found = {v.rule for v in validate(case.problem, case.plan(sol)) if v.rule}
    assert found == rules
    block_rules = {int(r) for b in blocks for r in form.block(b).rules.split(", ")}
    assert found <= block_rules


# --- 2. the backends agree ---------------------------------------------------------------------

def _rows_by_sense(sp: SubProblem, link_pairs: bool) -> tuple[int, int]:
    """Rows the blocks hold as inequalities and as equalities."""
    ub = eq = 0
    for b in formulate(sp, implied=link_pairs).blocks:
        same = b.lo == b.hi
        eq += int(same.sum())
        ub += int((~same).sum())
    return ub, eq


def _row_set(a: Any, b: Any) -> Counter:
    out: Counter = Counter()
    if a is None:
        return out
    a = a.tocsr()
    for r in range(a.shape[0]):
        s, e = a.indptr[r], a.indptr[r + 1]
        cols = a.indices[s:e].tolist()
        vals = a.data[s:e].tolist()
        out[(tuple(sorted(zip(cols, vals, strict=True))), float(b[r]) + 0.0)] += 1
    return out


def _block_rows(sp: SubProblem, link: bool) -> tuple[Counter, Counter]:
    """The blocks' rows written as HiGHS gets them: `a x <= hi`, `-a x <= -lo`, `a x == b`."""
    ub: Counter = Counter()
    eq: Counter = Counter()
    for blk in formulate(sp, implied=link).blocks:
        same = blk.lo == blk.hi
        up = np.isfinite(blk.hi) & ~same
        low = np.isfinite(blk.lo) & ~same
        ub += _row_set(blk.a[up], blk.hi[up])
        ub += _row_set(-blk.a[low], -blk.lo[low])
        eq += _row_set(blk.a[same], blk.lo[same])
    return ub, eq


def _check_same_rows(sp: SubProblem) -> None:
    form = formulate(sp)
    mm = MatchModel(sp)
    assert mm.rendered == {b.name: b.rows for b in form.blocks if not b.implied}
    for link in (False, True):
        mx = lp.matrices(sp, link_pairs=link)
        ub, eq = _rows_by_sense(sp, link)
        assert (0 if mx.a_ub is None else mx.a_ub.shape[0]) == ub
        assert (0 if mx.a_eq is None else mx.a_eq.shape[0]) == eq
        want_ub, want_eq = _block_rows(sp, link)
        assert _row_set(mx.a_ub, mx.b_ub) == want_ub
        assert _row_set(mx.a_eq, mx.b_eq) == want_eq
    for name in ("coverage", "fill", "travel"):
        c = objective(sp, form.cols, name)
        x = form.cols.vector(greedy(sp))
        assert int(c @ x) == sp.stage_value(name, greedy(sp))


def _nearby(sp: SubProblem, sol: Solution, rng: random.Random) -> Solution:
    """`sol` with one decision changed, or one need dropped with all it was given (often
    still valid: the points on both sides of the rules)."""
    out = Solution(sol.met.copy(), sol.v.copy(), sol.u.copy(), sol.g.copy())
    kinds = [k for k, arr in (("met", out.met), ("v", out.v), ("u", out.u), ("g", out.g))
             if len(arr)]
    kind = rng.choice([*kinds, "drop"])
    if kind == "drop":
        i = rng.randrange(len(out.met))
        out.met[i] = False
        out.v[sp.v_need == i] = False
        out.u[sp.u_need == i] = False
        out.g[sp.f_need == i] = 0
    elif kind == "g":
        k = rng.randrange(len(out.g))
        out.g[k] = rng.randint(0, int(sp.f_cap[k]))
    else:
        arr = getattr(out, kind)
        k = rng.randrange(len(arr))
        arr[k] = not arr[k]
    return out


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems(Sizes(volunteers=6, venues=3, funds=3, needs=7, pins=2, forbids=2,
                      fairness=False)), st.randoms(use_true_random=False))
def test_backends_accept_the_same_plans(doc: dict, rng: random.Random) -> None:
    problem = parse_problem(doc)
    cand = generate(problem)
    possible = cand.possible()
    keep = np.flatnonzero(possible)
    if not len(keep):
        return
    comps = core._components(core._restrict(cand, possible), keep, group_all=True)
    pins = core._map_pins(problem, cand, possible)
    sp = core._subproblem(cand, comps[0], pins, SolveParams(), None)[0]
    sp = replace(sp)
    _check_same_rows(sp)
    form = formulate(sp)
    found: list[Solution] = []
    mm = MatchModel(sp)
    res, sol = solve_stage(mm, "coverage", mm.coverage(), True, 10.0, StageSettings())
    if sol is not None:
        found.append(sol)
    mo = solve_mip(sp, 10.0)
    if mo.solution is not None:
        found.append(mo.solution)
    assert (sol is None) == (res.status == "infeasible")
    for s in found:
        assert form.broken(s) == {}
        assert cpsat_accepts(sp, s)
        assert highs_accepts(sp, s)
    for s in [*found, greedy(sp)]:
        for _ in range(4):
            p = _nearby(sp, s, rng)
            ok = form.broken(p) == {}
            assert cpsat_accepts(sp, p) == ok
            assert highs_accepts(sp, p) == ok


def test_conformance_models_have_the_same_rows() -> None:
    from pathlib import Path

    conf = Path(__file__).parent / "data" / "conformance"
    for path in sorted(conf.glob("*.problem.json")):
        case = Case(__import__("json").loads(path.read_text()))
        _check_same_rows(case.sp)


# --- 3. interval cliques -----------------------------------------------------------------------

def _sweep(starts: list[int], ends: list[int]) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping half-open intervals, by a plain sweep line."""
    events = sorted([(e, 0, i) for i, e in enumerate(ends)]
                    + [(s, 1, i) for i, s in enumerate(starts)])
    active: set[int] = set()
    added = False
    out: list[list[int]] = []
    for _, kind, i in events:
        if kind == 1:
            active.add(i)
            added = True
        else:
            if added and len(active) > 1:
                out.append(sorted(active))
            added = False
            active.discard(i)
    return out


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 12), st.integers(1, 6)),
                max_size=25))
def test_interval_cliques_equal_a_sweep_line(items: list[tuple[int, int, int]]) -> None:
    key = np.array([k for k, _, _ in items], dtype=np.int64)
    start = np.array([s for _, s, _ in items], dtype=np.int64)
    end = start + np.array([d for _, _, d in items], dtype=np.int64)
    rows, members = interval_cliques(key, start, end)
    got: list[list[int]] = [[] for _ in range(int(rows.max()) + 1 if len(rows) else 0)]
    for r, m in zip(rows.tolist(), members.tolist(), strict=True):
        got[r].append(m)
    want: list[list[int]] = []
    for k in sorted(set(key.tolist())):
        idx = np.flatnonzero(key == k)
        want += [[int(idx[c]) for c in clique]
                 for clique in _sweep(start[idx].tolist(), end[idx].tolist())]
    assert got == want
