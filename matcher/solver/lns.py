"""Large subproblems: a time-decomposed relaxation for the bound, and neighbourhood search.

A city's year is one connected component (volunteers and venues serve needs all year), too
big for one CP-SAT model: presolve alone outlasts a minute. Two facts make it tractable:

- needs interact through a volunteer or venue only when their intervals overlap, except for
  two *linking* rules: a volunteer's `max_hours` and a fund's `amount`. Dropping those two
  splits the component into small *time clusters* (about a day each) that are solved
  exactly and independently; the sum of their coverage bounds is a proven upper bound on
  the component's coverage (a relaxation);
- with everything outside a neighbourhood (a run of consecutive clusters) held fixed, the
  neighbourhood is a small exact model over the residual hours and fund amounts. Solving
  neighbourhoods in turn, each from the incumbent as a hint, never loses value and climbs
  towards the bound (large-neighbourhood search by block coordinates).

Each neighbourhood model optimises the stages at once with a weighted objective whose
weights make it lexicographic (coverage, then fill, then travel) within the neighbourhood.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.solver.cpsat import (
    MatchModel,
    Solution,
    StageResult,
    StageSettings,
    SubProblem,
    solve_stage,
)

I64 = NDArray[np.int64]
NEIGHBOURHOOD_PAIRS = 6_000  # pairs per neighbourhood model: solved in well under a second
INT_LIMIT = 1 << 60
MAX_HOOD_FACTOR = 4  # a neighbourhood holds at most this many times NEIGHBOURHOOD_PAIRS
LP_BUILD_S_PER_PAIR = 3e-5  # building the LP matrices, measured on a busy 2-core machine
# The coverage MIP over the whole component: its share of the time left after the LP, and
# how many LPs' time that share must hold (its root LP, presolve and heuristics).
MIP_SHARE = 0.6
MIP_LP_FACTOR = 8.0
MIP_FIRST_PAIRS = 300_000  # up to this size the MIP runs first (its root LP is the bound)


def time_clusters(sp: SubProblem) -> list[I64]:
    """Groups of needs joined by a shared volunteer or venue at overlapping times.

    Within one owner's needs sorted by start, overlap components are contiguous runs, so
    linking each need to its predecessor when it starts before the run's latest end gives
    the components without listing every overlapping pair.
    """
    n = len(sp.needs)
    rows: list[I64] = []
    cols: list[I64] = []
    for owner, need in ((sp.v_vol, sp.v_need), (sp.u_venue, sp.u_need)):
        if len(owner) < 2:
            continue
        order = np.lexsort((sp.start[need], owner))
        o, nd = owner[order], need[order]
        s, e = sp.start[nd], sp.end[nd]
        first = np.r_[True, o[1:] != o[:-1]]
        grp = np.cumsum(first) - 1
        shift = grp.astype(np.int64) * (1 << 40)
        run_max = np.maximum.accumulate(e - e.min() + shift) - shift + e.min()
        link = ~first[1:] & (s[1:] < run_max[:-1])
        rows.append(nd[:-1][link])
        cols.append(nd[1:][link])
    if rows:
        r = np.concatenate(rows)
        c = np.concatenate(cols)
    else:
        r = c = np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.lexsort((np.arange(n), sp.start, labels))
    lab = labels[order]
    splits = np.flatnonzero(np.diff(lab)) + 1
    clusters = np.split(order, splits)
    clusters.sort(key=lambda c: (int(sp.start[c].min()), int(c.min())))
    return clusters


def pairs_per_need(n: int, *pair_needs: I64) -> I64:
    """How many candidate pairs each of `n` needs has, plus one (the need itself)."""
    out = np.ones(n, dtype=np.int64)
    for needs in pair_needs:
        out += np.bincount(needs, minlength=n)
    return out


def pack(groups: list[I64], size: I64, limit: int) -> list[I64]:
    """Consecutive groups of needs merged into runs of about `limit` total `size` each."""
    out: list[I64] = []
    cur: list[I64] = []
    total = 0
    for g in groups:
        s = int(size[g].sum())
        if cur and total + s > limit:
            out.append(np.sort(np.concatenate(cur)))
            cur, total = [], 0
        cur.append(g)
        total += s
    if cur:
        out.append(np.sort(np.concatenate(cur)))
    return out


def neighbourhoods(sp: SubProblem, clusters: list[I64], max_pairs: int) -> list[I64]:
    """Runs of consecutive clusters (by time) holding about `max_pairs` pairs each."""
    return pack(clusters, pairs_per_need(len(sp.needs), sp.v_need, sp.u_need, sp.f_need),
                max_pairs)


def restrict(
    sp: SubProblem, local: I64, sol: Solution | None, relax: bool
) -> tuple[SubProblem, I64, I64, I64]:
    """The subproblem over needs `local` (indices into `sp`).

    With `relax`, hours and fund amounts are dropped (the relaxation). Otherwise the rest of
    `sol` stays fixed: hours and fund amounts it uses outside `local` are taken off.
    """
    mask = np.zeros(len(sp.needs), dtype=bool)
    mask[local] = True
    vk = np.flatnonzero(mask[sp.v_need])
    uk = np.flatnonzero(mask[sp.u_need])
    fk = np.flatnonzero(mask[sp.f_need])
    vols = np.unique(sp.v_vol[vk])
    funds = np.unique(sp.f_fund[fk])
    if relax:
        vol_max: dict[int, int] = {}
        fund_amount = {int(f): int(sp.f_cap[fk][sp.f_fund[fk] == f].sum()) for f in funds}
    else:
        assert sol is not None
        dur = sp.end - sp.start
        outside_v = sol.v & ~mask[sp.v_need]
        used_s: dict[int, int] = {}
        for v, n in zip(sp.v_vol[outside_v].tolist(), sp.v_need[outside_v].tolist()):
            used_s[v] = used_s.get(v, 0) + int(dur[n])
        vol_max = {int(v): sp.vol_max_s[int(v)] - used_s.get(int(v), 0)
                   for v in vols if int(v) in sp.vol_max_s}
        outside_f = ~mask[sp.f_need]
        spent = np.bincount(sp.f_fund[outside_f], weights=sol.g[outside_f],
                            minlength=int(sp.f_fund.max()) + 1 if len(sp.f_fund) else 0)
        fund_amount = {int(f): sp.fund_amount[int(f)] - int(spent[f]) for f in funds}
    sub = sp.restricted(local, vk, uk, fk, vol_max, fund_amount)
    return sub, vk, uk, fk


def _weighted(mm: MatchModel) -> Any:
    """Coverage, fill and travel as one objective, lexicographic within the model."""
    sp = mm.sp
    max_travel = int(sp.v_dist.sum() + sp.u_dist.sum()) + 1
    max_fill = int((sp.weight * np.array([sum(c) for c in sp.role_count] or [0])).sum()) + 1
    w_fill = max_travel
    w_cov = max_fill * w_fill + max_travel
    if w_cov * (int(sp.weight.sum()) + 1) >= INT_LIMIT:
        return mm.coverage()  # too wide to weigh exactly: coverage alone
    return w_cov * mm.coverage() + w_fill * mm.fill() - mm.travel()


def improve(
    sp: SubProblem,
    start: Solution,
    hoods: list[I64],
    deadline: float,
    settings: StageSettings,
    on_improve: Callable[[Solution], None] | None = None,
    stop: Any = None,
    finished: Callable[[Solution], bool] | None = None,
) -> Solution:
    """Neighbourhood search from `start` until the deadline, a stop, a full pass in which
    no neighbourhood improves (a local optimum), or `finished` says nothing is left."""
    cur = Solution(start.met.copy(), start.v.copy(), start.u.copy(), start.g.copy())
    changed = True
    while changed and time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        changed = False
        for k, local in enumerate(hoods):
            left = deadline - time.monotonic()
            share = min(left, max(0.2, left / max(1, len(hoods) - k)))
            if share < 0.05 or (stop is not None and stop.is_set()):
                break
            sub, vk, uk, fk = restrict(sp, local, cur, relax=False)
            mm = MatchModel(sub)
            hint = Solution(cur.met[local], cur.v[vk], cur.u[uk], cur.g[fk])
            mm.set_hint(hint)
            _, sol = solve_stage(mm, "neighbourhood", _weighted(mm), True, share, settings,
                                 None, stop)
            if sol is not None and _better(sub, sol, hint):
                cur.met[local] = sol.met
                cur.v[vk] = sol.v
                cur.u[uk] = sol.u
                cur.g[fk] = sol.g
                changed = True
                if on_improve is not None:
                    on_improve(cur)
                if finished is not None and finished(cur):
                    return cur
    return cur


def _key(sp: SubProblem, sol: Solution) -> tuple[int, int, int]:
    return (sp.stage_value("coverage", sol), sp.stage_value("fill", sol),
            -sp.stage_value("travel", sol))


def _better(sp: SubProblem, new: Solution, old: Solution) -> bool:
    return _key(sp, new) > _key(sp, old)


def _coverage_mip(
    sp: SubProblem, mx: Any, best: Solution, bound: float, seconds: float, stop: Any,
    report: Callable[[int, float | None, Solution | None], None],
) -> tuple[Solution, float]:
    """The whole component's coverage as one MIP from `best`: HiGHS's root cuts and sub-MIPs
    close what the neighbourhoods only creep at (Gansu, 5,000 volunteers in a surge: proven
    optimal in 5 s, 150 above the time-cluster search's minute). Its dual bound is a proven
    bound too. Returns the better solution (polished) and the bound."""
    from matcher.solver import repair
    from matcher.solver.floors import coverage_under_floors
    from matcher.solver.stages import keeps_pins

    report(sp.stage_value("coverage", best), bound, best)
    t0 = time.monotonic()
    sol, mip_bound = coverage_under_floors(sp, mx, Fraction(0), seconds, stop, start=best)
    if mip_bound is not None:
        bound = min(bound, mip_bound)
    if sol is not None and keeps_pins(sp, sol) and _better(sp, sol, best):
        # The MIP ignores fill and travel: spare places filled, trips shortened.
        polished = repair.polish(sp, sol, time.monotonic() + 0.05 * max(
            seconds, time.monotonic() - t0))
        best = polished if keeps_pins(sp, polished) else sol
    return best, bound


def solve_large(
    sp: SubProblem,
    warm: Solution,
    seconds: float,
    settings: StageSettings,
    report: Callable[[int, float | None, Solution | None], None],
    stop: Any = None,
) -> tuple[list[StageResult], Solution, float]:
    """LP bound, an LP-guided greedy start, then neighbourhood search, within `seconds`."""
    from matcher.solver import fundflow, lp
    from matcher.solver.greedy import greedy
    from matcher.solver.stages import keeps_pins

    t0 = time.monotonic()
    end = t0 + seconds
    best = warm
    bound = float(sp.max_coverage())
    # HiGHS cannot be interrupted: when the solve may be stopped, keep the LP short.
    lp_time = 0.5 * seconds if stop is None else min(0.5 * seconds, 20.0)
    flowed = fundflow.coverage_bound(sp) if fundflow.applies(sp) else None
    relaxed = None
    mip_first = False
    if flowed is not None:
        # Money only: the LP is a min-cost flow, solved exactly, and its integral flow is a
        # plan of the needs it funds in full (the greedy adds what the rest leaves).
        bound = flowed[0]
        topped = greedy(sp, fixed=flowed[2])
        if keeps_pins(sp, topped) and _better(sp, topped, best):
            best = topped
    else:
        # Money alone (every other rule dropped): a bound within a second that the LP may
        # not reach in time (the province's activities: 141,077 of 147,786 in 0.2 s; the
        # LP's 140,222 took 27 s to build, 64 s to solve and 4.4 GB).
        money = fundflow.money_bound(sp)
        if money is not None:
            bound = min(bound, money)
        if LP_BUILD_S_PER_PAIR * sp.size < lp_time:
            # Building the LP is Python work its time limit does not cover: only when it fits.
            mx = lp.matrices(sp, link_pairs=False)
            if sp.size <= MIP_FIRST_PAIRS:
                # HiGHS's MIP solves this LP at its root anyway (after its presolve, which the
                # plain LP goes without): on a component this size the MIP comes first, and
                # its dual bound is the bound. A one-day surge of 2,026 shifts: the LP alone
                # took 16 s of the minute, the MIP from the greedy proves the optimum in 40 s.
                before = bound
                best, bound = _coverage_mip(sp, mx, best, bound, MIP_SHARE * max(
                    0.0, end - time.monotonic()), stop, report)
                mip_first = True
            if not mip_first or bound >= before:  # no bound from the MIP: the LP's
                t_lp = time.monotonic()
                relaxed = lp.coverage_bound(sp, min(lp_time, max(0.0, end - t_lp)), mx)
                lp_seconds = time.monotonic() - t_lp
    if relaxed is not None:
        bound = min(bound, relaxed[0])
        m_lp = relaxed[1]
        # Needs the LP meets most fully first (LP rounding by a greedy), nearest first.
        order = sorted(range(len(sp.needs)), key=lambda i: (-round(float(m_lp[i]), 6),
                                                             -int(sp.weight[i]), i))
        guided = greedy(sp, order=order)
        if keeps_pins(sp, guided) and _better(sp, guided, best):
            best = guided
        rest = max(0.0, end - time.monotonic())
        if not mip_first and MIP_LP_FACTOR * lp_seconds < MIP_SHARE * rest:
            best, bound = _coverage_mip(sp, mx, best, bound, MIP_SHARE * rest, stop, report)
    report(sp.stage_value("coverage", best), bound, best)
    from matcher.solver.stages import _at_trivial_bounds

    if not _at_trivial_bounds(sp, best, bound):  # else nothing left to improve
        clusters = time_clusters(sp)
        hoods = neighbourhoods(sp, clusters, NEIGHBOURHOOD_PAIRS)
        # A time cluster far over the size is no neighbourhood (a day of overlapping shifts
        # is one cluster, as big as the component): left to the search around unmet needs
        # (`search.improve`, which the caller runs with the time left).
        per_need = pairs_per_need(len(sp.needs), sp.v_need, sp.u_need, sp.f_need)
        hoods = [h for h in hoods if int(per_need[h].sum()) <= MAX_HOOD_FACTOR
                 * NEIGHBOURHOOD_PAIRS]
        best = improve(sp, best, hoods, end, settings,
                       lambda s: report(sp.stage_value("coverage", s), bound, s), stop,
                       finished=lambda s: _at_trivial_bounds(sp, s, bound))
    cov = sp.stage_value("coverage", best)
    status = "optimal" if cov >= bound else "feasible"
    results = [
        StageResult("coverage", status, float(cov), float(bound), time.monotonic() - t0),
        StageResult("fill", "feasible", float(sp.stage_value("fill", best)), None, 0.0),
        StageResult("travel", "feasible", float(sp.stage_value("travel", best)), None, 0.0),
    ]
    return results, best, bound
