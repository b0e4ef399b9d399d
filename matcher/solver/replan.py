"""Replanning: the plan of a changed problem that changes the reference plan as little as
possible (SPEC, "Replanning").

Stages: fairness (when set), coverage, **changes**, fill, travel. The search starts from the
reference plan *repaired* for the problem as it is now (items that no longer fit dropped,
whole needs dropped where what is left would not meet them, clashes resolved by dropping the
lighter need) and looks only around what the change touched: a neighbourhood of needs is
solved exactly by CP-SAT, stage by stage, with everything outside it held fixed (busy
volunteers and venues, hours and fund amounts already spent). The neighbourhood starts with
the touched needs and grows ring by ring (needs holding resources the neighbourhood could
use) while needs it had are still lost and time is left, so the work grows with the size of
the change, not of the problem.
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.derived import fairness_group
from matcher.model import Plan, PlanObjective, Problem
from matcher.solver import explain
from matcher.solver.candidates import Candidates, Compiled, generate
from matcher.solver.cpsat import Solution, StageSettings
from matcher.solver.params import Progress, ProgressCallback, SolveParams, SolveResult, StopFlag
from matcher.solver.replan_ref import Reference, Spans, map_reference, repair
from matcher.solver.replan_search import Fair, Search

I64 = NDArray[np.int64]
MAX_RINGS = 4  # rings of neighbours around the touched needs
RING_SHARE = 0.1  # of the time limit for the first rings (doubling from the third)
RING_PAIRS = 12_000  # pairs in one neighbourhood model: solved in well under a second


# --- what the change touched -----------------------------------------------------------------


def _dump(item: Any) -> Any:
    return item.model_dump(mode="json", exclude_none=True)


def touched(problem: Problem, ref_problem: Problem | None, changed: frozenset[str] | None,
            ref_plan: Plan, ref: Reference, sol: Solution, dropped: set[int],
            cand: Candidates, pin_unheld: set[int]) -> tuple[set[int], set[int]]:
    """(needs the change touched, unmet needs that resources it added or freed could serve).

    Needs: dropped by the repair, that lost a reference item, added or changed, named by a
    pin or forbid that is new or gone, or pinned and not held by the repaired plan.
    """
    c = cand.compiled
    need_set = set(dropped) | set(ref.lost_needs) | set(pin_unheld)
    need_set |= {int(i) for i in np.flatnonzero(~ref.common)}
    gain: set[int] = set()
    if ref_problem is None:
        return need_set, gain
    old_needs = {n.id: n for n in ref_problem.needs}
    need_set |= {c.need_index[x] for x in _fresh(problem.needs, ref_problem.needs, changed)}
    old_rules = {("pin", str(_dump(p))): p.need for p in ref_problem.pins}
    old_rules |= {("forbid", str(_dump(f))): f.need for f in ref_problem.forbid}
    new_rules = {("pin", str(_dump(p))): p.need for p in problem.pins}
    new_rules |= {("forbid", str(_dump(f))): f.need for f in problem.forbid}
    for key in set(old_rules) ^ set(new_rules):
        hit_need = c.need_index.get((old_rules | new_rules)[key])
        if hit_need is not None:
            need_set.add(hit_need)
    # Resources new or changed, or freed by a cancelled need: unmet needs they could serve.
    fresh_v = _fresh(problem.volunteers, ref_problem.volunteers, changed)
    fresh_u = _fresh(problem.venues, ref_problem.venues, changed)
    fresh_f = _fresh(problem.funds, ref_problem.funds, changed)
    new_ids = {n.id for n in problem.needs}
    gone = old_needs.keys() - new_ids
    fresh_v |= {a.volunteer for a in ref_plan.assignments if a.need in gone}
    fresh_u |= {b.venue for b in ref_plan.bookings if b.need in gone}
    fresh_f |= {g.fund for g in ref_plan.grants if g.need in gone}
    hit = np.zeros(len(problem.needs), dtype=bool)
    for ids, index, owner, need in (
            (fresh_v, c.vol_index, cand.v_vol, cand.v_need),
            (fresh_u, c.venue_index, cand.u_venue, cand.u_need),
            (fresh_f, c.fund_index, cand.f_fund, cand.f_need)):
        pos = [index[x] for x in ids if x in index]
        if pos:
            hit[need[np.isin(owner, np.array(pos, dtype=np.int64))]] = True
    gain = {int(i) for i in np.flatnonzero(hit & ~sol.met)}
    return need_set, gain



def _fresh(items: list[Any], old: list[Any], changed: frozenset[str] | None) -> set[str]:
    """Ids of entities added or changed: those `changed` names, else found by comparing
    (pydantic models compare field by field, which costs on big problems)."""
    before = {x.id: x for x in old}
    if changed is not None:
        return {x.id for x in items if x.id not in before or x.id in changed}
    return {x.id for x in items if before.get(x.id) != x}



# --- the whole replan ------------------------------------------------------------------------


def changes_between(ref: Reference, sol: Solution) -> int:
    """SPEC's `changes`: items in exactly one plan, over needs in both problems (a grant whose
    amount differs counts once), including reference items that no longer fit."""
    cand_v = ref.common_v
    cand_u = ref.common_u
    cand_f = ref.common_f
    return ref.lost + int(((ref.v != sol.v) & cand_v).sum() + ((ref.u != sol.u) & cand_u).sum()
                          + ((ref.g != sol.g) & cand_f).sum())


def replan(problem: Problem, params: SolveParams, progress: ProgressCallback | None = None,
           stop: StopFlag | None = None) -> SolveResult:
    """The replan of `problem` against `params.reference` (see the module docstring)."""
    from matcher.solver import core
    from matcher.validate import validate

    assert params.reference is not None
    t0 = time.monotonic()
    # Keep back time for the plan, its reasons and its validation (about 1 s per 2,500 needs).
    deadline = t0 + params.time_limit - min(0.4 * params.time_limit,
                                             0.05 + len(problem.needs) / 2_500)
    compiled = Compiled.build(problem)
    cand = generate(problem, compiled)
    possible = cand.possible()
    pins = core._map_pins(problem, cand, possible)
    history: list[Progress] = []

    def report(stage: str, sol: Solution, bound: float) -> None:
        p = Progress(time.monotonic() - t0, stage, int(compiled.weight[sol.met].sum()), bound)
        history.append(p)
        if progress is not None:
            progress(p)

    if pins.broken:
        plan = explain.infeasible_plan(problem, cand, list(pins.broken))
        return _finish(plan, t0, [], history, None)
    spans = Spans.of(cand)
    ref = map_reference(problem, cand, params.reference, params.reference_problem)
    start, dropped = repair(problem, cand, ref, possible, spans)
    unheld = _unheld_pins(pins, start, cand)
    touched_needs, gain = touched(problem, params.reference_problem, params.changed,
                                  params.reference, ref, start, dropped, cand, unheld)
    touched_needs = {i for i in touched_needs if possible[i]} | {
        i for i in unheld}
    gain = {i for i in gain if possible[i]}
    fair = _fair(problem, compiled)
    bound = _coverage_bound(problem, params, compiled, possible)
    report("repair", start, bound)
    settings = StageSettings(seed=params.seed, workers=params.workers, log=params.log_search)
    search = Search(problem, cand, spans, ref, start, pins, fair, settings, stop)
    targets = np.array(sorted(touched_needs | gain), dtype=np.int64)
    rings = 0
    largest = 0
    if len(targets):
        # Ring 0 is the touched needs alone (free resources only), then each ring adds the
        # needs holding resources the neighbourhood could use.
        hood = targets
        while True:
            # Wider rings rarely win back a need and cost the most to prove: each gets a
            # share of the time limit that doubles per ring, never all of it at once.
            cap = RING_SHARE * params.time_limit * 2 ** max(0, rings - 1)
            search.solve(hood, min(deadline, time.monotonic() + cap))
            report("changes", search.cur, bound)
            rings += 1
            largest = max(largest, len(hood))
            lost = [i for i in touched_needs if not search.cur.met[i]
                    and (ref.was_met[i] or not ref.common[i])]
            if not lost or rings >= MAX_RINGS or time.monotonic() >= deadline:
                break
            if stop is not None and stop.is_set():
                break
            wider = search.ring(hood, RING_PAIRS * (rings + 1))
            if len(wider) == len(hood):
                break
            hood = wider
    sol = search.cur
    # Fairness is proven only when the neighbourhood was the whole problem.
    fair_bound = None if fair is None or search.proven_all else Fraction(1)
    plan = core._plan(problem, cand, sol.met, sol.v, sol.u, sol.g, search.proven_all,
                      bound, None, fair_bound, possible)
    n_changes = changes_between(ref, sol)
    plan = _with_changes(plan, n_changes)
    broken = [v for v in validate(problem, plan) if v.rule > 0]
    if broken:  # never return a plan that was not checked: fall back to the repaired start
        plan = core._plan(problem, cand, start.met, start.v, start.u, start.g, False, bound,
                          None, fair_bound, possible)
        plan = _with_changes(plan, changes_between(ref, start))
        broken = [v for v in validate(problem, plan) if v.rule > 0]
        if broken:
            # The repaired start cannot hold a new pin that moves resources (a recommended
            # option pinned, say) and the neighbourhood search found no plan that does: a
            # whole solve, whose pins-first stage finds one whenever the pins can hold.
            return _whole_solve(problem, params, t0, history, progress, stop,
                                reason=str(broken[0]))
    stages = _stage_stats(plan, search.proven_all)
    extra = {"touched_needs": len(touched_needs), "gain_needs": len(gain), "rings": rings,
             "neighbourhood_needs": largest, "solves": search.solves, "log": search.log}
    return _finish(plan, t0, stages, history, extra)


def _unheld_pins(pins: Any, sol: Solution, cand: Candidates) -> set[int]:
    """Needs whose pins the repaired plan does not hold."""
    out: set[int] = set()
    for ks in pins.v:
        if sum(bool(sol.v[k]) for k in ks) != 1:
            out.add(int(cand.v_need[ks[0]]))
    for k in pins.u:
        if not sol.u[k]:
            out.add(int(cand.u_need[k]))
    for k, amount in pins.f:
        if int(sol.g[k]) != amount:
            out.add(int(cand.f_need[k]))
    return out


def _fair(problem: Problem, c: Compiled) -> Fair | None:
    fair = problem.objective.fairness
    if fair is None:
        return None
    names: dict[str, int] = {}
    gid = np.array([names.setdefault(fairness_group(n.region, fair.region_depth), len(names))
                    for n in problem.needs], dtype=np.int64)
    return Fair(gid, {g: int(c.weight[gid == g].sum()) for g in range(len(names))})


def _coverage_bound(problem: Problem, params: SolveParams, c: Compiled,
                    possible: NDArray[np.bool_]) -> float:
    """An upper bound on coverage: the needs that could each be met; when the change only
    took resources away (none added or changed, no pin or forbid lifted), the reference's
    proven bound plus the weight of needs added or changed."""
    trivial = float(c.weight[possible].sum())
    ref, old = params.reference, params.reference_problem
    if ref is None or old is None or ref.bound.coverage is None or ref.status == "infeasible":
        return trivial
    for new_items, old_items in ((problem.volunteers, old.volunteers),
                                 (problem.venues, old.venues), (problem.funds, old.funds)):
        if _fresh(new_items, old_items, params.changed):
            return trivial
    new_rules = {str(_dump(p)) for p in problem.pins} | {str(_dump(f)) for f in problem.forbid}
    old_rules = {str(_dump(p)) for p in old.pins} | {str(_dump(f)) for f in old.forbid}
    if old_rules - new_rules or problem.objective != old.objective:
        return trivial
    fresh = sum(int(c.weight[c.need_index[x]]) for x in _fresh(problem.needs, old.needs,
                                                                params.changed)
                if possible[c.need_index[x]])
    return min(trivial, float(ref.bound.coverage) + fresh)


def _with_changes(plan: Plan, n_changes: int) -> Plan:
    objective = PlanObjective(**{**plan.objective.model_dump(), "changes": n_changes})
    return plan.model_copy(update={"objective": objective})


def _stage_stats(plan: Plan, proven: bool) -> list[dict[str, Any]]:
    """Each stage's value as the plan gives it (so `stats` agree with `objective`)."""
    o = plan.objective
    status = "optimal" if proven else "feasible"
    values: list[tuple[str, Any, Any]] = []
    if o.fairness is not None:
        values.append(("fairness", o.fairness, plan.bound.fairness))
    values.append(("coverage", o.coverage, plan.bound.coverage))
    values.append(("changes", getattr(o, "changes", 0), None))
    values.append(("fill", o.fill, None))
    values.append(("travel", o.travel_m, None))
    return [{"name": n, "status": status, "value": v,
             "bound": b if b is not None or not proven else v} for n, v, b in values]


