"""One subproblem solved stage by stage: a pure function of its data.

`solve_subproblem` takes a `SubProblem` (plain arrays) and a time budget and returns the
stages' results and the best solution. It does no I/O and keeps no state, so subproblems
can run in threads, in worker processes (`parallel.py`), or on any distributed engine that
can call a Python function on picklable data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.solver import repair
from matcher.solver.cpsat import (
    MatchModel,
    Solution,
    StageResult,
    StageSettings,
    SubProblem,
    solve_stage,
)
from matcher.solver.greedy import greedy, greedy_starts

# Components with more pairs than this go to the LP bound and neighbourhood search: one
# CP-SAT model of them spends a minute in presolve alone.
LARGE_PAIRS = 60_000

MIP_SHARE = 0.8  # of a subproblem's time, for HiGHS; CP-SAT finishes what it leaves
LP_BOUND_PAIRS = 5_000  # above this, an LP bound first (cheap next to the CP-SAT search)
# Of the time left after HiGHS, the share kept for the neighbourhood search when the exact
# stages do not finish (they stop early; what they leave unused goes to the search too).
SEARCH_SHARE = 0.4
SEARCH_SHARE_SETTLED = 0.75  # the same for CP-SAT's travel stage once coverage is proven
LP_BUILD_S_PER_PAIR = 3e-5  # building the LP matrices, measured on a busy 2-core machine
REPAIR_SHARE = 0.05  # of a subproblem's time, at most, for ejection chains on the greedy start
# Fairness on a large component: the search's share before the coverage MIP under floors,
# the MIP's share of what is left then (the rest: the search again, for fill and travel
# from the MIP's plan, which has neither), and how many coverage LPs' time the MIP must fit.
FAIR_SEARCH_SHARE = 0.3
FAIR_MIP_SHARE = 0.5
MIP_LP_FACTOR = 8.0

I64 = NDArray[np.int64]

# (stage, coverage, bound, incumbent or None); the incumbent only when asked for.
Report = Callable[[str, int, float | None, Solution | None], None]


@dataclass
class SubOutcome:
    results: list[StageResult]
    solution: Solution | None
    fairness: tuple[Fraction, Fraction] | None  # (value, bound)
    coverage_bound: float
    # The greedy start (keeping every pin): the fallback should the final check fail.
    fallback: Solution | None = None


def keeps_pins(sp: SubProblem, sol: Solution) -> bool:
    return (all(sum(bool(sol.v[k]) for k in ks) == 1 for ks in sp.pin_v)
            and all(sol.u[k] for k in sp.pin_u)
            and all(sol.g[k] == a for k, a in sp.pin_f))


def is_large(sp: SubProblem) -> bool:
    return len(sp.v_vol) + len(sp.u_venue) + len(sp.f_fund) > LARGE_PAIRS and sp.ref_v is None


def pinned_needs(sp: SubProblem) -> I64:
    """Local indices of the needs a pin names (rule 14: each must be met)."""
    pinned = {int(sp.v_need[ks[0]]) for ks in sp.pin_v} | {int(sp.u_need[k]) for k in sp.pin_u}
    pinned |= {int(sp.f_need[k]) for k, _ in sp.pin_f}
    return np.array(sorted(pinned), dtype=np.int64)


def empty_solution(sp: SubProblem) -> Solution:
    return Solution(np.zeros(len(sp.needs), dtype=bool), np.zeros(len(sp.v_vol), dtype=bool),
                    np.zeros(len(sp.u_venue), dtype=bool), np.zeros(len(sp.f_fund), dtype=np.int64))


def pinned_part(sp: SubProblem) -> tuple[SubProblem, I64, I64, I64]:
    """The subproblem over the pinned needs alone, with every pin (in the same order)."""
    from matcher.solver.lns import restrict

    return restrict(sp, pinned_needs(sp), empty_solution(sp), relax=False)


def pins_first(
    sp: SubProblem, seconds: float, settings: StageSettings, stop: Any = None
) -> tuple[str, Solution | None, float]:
    """A solution meeting the pinned needs alone, with every pin: an exact model over the
    pinned needs only (small next to the whole), so it is found in the first seconds at any
    size. Returns (status, solution over `sp` or None, seconds): "infeasible" is proven
    (no plan keeps every pin, since the other needs could all stay unmet)."""
    t0 = time.monotonic()
    sub, vk, uk, fk = pinned_part(sp)
    mm = MatchModel(sub)
    for lit in mm.met:
        mm.model.add(lit == 1)
    mm.set_hint(greedy(sub))
    res, sol = solve_stage(mm, "pins", mm.travel(), False, seconds, settings, None, stop,
                           first_solution=True)
    if sol is None:
        return res.status, None, time.monotonic() - t0
    out = empty_solution(sp)
    out.met[pinned_needs(sp)] = sol.met
    out.v[vk] = sol.v
    out.u[uk] = sol.u
    out.g[fk] = sol.g
    return "feasible", out, time.monotonic() - t0


def solve_subproblem(
    sp: SubProblem,
    seconds: float,
    settings: StageSettings,
    report: Report | None = None,
    stop: Any = None,
    with_solutions: bool = False,
) -> SubOutcome:
    """The lexicographic stages on one subproblem within `seconds`.

    `report` hears of every improvement; with `with_solutions` it gets the incumbent too.
    The solution returned is never lexicographically worse (`SubProblem.rank`) than any
    valid solution held on the way, the greedy start included.
    """
    end = time.monotonic() + seconds

    def tell(stage: str, value: int, bound: float | None, sol: Solution | None = None) -> None:
        if report is not None:
            report(stage, value, bound, sol if with_solutions else None)

    starts = greedy_starts(sp)
    warm = starts[0]
    pre: list[StageResult] = []
    if not keeps_pins(sp, warm):
        # The greedy could not keep every pin: the pinned needs alone, exactly, first.
        status, pinned, took = pins_first(sp, max(0.0, end - time.monotonic()), settings, stop)
        pre.append(StageResult("pins", status if pinned is None else "feasible",
                               None, None, took))
        if pinned is None:
            return SubOutcome(pre, None, None, float(sp.max_coverage()))
        starts = greedy_starts(sp, fixed=pinned)
        warm = starts[0]
        if not keeps_pins(sp, warm):  # cannot happen: the greedy keeps what is fixed
            warm = pinned
    if keeps_pins(sp, warm):
        # Unmet needs staffed by moving volunteers along chains (a small share of the time;
        # chains never move a pin, and the check keeps even a bug from costing a pin).
        repaired = repair.warm_start(sp, starts, min(end, time.monotonic()
                                                     + REPAIR_SHARE * seconds))
        if keeps_pins(sp, repaired) and sp.rank(repaired) > sp.rank(warm):
            warm = repaired
    if sp.warm_start is not None and keeps_pins(sp, sp.warm_start):
        # A resumed solve: its earlier best solution, with what the greedy can add around it.
        topped = greedy(sp, fixed=sp.warm_start)
        start = topped if keeps_pins(sp, topped) else sp.warm_start
        if sp.rank(start) > sp.rank(warm):
            warm = start
    best: Solution = warm
    tell("greedy", sp.stage_value("coverage", best), None, best)
    if _at_trivial_bounds(sp, best, float(sp.max_coverage())):
        # Every need met, nothing to fill, no travel (PTSP): proven before any model.
        return SubOutcome(_trivial_results(sp, best), best, None, float(sp.max_coverage()),
                          fallback=warm)
    if is_large(sp) and sp.group is not None:
        out = _large_fair(sp, warm, end, settings, tell, stop)
        out.results[:0] = pre
    elif is_large(sp):
        from matcher.solver import lns

        results, sol, bound = lns.solve_large(
            sp, best, max(0.0, end - time.monotonic()), settings,
            lambda value, b, sol: tell("coverage", value, b, sol), stop)
        out = _search(sp, sol, pre + results, None, bound, end, settings, tell, stop)
    else:
        out = _exact(sp, warm, end, settings, tell, stop, with_solutions)
        out.results[:0] = pre
    out.fallback = warm
    if out.solution is not None and not all(r.status == "optimal" for r in out.results):
        # A last pass: any need whose resources the solution leaves free is added (so an
        # unmet need's reason is never just that nothing was tried).
        # Shorter trips too where a nearer volunteer is free (a pass over the assignments).
        topped = repair.polish(sp, out.solution, time.monotonic() + REPAIR_SHARE * seconds)
        if keeps_pins(sp, topped) and sp.rank(topped) > sp.rank(out.solution):
            out.solution = topped
            if out.fairness is not None and sp.group is not None:
                achieved = sp.fairness_of(topped.met)
                out.fairness = (achieved, max(achieved, out.fairness[1]))
    if out.solution is not None and _at_trivial_bounds(sp, out.solution, out.coverage_bound):
        # Every stage at a bound that holds for any plan: proven whatever the stages said
        # (PTSP: every task met, nothing to fill, no travel).
        out.results = _trivial_results(sp, out.solution)
    if out.fairness is not None and sp.group is not None:
        # No fairness above the share of needs that could be met at all, whatever the
        # stages proved.
        value, top = out.fairness
        out.fairness = (value, max(value, min(top, _share_bound(sp))))
    if out.solution is None or sp.rank(warm) > sp.rank(out.solution):
        # Never behind the greedy start (a stage may end with a worse incumbent than its
        # hint when it runs out of time).
        out.solution = warm
        out.results.append(StageResult("greedy", "feasible", None, None, 0.0))
        if sp.group is not None:
            achieved = sp.fairness_of(warm.met)
            bound_f = out.fairness[1] if out.fairness is not None else Fraction(1)
            out.fairness = (achieved, max(achieved, bound_f))
    return out


def _large_fair(
    sp: SubProblem, warm: Solution, end: float, settings: StageSettings, tell: Report,
    stop: Any,
) -> SubOutcome:
    """Fairness on a component too big for one exact model: LP bounds on fairness and
    coverage, the fairness-first greedy start, neighbourhood search under per-group floors
    (each group keeps at least the current smallest share), then, when the LP showed that
    HiGHS has time for it, the coverage stage under those floors as a MIP (`floors`), and
    the search again from the better of the two."""
    from matcher.solver import lp, search

    t0 = time.monotonic()
    left = max(0.0, end - t0)
    # HiGHS cannot be interrupted: with a stop flag keep each LP short.
    cap = 0.25 * left if stop is None else min(0.25 * left, 20.0)
    # Every group's share is at most the weight of its needs that could be met at all; the
    # LP only when that does not already prove the greedy's fairness.
    top = _share_bound(sp)
    cov_bound = float(sp.max_coverage())
    mx = None
    lp_seconds = None
    # Building the matrices is Python work HiGHS's time limit does not cover (about 30 us a
    # pair): only when it fits the LPs' share of the time.
    if LP_BUILD_S_PER_PAIR * sp.size < cap:
        mx = lp.matrices(sp, link_pairs=False)  # one build for both LPs (and the MIP)
        if sp.fairness_of(warm.met) < top:
            f_bound = lp.fairness_bound(sp, cap, mx)
            if f_bound is not None:
                top = min(top, Fraction(f_bound))
        t_lp = time.monotonic()
        relaxed = lp.coverage_bound(sp, min(cap, max(0.0, end - time.monotonic()) * 0.25), mx)
        if relaxed is not None:
            cov_bound = relaxed[0]
            lp_seconds = time.monotonic() - t_lp
    tell("coverage", sp.stage_value("coverage", warm), cov_bound, warm)
    took_lp = time.monotonic() - t0

    def on_step(s: Solution) -> None:
        tell("neighbourhood", sp.stage_value("coverage", s), cov_bound, s)

    rest = max(0.0, end - time.monotonic())
    # The MIP only when its root LP (about the coverage LP's time) and HiGHS's presolve and
    # heuristics fit its share many times over; else the search has all the time.
    use_mip = (mx is not None and lp_seconds is not None
               and MIP_LP_FACTOR * lp_seconds < FAIR_MIP_SHARE * (1 - FAIR_SEARCH_SHARE) * rest)
    first_end = time.monotonic() + (FAIR_SEARCH_SHARE * rest if use_mip else rest)
    best, _gains = search.improve(sp, warm, first_end, settings, on_step, stop,
                                  coverage_bound=cov_bound, fairness_bound=top)
    if use_mip and mx is not None and not (stop is not None and stop.is_set()):
        from matcher.solver.floors import coverage_under_floors

        held = sp.fairness_of(best.met)
        seconds = FAIR_MIP_SHARE * max(0.0, end - time.monotonic())
        sol, mip_bound = coverage_under_floors(sp, mx, held, seconds, stop, start=best)
        if mip_bound is not None:
            # A bound on coverage at fairness >= held, which the optimum's fairness is.
            cov_bound = max(float(sp.stage_value("coverage", best)), min(cov_bound, mip_bound))
        if sol is not None and keeps_pins(sp, sol) and sp.rank(sol) > sp.rank(best):
            # The MIP ignores fill and travel: spare places filled, trips shortened.
            polished = repair.polish(sp, sol, time.monotonic() + 0.05 * seconds)
            best = polished if keeps_pins(sp, polished) else sol
            on_step(best)
        best, _gains = search.improve(sp, best, end, settings, on_step, stop,
                                      coverage_bound=cov_bound, fairness_bound=top)
    achieved = sp.fairness_of(best.met)
    top = max(achieved, top)
    assert sp.group_total is not None
    # Any better fairness is at least the next fraction above `achieved` in every group.
    nxt = min(Fraction(int(achieved * t) + 1, t) for t in sp.group_total.values())
    if top < nxt:
        top = achieved
    took = time.monotonic() - t0
    cov = sp.stage_value("coverage", best)
    results = [
        StageResult("fairness", "optimal" if achieved >= top else "feasible", float(achieved),
                    float(top), took_lp),
        StageResult("coverage", "optimal" if cov >= cov_bound else "feasible", float(cov),
                    cov_bound, took),
        StageResult("fill", "feasible", float(sp.stage_value("fill", best)), None, 0.0),
        StageResult("travel", "feasible", float(sp.stage_value("travel", best)), None, 0.0),
    ]
    return SubOutcome(results, best, (achieved, top), cov_bound)


def _at_trivial_bounds(sp: SubProblem, sol: Solution, cov_bound: float) -> bool:
    """Coverage at its proven bound, fill at the most any plan could add, no travel."""
    if sp.group is not None or sp.ref_v is not None:
        return False
    cov = sp.stage_value("coverage", sol)
    if cov < cov_bound:
        return False
    extra = sum(int(w) * (sum(hi) - sum(lo)) for w, hi, lo in
                zip(sp.weight.tolist(), sp.role_count, sp.role_min))
    return sp.stage_value("fill", sol) >= extra and sp.stage_value("travel", sol) == 0


def _trivial_results(sp: SubProblem, sol: Solution) -> list[StageResult]:
    """Coverage, fill and travel proven at a solution `_at_trivial_bounds` accepts."""
    return [StageResult(name, "optimal", float(v), float(v), 0.0)
            for name, v in zip(("coverage", "fill", "travel"),
                               (sp.stage_value("coverage", sol), sp.stage_value("fill", sol),
                                sp.stage_value("travel", sol)))]


def _share_bound(sp: SubProblem) -> Fraction:
    """The smallest, over the groups, of the weight of the group's needs in this
    subproblem over its total: no plan's fairness exceeds it."""
    assert sp.group is not None and sp.group_total is not None
    have = dict.fromkeys(sp.group_total, 0)
    for g, w in zip(sp.group.tolist(), sp.weight.tolist()):
        have[g] += w
    return min(Fraction(have[g], t) for g, t in sp.group_total.items())


