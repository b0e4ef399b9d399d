"""`solve`: candidates, decomposition, lexicographic CP-SAT stages, and the plan.

The steps:
1. candidates (`candidates.generate`) and the needs that could each be met on their own;
2. pins checked against the candidates (a pin outside them cannot hold);
3. exact decomposition: needs that share no candidate resource are independent, so the
   connected components of the candidate graph are solved apart (not when fairness couples
   them); small components are batched into one model;
4. per subproblem: a greedy warm start, then the stages (fairness, coverage, fill,
   [stability], travel), each stage's value held by the next, one deadline for all;
5. the plan, with a reason for every unmet need (`explain`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.derived import fairness_group
from matcher.model import (
    Plan,
    PlanAssignment,
    PlanBooking,
    PlanBound,
    PlanGrant,
    PlanObjective,
    Problem,
    Unmet,
)
from matcher.solver import explain
from matcher.solver.candidates import Candidates, Compiled, generate
from matcher.solver.cpsat import (
    Solution,
    StageResult,
    StageSettings,
    SubProblem,
    pin_core,
)
from matcher.solver.lns import pack, pairs_per_need
from matcher.solver.params import Progress, ProgressCallback, SolveParams, SolveResult, StopFlag
from matcher.solver.split import split_huge
from matcher.solver.stages import SubOutcome, pinned_part, solve_subproblem

I64 = NDArray[np.int64]
BATCH_SIZE = 20_000  # small components are merged into models of about this many variables
PARALLEL_MIN_SIZE = 5_000  # subproblems worth a worker process of their own
# Raise on a plan that breaks a rule instead of falling back (the test suite sets it, see
# tests/conftest.py; `SolveParams.strict` does the same per call).
STRICT = False


@dataclass
class PinMap:
    """Pins as candidate pair indices; `broken` lists pins outside the candidates.

    A volunteer pin is the tuple of all the volunteer's pairs with the need (one per role
    the volunteer could fill): the pin holds when exactly one of them is chosen.
    """

    v: list[tuple[int, ...]]
    u: list[int]
    f: list[tuple[int, int]]
    broken: list[tuple[int, str]]  # (pin position in problem.pins, why)
    # each mapped pin's position in problem.pins, parallel to v, u and f
    v_id: list[int] = field(default_factory=list)
    u_id: list[int] = field(default_factory=list)
    f_id: list[int] = field(default_factory=list)


def _map_pins(problem: Problem, cand: Candidates, possible: NDArray[np.bool_]) -> PinMap:
    c = cand.compiled
    pm = PinMap([], [], [], [])
    v_key: dict[tuple[int, int], tuple[int, ...]] = {}
    for kv, (v, n) in enumerate(zip(cand.v_vol, cand.v_need)):
        v_key[(int(v), int(n))] = v_key.get((int(v), int(n)), ()) + (kv,)
    u_key = {(int(u), int(n)): k for k, (u, n) in enumerate(zip(cand.u_venue, cand.u_need))}
    f_key = {(int(f), int(n)): k for k, (f, n) in enumerate(zip(cand.f_fund, cand.f_need))}
    for p, pin in enumerate(problem.pins):
        n = c.need_index[pin.need]
        if pin.volunteer is not None:
            ks = v_key.get((c.vol_index[pin.volunteer], n))
            if ks is None:
                pm.broken.append((p, explain.why_not_volunteer(problem, cand, pin.volunteer, n)))
                continue
            pm.v.append(ks)
            pm.v_id.append(p)
        elif pin.venue is not None:
            k = u_key.get((c.venue_index[pin.venue], n))
            if k is None:
                pm.broken.append((p, explain.why_not_venue(problem, cand, pin.venue, n)))
                continue
            pm.u.append(k)
            pm.u_id.append(p)
        elif pin.fund is not None and pin.amount is not None:
            k = f_key.get((c.fund_index[pin.fund], n))
            if k is None:
                pm.broken.append((p, explain.why_not_fund(problem, cand, pin.fund, n)))
                continue
            if pin.amount > int(cand.f_cap[k]):
                pm.broken.append((p, f"fund {pin.fund} can give need {pin.need} at most "
                                     f"{int(cand.f_cap[k])}, not the pinned {pin.amount}"))
                continue
            pm.f.append((k, pin.amount))
            pm.f_id.append(p)
        if not possible[n]:
            pm.broken.append((p, f"pinned need {pin.need} cannot be met: "
                                 + "; ".join(explain.structural_reasons(problem, cand, n))))
    return pm


def _components(cand: Candidates, needs: I64, group_all: bool) -> list[I64]:
    """Independent groups of needs: connected components of the need-resource graph."""
    n_needs = len(cand.compiled.problem.needs)
    if len(needs) == 0:
        return []
    if group_all:
        return [needs]
    n_v = len(cand.compiled.problem.volunteers)
    n_u = len(cand.compiled.problem.venues)
    offset_v, offset_u, offset_f = n_needs, n_needs + n_v, n_needs + n_v + n_u
    total = offset_f + len(cand.compiled.problem.funds)
    rows = np.concatenate([cand.v_need, cand.u_need, cand.f_need])
    cols = np.concatenate([cand.v_vol + offset_v, cand.u_venue + offset_u, cand.f_fund + offset_f])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(total, total))
    _, labels = connected_components(graph, directed=False)
    lab = labels[needs]
    order = np.argsort(lab, kind="stable")
    splits = np.flatnonzero(np.diff(lab[order])) + 1
    return [np.sort(needs[idx]) for idx in np.split(order, splits)]


def _subproblem(
    cand: Candidates, needs: I64, pins: PinMap, params: SolveParams,
    groups: tuple[I64, dict[int, int]] | None,
) -> tuple[SubProblem, I64, I64, I64]:
    """The subproblem over `needs`, and the global pair indices it uses."""
    problem = cand.compiled.problem
    c = cand.compiled
    local = np.full(len(problem.needs), -1, dtype=np.int64)
    local[needs] = np.arange(len(needs))
    vk = np.flatnonzero(local[cand.v_need] >= 0)
    uk = np.flatnonzero(local[cand.u_need] >= 0)
    fk = np.flatnonzero(local[cand.f_need] >= 0)
    vpos = {int(k): i for i, k in enumerate(vk)}
    upos = {int(k): i for i, k in enumerate(uk)}
    fpos = {int(k): i for i, k in enumerate(fk)}
    vols = set(cand.v_vol[vk].tolist())
    funds = set(cand.f_fund[fk].tolist())
    sp = SubProblem(
        needs=needs,
        weight=c.weight[needs],
        start=c.need_start[needs],
        end=c.need_end[needs],
        role_min=[[r.minimum for r in problem.needs[int(i)].roles] for i in needs],
        role_count=[[r.count for r in problem.needs[int(i)].roles] for i in needs],
        asks_venue=np.array([problem.needs[int(i)].venue is not None for i in needs], dtype=bool),
        funding=np.array([problem.needs[int(i)].funding for i in needs], dtype=np.int64),
        v_vol=cand.v_vol[vk], v_need=local[cand.v_need[vk]], v_role=cand.v_role[vk],
        v_dist=cand.v_dist[vk],
        vol_max_s={v: int(c.vol_max_s[v]) for v in sorted(vols) if c.vol_max_s[v] >= 0},
        u_venue=cand.u_venue[uk], u_need=local[cand.u_need[uk]], u_dist=cand.u_dist[uk],
        f_fund=cand.f_fund[fk], f_need=local[cand.f_need[fk]], f_cap=cand.f_cap[fk],
        fund_amount={f: int(c.fund_amount[f]) for f in sorted(funds)},
        pin_v=[tuple(vpos[k] for k in ks) for ks in pins.v if ks[0] in vpos],
        pin_u=[upos[k] for k in pins.u if k in upos],
        pin_f=[(fpos[k], a) for k, a in pins.f if k in fpos],
    )
    if groups is not None:
        gid, totals = groups
        sp.group = gid[needs]
        sp.group_total = totals
    ref = params.reference
    if ref is not None:
        ref_v = {(c.vol_index[a.volunteer], c.need_index[a.need]) for a in ref.assignments
                 if a.volunteer in c.vol_index and a.need in c.need_index}
        ref_u = {(c.venue_index[b.venue], c.need_index[b.need]) for b in ref.bookings
                 if b.venue in c.venue_index and b.need in c.need_index}
        ref_f = {(c.fund_index[g.fund], c.need_index[g.need]) for g in ref.grants
                 if g.fund in c.fund_index and g.need in c.need_index}
        sp.ref_v = np.array([(int(v), int(n)) in ref_v
                             for v, n in zip(cand.v_vol[vk], cand.v_need[vk])], dtype=bool)
        sp.ref_u = np.array([(int(u), int(n)) in ref_u
                             for u, n in zip(cand.u_venue[uk], cand.u_need[uk])], dtype=bool)
        sp.ref_f = np.array([(int(f), int(n)) in ref_f
                             for f, n in zip(cand.f_fund[fk], cand.f_need[fk])], dtype=bool)
    return sp, vk, uk, fk


class _Tally:
    """Coverage and bound summed over subproblems, for progress reports."""

    def __init__(self, n: int, t0: float, callback: ProgressCallback | None):
        self.value = [0] * n
        self.bound = [0.0] * n
        self.t0 = t0
        self.callback = callback
        self.history: list[Progress] = []
        self.first_solution: float | None = None

    def report(self, stage: str, plan: Plan | None = None) -> None:
        now = time.monotonic() - self.t0
        if self.first_solution is None:
            self.first_solution = now
        p = Progress(now, stage, int(sum(self.value)), float(sum(self.bound)), plan)
        self.history.append(p)
        if self.callback is not None:
            self.callback(p)


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    progress: ProgressCallback | None = None,
    stop: StopFlag | None = None,
) -> SolveResult:
    """Solve a problem: the lexicographically best plan found within `params.time_limit`."""
    params = params or SolveParams()
    if params.reference is not None:
        from matcher.solver.replan import replan

        return replan(problem, params, progress, stop)
    t0 = time.monotonic()
    phases: dict[str, float] = {}
    compiled = Compiled.build(problem)
    cand = generate(problem, compiled)
    phases["candidates"] = time.monotonic() - t0
    # Keep back time for the plan and its explanations and for the final check: about 1 s per
    # 5,000 needs and 50 us per assignment the roles could take on an idle machine, and at
    # least twice what the candidates took (the same kind of Python work over the same data,
    # so it tracks a busy machine: the province's candidates 17-37 s at load 3-8, its plan
    # and check 17-50 s; Gansu's 10,000-volunteer surge 1.4 s, then 1.6 s).
    slots = sum(r.count for n in problem.needs for r in n.roles) + len(problem.needs)
    reserve = max(2.0 * phases["candidates"], len(problem.needs) / 5_000 + slots / 20_000)
    deadline = t0 + params.time_limit - min(0.3 * params.time_limit,
                                             0.05 + reserve + 0.03 * params.time_limit)
    possible = cand.possible()
    pins = _map_pins(problem, cand, possible)
    if pins.broken:
        plan = explain.infeasible_plan(problem, cand, [(p, why) for p, why in pins.broken])
        return _result(plan, t0, [], None)

    fair = problem.objective.fairness
    groups = None
    if fair is not None:
        names: dict[str, int] = {}
        gid = np.array([names.setdefault(fairness_group(n.region, fair.region_depth), len(names))
                        for n in problem.needs], dtype=np.int64)
        totals = {int(g): int(compiled.weight[gid == g].sum()) for g in range(len(names))}
        groups = (gid, totals)

    # Needs that could be met, and only their pairs.
    keep_needs = np.flatnonzero(possible)
    comps = _components(_restrict(cand, possible), keep_needs,
                        group_all=fair is not None or not params.decompose)
    batches = _batch(comps, cand)
    subs = [_subproblem(cand, b, pins, params, groups) for b in batches]
    fixed: dict[int, float] = {}  # a split component's parts: their share of its bound
    if params.split and groups is None:
        subs, fixed = split_huge([n.region for n in problem.needs], subs)
    started = _seed_start(problem, cand, possible, params.start, subs)
    tally = _Tally(len(subs), t0, progress)
    for idx, (sp, *_rest) in enumerate(subs):
        tally.bound[idx] = fixed.get(idx, float(sp.max_coverage()))

    settings = StageSettings(seed=params.seed, workers=params.workers, log=params.log_search)
    met = np.zeros(len(problem.needs), dtype=bool)
    v_on = np.zeros(len(cand.v_vol), dtype=bool)
    u_on = np.zeros(len(cand.u_venue), dtype=bool)
    g_amt = np.zeros(len(cand.f_fund), dtype=np.int64)
    stage_results: list[StageResult] = []
    fairness_value: Fraction | None = None
    fairness_bound: Fraction | None = None
    infeasible_core: list[tuple[int, str]] | None = None

    lock = threading.Lock()  # subproblems may report from several threads
    current: dict[int, Solution] = {}
    last_plan = [-1.0]

    def report(idx: int, stage: str, value: int, bound: float | None,
               sol: Solution | None) -> None:
        with lock:
            tally.value[idx] = value
            if bound is not None and not np.isnan(bound) and idx not in fixed:
                tally.bound[idx] = min(tally.bound[idx], bound)
            plan = None
            if sol is not None:
                current[idx] = sol
                # The best plan so far, at most about once a second (it is not free).
                now = time.monotonic()
                pinned_done = all(i in current for i, (s, *_r) in enumerate(subs)
                                  if s.pin_v or s.pin_u or s.pin_f)
                if pinned_done and now - last_plan[0] >= 1.0:
                    last_plan[0] = now
                    plan = _assemble(problem, cand, subs, current, possible,
                                     float(sum(tally.bound)))
            tally.report(stage, plan)

    phases["model"] = time.monotonic() - t0 - sum(phases.values())
    took: dict[int, float] = {}
    outcomes = _run_all([sp for sp, *_ in subs], params, settings, deadline, report, stop,
                        params.progress_plans, took)
    phases["search"] = time.monotonic() - t0 - sum(phases.values())
    for idx, (sp, vk, uk, fk) in enumerate(subs):
        out = outcomes[idx]
        if idx in fixed:  # a part proves nothing about its component
            stage_results.extend(replace(r, status="feasible") if r.status == "optimal"
                                 else r for r in out.results)
        else:
            stage_results.extend(out.results)
            tally.bound[idx] = min(tally.bound[idx], out.coverage_bound)
        sol = out.solution
        if sol is None:
            if any(r.status == "infeasible" for r in out.results):
                # The core over the pinned needs alone (the same pins, a far smaller model).
                local = pin_core(pinned_part(sp)[0], max(1.0, deadline - time.monotonic()),
                                 settings)
                infeasible_core = _core_to_pins(pins, vk, uk, fk, local)
                break
            continue  # nothing found in time: these needs stay unmet
        if out.fairness is not None:
            fairness_value, fairness_bound = out.fairness
        met[sp.needs] = sol.met
        v_on[vk] = sol.v
        u_on[uk] = sol.u
        g_amt[fk] = sol.g

    if infeasible_core is not None:
        core_pins = infeasible_core or [(p, "the pins cannot all hold together")
                                        for p in range(len(problem.pins))]
        plan = explain.infeasible_plan(problem, cand, core_pins)
        return _result(plan, t0, stage_results, tally)

    proven = bool(stage_results) and all(r.status == "optimal" for r in stage_results)
    proven = proven or not subs
    bound_cov = float(sum(tally.bound))
    plan = _plan(problem, cand, met, v_on, u_on, g_amt, proven, bound_cov,
                 fairness_value, fairness_bound, possible)
    phases["plan"] = time.monotonic() - t0 - sum(phases.values())
    plan, check = _checked(problem, cand, plan, subs, outcomes, possible, bound_cov,
                           params.strict or STRICT)
    phases["check"] = time.monotonic() - t0 - sum(phases.values())
    result = _result(plan, t0, stage_results, tally, phases, check)
    if started is not None:
        result.plan.stats["start"] = started
    # Each subproblem's wall time (a task's, on a cluster): what a scheduler has to place.
    result.plan.stats["subproblems"] = [
        {"needs": len(sp.needs), "pairs": sp.size - len(sp.needs),
         "seconds": round(took.get(i, 0.0), 3), "part": i in fixed}
        for i, (sp, *_r) in enumerate(subs)]
    return result


def _seed_start(problem: Problem, cand: Candidates, possible: NDArray[np.bool_],
                start: Plan | None, subs: list[tuple[SubProblem, I64, I64, I64]],
                ) -> dict[str, int] | None:
    """Each subproblem's part of the plan `start` as its starting solution
    (`SubProblem.warm_start`), made valid first by dropping what no longer fits (as a replan
    repairs its reference). Returns what was kept, for the plan's stats."""
    if start is None:
        return None
    from matcher.solver.replan_ref import Spans, map_reference, repair

    ref = map_reference(problem, cand, start, None)
    sol, dropped = repair(problem, cand, ref, possible, Spans.of(cand))
    for sp, vk, uk, fk in subs:
        sp.warm_start = Solution(sol.met[sp.needs], sol.v[vk], sol.u[uk], sol.g[fk])
    return {"coverage": int(cand.compiled.weight[sol.met].sum()), "met": int(sol.met.sum()),
            "dropped": len(dropped)}