def _whole_solve(problem: Problem, params: SolveParams, t0: float, history: list[Progress],
                 progress: ProgressCallback | None, stop: StopFlag | None,
                 reason: str) -> SolveResult:
    """The last resort of a replan: the problem solved as a new one in the time left, its
    `changes` counted against the reference as SPEC says (the diff's `total`)."""
    from matcher.replan import diff_plans
    from matcher.solver import core

    left = max(1.0, params.time_limit - (time.monotonic() - t0))
    whole = core.solve(problem, replace(params, reference=None, time_limit=left),
                       progress, stop)
    assert params.reference is not None
    total = diff_plans(params.reference, whole.plan, params.reference_problem or problem,
                       problem)["total"]
    plan = _with_changes(whole.plan, total)
    stages = _stage_stats(plan, plan.status == "optimal")
    return _finish(plan, t0, stages, history + list(whole.history),
                   {"fallback": "whole solve: the neighbourhood search held no valid plan "
                                f"({reason})"})


def _finish(plan: Plan, t0: float, stages: list[dict[str, Any]], history: list[Progress],
            extra: dict[str, Any] | None) -> SolveResult:
    seconds = time.monotonic() - t0
    stats: dict[str, Any] = {"seconds": round(seconds, 3), "stages": stages}
    if extra:
        stats["replan"] = extra
    return SolveResult(plan=plan.model_copy(update={"stats": stats}), history=history,
                       seconds=seconds,
                       first_solution_seconds=history[0].elapsed if history else None)