def _accept_mip(sp: SubProblem, results: list[StageResult], mip: Solution,
                best: Solution) -> list[StageResult]:
    """The leading MIP stages to hold: proven ones, and unproven ones only while the MIP's
    solution is not behind `best` there (HiGHS out of time may hold a poor incumbent)."""
    mine, theirs = sp.rank(mip), sp.rank(best)
    names = sp.stage_names()
    out: list[StageResult] = []
    for r in results:
        if r.status not in ("optimal", "feasible") or r.name not in names:
            break
        k = names.index(r.name)
        if r.status == "feasible" and mine[k] < theirs[k]:
            break
        out.append(r)
        if mine[k] > theirs[k]:
            # Ahead here: lexicographically better whatever follows.
            out.extend(x for x in results[len(out):] if x.status in ("optimal", "feasible"))
            break
    return out


def _exact(
    sp: SubProblem, warm: Solution, end: float,
    settings: StageSettings, tell: Report, stop: Any, with_solutions: bool,
) -> SubOutcome:
    best = warm
    mm = MatchModel(sp)
    mm.set_hint(warm)
    results: list[StageResult] = []
    fair_info: tuple[Fraction, Fraction] | None = None
    cov_bound = float(sp.max_coverage())
    if sp.size >= LP_BOUND_PAIRS and sp.group is None and sp.ref_v is not None:
        # A bound within a second or so, long before CP-SAT's search proves as much.
        from matcher.solver import lp

        relaxed = lp.coverage_bound(sp, 0.1 * max(0.0, end - time.monotonic()))
        if relaxed is not None:
            cov_bound = min(cov_bound, relaxed[0])
            tell("bound", sp.stage_value("coverage", best), cov_bound, None)

    search_end = end

    def left(frac: float) -> float:
        return max(0.0, (end - time.monotonic()) * frac)

    shares = {"fairness": 0.4, "coverage": 0.7, "fill": 0.4, "stability": 0.5, "travel": 1.0}
    stages: list[tuple[str, bool, float]] = [
        (name, name in ("fairness", "coverage", "fill"), shares[name])
        for name in sp.stage_names()]

    if sp.ref_v is None:
        # HiGHS first: on these models it usually proves every stage in seconds. What it
        # proves is held; CP-SAT goes on from its solution with the rest.
        from matcher.solver.mip import solve_mip

        mo = solve_mip(sp, left(MIP_SHARE), stop, start=warm)
        if mo.solution is not None and keeps_pins(sp, mo.solution):
            finished = _accept_mip(sp, mo.results, mo.solution, best)
            if finished:
                best = mo.solution
                fair_info = mo.fairness
                if mo.coverage_bound is not None:
                    cov_bound = min(cov_bound, mo.coverage_bound)
                tell("coverage", sp.stage_value("coverage", best), cov_bound, best)
                if len(finished) == len(stages):
                    return _search(sp, best, list(mo.results), fair_info, cov_bound,
                                   search_end, settings, tell, stop)
            elif mo.coverage_bound is not None:
                cov_bound = min(cov_bound, mo.coverage_bound)
            results.extend(finished)
            for r in finished:
                if r.name == "fairness":
                    assert mo.fairness is not None
                    mm.hold_fairness(mo.fairness[0])
                    continue
                held = int(round(r.value or 0))
                expr = _stage_expr(mm, r.name)
                mm.model.add(expr >= held if r.name != "travel" else expr <= held)
            done = {r.name for r in finished}
            stages = [s for s in stages if s[0] not in done]
            mm.set_hint(best)

    # After HiGHS (its share as before), the CP-SAT stages stop early enough to leave the
    # neighbourhood search its share.
    end = time.monotonic() + (1.0 - SEARCH_SHARE) * max(0.0, search_end - time.monotonic())
    proven_cov = any(r.name == "coverage" and r.status == "optimal" for r in results)
    for name, maximize, frac in stages:
        if best is not None:  # the job resource shows the stage that runs now
            tell(name, sp.stage_value("coverage", best), None, None)
        scale = 1
        if name == "fairness":
            expr, scale = mm.fairness_scaled()
        else:
            expr = _stage_expr(mm, name)

        def on_solution(value: float, bound: float, cb: Any, name: str = name) -> None:
            if name == "coverage":
                sol = mm.read(cb) if with_solutions else None
                tell(name, int(round(value)), float(np.floor(bound + 1e-6)), sol)

        budget = left(frac)
        if name == "travel" and proven_cov:
            # Coverage proven: CP-SAT's travel stage on the whole component either proves
            # quickly or ends at its hint (Gansu 2,500 volunteers by community: 10 s left
            # 3,888 km as it was), where the search aimed at travel (`search._later_seed`)
            # gains steadily: it gets the larger share. (Fill keeps its time: CP-SAT proves
            # Zhecheng's fill there.)
            budget = min(budget, (1.0 - SEARCH_SHARE_SETTLED)
                         * max(0.0, search_end - time.monotonic()))
        res, sol = solve_stage(mm, name, expr, maximize, budget, settings, on_solution, stop)
        results.append(res)
        if name == "coverage" and res.bound is not None:
            cov_bound = min(cov_bound, float(np.floor(res.bound + 1e-6)))
        k = sp.stage_names().index(name)
        if sol is not None and sp.rank(sol)[k] < sp.rank(best)[k]:
            sol = None  # behind the solution held (its hint was not used in time)
        if sol is None:
            if res.status == "infeasible":
                return SubOutcome(results, None, None, cov_bound)
            # Nothing better found in time: hold the incumbent's value of this stage.
            if name == "fairness":
                achieved = sp.fairness_of(best.met)
                top = Fraction(1)
                if res.bound is not None:
                    top = Fraction(min(scale, int(np.floor(res.bound + 1e-6)) + 1), scale)
                fair_info = (achieved, max(achieved, top))
                mm.hold_fairness(achieved)
            else:
                held = sp.stage_value(name, best)
                mm.model.add(expr >= held if maximize else expr <= held)
            mm.set_hint(best)
            continue
        best = sol
        assert res.value is not None and res.bound is not None
        if name == "coverage":
            tell(name, sp.stage_value("coverage", sol), cov_bound, sol)
        if name == "fairness":
            # Hold the exact fraction the solution reaches (the optimum when proven).
            achieved = sp.fairness_of(sol.met)
            top = Fraction(min(scale, int(np.floor(res.bound + 1e-6)) + 1), scale)
            fair_info = (achieved, achieved if res.status == "optimal" else max(achieved, top))
            mm.hold_fairness(achieved)
        elif maximize:
            mm.model.add(expr >= sp.stage_value(name, sol))
        else:
            mm.model.add(expr <= sp.stage_value(name, sol))
        mm.set_hint(sol)
        if res.status != "optimal" and time.monotonic() >= end:
            break  # out of time: later stages get no budget; keep what we have
    return _search(sp, best, results, fair_info, cov_bound, search_end, settings, tell, stop)