class PlanCheckError(AssertionError):
    """The solver built a plan that breaks a rule (a bug); raised in strict mode."""


def _checked(
    problem: Problem, cand: Candidates, plan: Plan,
    subs: list[tuple[SubProblem, I64, I64, I64]], outcomes: dict[int, SubOutcome],
    possible: NDArray[np.bool_], bound_cov: float, strict: bool,
) -> tuple[Plan, dict[str, object]]:
    """The plan checked by the validator before it is returned.

    A broken rule is a solver bug: in strict mode (the test suite) it raises; otherwise the
    plan falls back to the greedy starts of the subproblems (which keep every pin), checked
    in turn, and `stats.check` says so. The bound stays the proven one; the status becomes
    `feasible` (nothing is proven about the fallback).
    """
    from matcher.validate import validate

    violations = validate(problem, plan)
    if not violations:
        return plan, {"valid": True}
    messages = [str(v) for v in violations[:10]]
    if strict:
        raise PlanCheckError("the solver built an invalid plan:\n" + "\n".join(messages))
    current = {i: out.fallback for i, out in outcomes.items() if out.fallback is not None}
    fallback = _assemble(problem, cand, subs, current, possible, bound_cov)
    if not validate(problem, fallback):
        return fallback, {"valid": False, "violations": len(violations), "first": messages,
                          "fallback": "greedy"}
    # Should even that break a rule, no plan is returned as valid that is not.
    pins = [(p, "no valid plan keeping every pin could be built (internal check failed)")
            for p in range(len(problem.pins))]
    last = (explain.infeasible_plan(problem, cand, pins) if pins else
            _assemble(problem, cand, subs, {}, possible, bound_cov))
    return last, {"valid": False, "violations": len(violations), "first": messages,
                  "fallback": "infeasible" if pins else "empty"}