def _search(
    sp: SubProblem, best: Solution, results: list[StageResult],
    fair_info: tuple[Fraction, Fraction] | None, cov_bound: float, end: float,
    settings: StageSettings, tell: Report, stop: Any,
) -> SubOutcome:
    """Neighbourhood search with the time left when some stage is not proven."""
    if (all(r.status == "optimal" for r in results) or end - time.monotonic() < 0.2
            or _at_trivial_bounds(sp, best, cov_bound)):
        return SubOutcome(results, best, fair_info, cov_bound)
    from matcher.solver import search

    t0 = time.monotonic()
    before = sp.rank(best)
    best, gains = search.improve(
        sp, best, end, settings,
        lambda s: tell("neighbourhood", sp.stage_value("coverage", s), cov_bound, s), stop,
        coverage_bound=cov_bound, fairness_bound=fair_info[1] if fair_info else None)
    if gains:
        results.append(StageResult("neighbourhood", "feasible",
                                   float(sp.stage_value("coverage", best)), cov_bound,
                                   time.monotonic() - t0))
        if sp.group is not None and fair_info is not None and sp.rank(best) > before:
            achieved = sp.fairness_of(best.met)
            fair_info = (achieved, max(achieved, fair_info[1]))
    return SubOutcome(results, best, fair_info, cov_bound)


def _stage_expr(mm: MatchModel, name: str) -> Any:
    if name == "coverage":
        return mm.coverage()
    if name == "fill":
        return mm.fill()
    if name == "stability":
        return mm.changes()
    return mm.travel()