def _run_all(
    subs: list[SubProblem], params: SolveParams, settings: StageSettings, deadline: float,
    report: Callable[[int, str, int, float | None, Solution | None], None],
    stop: StopFlag | None, with_solutions: bool, took: dict[int, float] | None = None,
) -> dict[int, SubOutcome]:
    """Every subproblem within the deadline: side by side on `workers` threads when there
    are several big ones, else one after the other; `took` gets each one's seconds."""
    base = params.executor or solve_subproblem
    index = {id(sp): i for i, sp in enumerate(subs)}
    seconds = took if took is not None else {}

    def run(sp: SubProblem, *args: Any) -> SubOutcome:
        t = time.monotonic()
        try:
            return base(sp, *args)
        finally:
            seconds[index[id(sp)]] = time.monotonic() - t

    big = [i for i, sp in enumerate(subs) if sp.size >= PARALLEL_MIN_SIZE]
    side_by_side = params.workers > 1 and params.parallel and len(big) > 1
    outcomes: dict[int, SubOutcome] = {}
    remaining = sum(sp.size for sp in subs) or 1
    # Small subproblems first: they finish fast and pass their time on to the big ones.
    order = sorted(range(len(subs)), key=lambda i: (subs[i].size, int(subs[i].needs[0])))
    if side_by_side:
        order = [i for i in order if i not in set(big)]
    for idx in order:
        sp = subs[idx]
        left = max(0.0, deadline - time.monotonic())
        # A share by size, but never so small that a tiny subproblem cannot finish.
        share = max(left * sp.size / remaining, min(0.25 * left, 1.0 + sp.size / 10_000))
        remaining -= sp.size
        if stop is not None and stop.is_set():
            share = 0.0

        def sub_report(stage: str, value: int, bound: float | None, sol: Solution | None,
                       idx: int = idx) -> None:
            report(idx, stage, value, bound, sol)

        outcomes[idx] = run(sp, share, settings, sub_report, stop, with_solutions)
    if side_by_side:
        from matcher.solver.parallel import run_parallel

        def big_report(k: int, stage: str, value: int, bound: float | None,
                       sol: Solution | None) -> None:
            report(big[k], stage, value, bound, sol)

        done = run_parallel([subs[i] for i in big], params.workers,
                            max(0.0, deadline - time.monotonic()), settings, big_report, stop,
                            with_solutions, run)
        outcomes.update({big[k]: out for k, out in done.items()})
    return outcomes


def _assemble(
    problem: Problem, cand: Candidates, subs: list[tuple[SubProblem, I64, I64, I64]],
    current: dict[int, Solution], possible: NDArray[np.bool_], bound: float,
) -> Plan:
    """A valid plan from the subproblems' incumbents so far (the rest left unmet)."""
    met = np.zeros(len(problem.needs), dtype=bool)
    v_on = np.zeros(len(cand.v_vol), dtype=bool)
    u_on = np.zeros(len(cand.u_venue), dtype=bool)
    g_amt = np.zeros(len(cand.f_fund), dtype=np.int64)
    for idx, sol in current.items():
        sp, vk, uk, fk = subs[idx]
        met[sp.needs] = sol.met
        v_on[vk] = sol.v
        u_on[uk] = sol.u
        g_amt[fk] = sol.g
    return _plan(problem, cand, met, v_on, u_on, g_amt, False, bound, None, None, possible)


def _restrict(cand: Candidates, possible: NDArray[np.bool_]) -> Candidates:
    """The same candidates without pairs of needs that can never be met."""
    from dataclasses import replace

    vk = possible[cand.v_need]
    uk = possible[cand.u_need]
    fk = possible[cand.f_need]
    return replace(
        cand, v_vol=cand.v_vol[vk], v_need=cand.v_need[vk], v_role=cand.v_role[vk],
        v_dist=cand.v_dist[vk], u_venue=cand.u_venue[uk], u_need=cand.u_need[uk],
        u_dist=cand.u_dist[uk], f_fund=cand.f_fund[fk], f_need=cand.f_need[fk],
        f_cap=cand.f_cap[fk],
    )


def _batch(comps: list[I64], cand: Candidates) -> list[I64]:
    """Merge small components into batches (still exact: they stay independent)."""
    n = len(cand.compiled.problem.needs)
    pairs = pairs_per_need(n, cand.v_need, cand.u_need, cand.f_need)
    sized = sorted(comps, key=lambda c: (int(pairs[c].sum()), int(c[0])))
    return pack(sized, pairs, BATCH_SIZE)


def _core_to_pins(
    pins: PinMap, vk: I64, uk: I64, fk: I64, core: list[tuple[str, int]]
) -> list[tuple[int, str]]:
    """Map an infeasible core of one subproblem (pin kinds and positions among its own
    pins, in `_subproblem`'s order) to positions in problem.pins."""
    vset, uset, fset = set(vk.tolist()), set(uk.tolist()), set(fk.tolist())
    ids = {
        "v": [p for ks, p in zip(pins.v, pins.v_id) if ks[0] in vset],
        "u": [p for k, p in zip(pins.u, pins.u_id) if k in uset],
        "f": [p for (k, _a), p in zip(pins.f, pins.f_id) if k in fset],
    }
    return [(ids[kind][pos], "these pins cannot all hold together") for kind, pos in core]


def _plan(
    problem: Problem, cand: Candidates, met: NDArray[np.bool_], v_on: NDArray[np.bool_],
    u_on: NDArray[np.bool_], g_amt: I64, proven: bool, bound_cov: float,
    fairness: Fraction | None, fairness_bound: Fraction | None, possible: NDArray[np.bool_],
) -> Plan:
    c = cand.compiled
    needs, vols = problem.needs, problem.volunteers
    assignments = [
        PlanAssignment(need=needs[int(n)].id, skill=needs[int(n)].roles[int(r)].skill,
                       volunteer=vols[int(v)].id, distance_m=int(d))
        for v, n, r, d, on in zip(cand.v_vol, cand.v_need, cand.v_role, cand.v_dist, v_on)
        if on
    ]
    bookings = [
        PlanBooking(need=needs[int(n)].id, venue=problem.venues[int(u)].id, distance_m=int(d))
        for u, n, d, on in zip(cand.u_venue, cand.u_need, cand.u_dist, u_on) if on
    ]
    grants = [
        PlanGrant(need=needs[int(n)].id, fund=problem.funds[int(f)].id, amount=int(a))
        for f, n, a in zip(cand.f_fund, cand.f_need, g_amt) if a > 0
    ]
    weights = c.weight
    coverage = int(weights[met].sum())
    staffed = np.bincount(cand.v_need[v_on], minlength=len(needs))
    mins = np.array([sum(r.minimum for r in n.roles) for n in needs], dtype=np.int64)
    fill = int((weights * (staffed - mins))[met].sum())
    travel = int(cand.v_dist[v_on].sum() + cand.u_dist[u_on].sum())
    fair = problem.objective.fairness
    fair_value = None
    fair_bound = None
    if fair is not None:
        from matcher.derived import fairness_value as fv

        exact = fv(problem, met.tolist(), fair.region_depth)
        fair_value = float(exact)
        fair_bound = float(fairness_bound) if fairness_bound is not None else fair_value
    why = explain.Explainer(problem, cand, met, v_on, u_on, g_amt, possible, proven)
    unmet = [Unmet(need=n.id, reasons=why.reasons(i)) for i, n in enumerate(needs) if not met[i]]
    bound = max(float(coverage), bound_cov if not proven else float(coverage))
    return Plan(
        problem=problem.name,
        status="optimal" if proven else "feasible",
        objective=PlanObjective(coverage=coverage, fill=fill, travel_m=travel,
                                fairness=fair_value),
        bound=PlanBound(coverage=int(bound) if float(bound).is_integer() else bound,
                        fairness=fair_bound),
        met=[n.id for i, n in enumerate(needs) if met[i]],
        assignments=assignments,
        bookings=bookings,
        grants=grants,
        unmet=unmet,
    )


def _result(
    plan: Plan, t0: float, stages: list[StageResult], tally: _Tally | None,
    phases: dict[str, float] | None = None, check: dict[str, object] | None = None,
) -> SolveResult:
    from matcher.solver.report import stage_lines, whole

    seconds = time.monotonic() - t0
    raw = [{"name": s.name, "status": s.status, "value": whole(s.value),
            "bound": whole(s.bound), "seconds": round(s.seconds, 3)} for s in stages]
    stats: dict[str, object] = {
        "seconds": round(seconds, 3),
        "phases": {k: round(v, 3) for k, v in (phases or {}).items()},
        # One line per stage that agrees with the plan (a stopped stage has no value of
        # its own); each subproblem's results beside it.
        "stages": stage_lines(plan, raw),
        "subproblem_stages": raw,
    }
    if check is not None:
        stats["check"] = check
    plan = plan.model_copy(update={"stats": stats})
    return SolveResult(
        plan=plan,
        history=tally.history if tally else [],
        seconds=seconds,
        first_solution_seconds=tally.first_solution if tally else None,
    )
