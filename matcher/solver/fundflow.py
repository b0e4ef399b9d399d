"""Components that ask for money only: their coverage LP as a min-cost flow.

A component with fund pairs alone (no volunteer or venue pairs: every need in it asks for
funding only) has an LP relaxation that is a transportation problem. Money flows from each
fund (at most its `amount`) over its eligible pairs (at most the pair's cap) to the needs (at
most their `funding`); a fen that reaches need i is worth `w_i / F_i` of coverage. OR-Tools'
min-cost flow solves it exactly in seconds (the province's 43,790 grants: 424,707 pairs),
where HiGHS's dual simplex had not finished in two minutes and building its matrices took 20.

The flow also gives a plan: optimal flows are integral, so every need the flow funds in full
is met with exactly the grants the flow carries, within every fund's amount (rules 10-13
hold: the pairs are the candidates'). Needs funded in part are left out; the greedy tops up.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from matcher.solver.cpsat import Solution, SubProblem

I64 = NDArray[np.int64]
# Largest arc cost handed to the solver: its cost scaling multiplies costs by about the
# number of nodes, which must stay within 64 bits.
MAX_ARC_COST = 10**12
MAX_TOTAL_COST = 4 * 10**18


def applies(sp: SubProblem) -> bool:
    """A component of funding-only needs (fund pins allowed) without fairness groups."""
    return (len(sp.v_vol) == 0 and len(sp.u_venue) == 0 and len(sp.f_fund) > 0
            and sp.group is None and sp.ref_v is None and bool(np.all(sp.funding > 0))
            and not bool(np.any(sp.asks_venue)) and not any(sp.role_min))


def coverage_bound(sp: SubProblem) -> tuple[float, NDArray[np.float64], Solution] | None:
    """(the LP bound on coverage over plans keeping every pin, each need's funded share, the
    plan of the fully funded needs), or None when the flow cannot hold every pin or cannot
    be set up within 64-bit costs (the caller then uses the general LP)."""
    from ortools.graph.python import min_cost_flow

    n = len(sp.needs)
    funds = np.array(sorted(sp.fund_amount), dtype=np.int64)
    fund_pos = np.searchsorted(funds, sp.f_fund)
    weight = sp.weight.astype(np.int64)
    funding = sp.funding.astype(np.int64)
    amount = np.array([sp.fund_amount[int(f)] for f in funds], dtype=np.int64)
    # A fund pin's grant is fixed: taken off its fund, its need and its pair beforehand.
    fixed = np.zeros(len(sp.f_fund), dtype=np.int64)
    for k, a in sp.pin_f:
        fixed[k] = a
    pair_cap = np.where(fixed > 0, 0, sp.f_cap).astype(np.int64)
    amount -= np.bincount(fund_pos, weights=fixed, minlength=len(funds)).astype(np.int64)
    need_left = funding - np.bincount(sp.f_need, weights=fixed, minlength=n).astype(np.int64)
    if np.any(amount < 0) or np.any(need_left < 0):
        return None
    pinned = np.zeros(n, dtype=bool)
    pinned[[int(sp.f_need[k]) for k, _ in sp.pin_f]] = True
    # Value per fen, scaled to integers and rounded up: the flow's optimum with these costs,
    # divided by the scale, is at least the LP optimum (a bound however the rounding falls).
    # A pinned need's fen is worth more than any other's (twice the most), so the flow funds
    # it in full whenever any flow can: one fen moved to it loses at most one other fen.
    per_fen = weight / funding
    scale = int(min(MAX_ARC_COST / (2.0 * float(per_fen.max()) + 1.0),
                    MAX_TOTAL_COST / float(2 * weight.sum() + 2)))
    if scale < 1:
        return None
    profit = np.array([-((-int(w) * scale) // int(f)) for w, f in zip(weight, funding)],
                      dtype=np.int64)
    gain = np.where(pinned, 2 * int(profit.max()) + 1, profit)
    money = int(min(max(int(amount.sum()), 0), int(need_left.sum())))
    # Nodes: 0 source, 1 sink, funds, then needs; the source-sink arc takes unused money.
    src, sink, f0 = 0, 1, 2
    n0 = f0 + len(funds)
    tails = np.concatenate([[src], np.full(len(funds), src), f0 + fund_pos,
                            n0 + np.arange(n)]).astype(np.int64)
    heads = np.concatenate([[sink], f0 + np.arange(len(funds)), n0 + sp.f_need,
                            np.full(n, sink)]).astype(np.int64)
    caps = np.concatenate([[money], np.minimum(amount, money), pair_cap,
                           need_left]).astype(np.int64)
    costs = np.concatenate([np.zeros(1 + len(funds) + len(sp.f_fund)),
                            -gain]).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(src, money)
    flow.set_node_supply(sink, -money)
    if flow.solve() != flow.OPTIMAL:
        return None
    carried = flow.flows(arcs)
    first_pair = 1 + len(funds)
    g = carried[first_pair:first_pair + len(sp.f_fund)].astype(np.int64) + fixed
    got = np.bincount(sp.f_need, weights=g, minlength=n).astype(np.int64)
    met = got == funding
    if not bool(np.all(met[pinned])):
        return None  # no flow holds every pin: the LP path says what can be proven
    bound = sum(int(p) * int(x) for p, x in zip(profit, got)) // scale
    g[~met[sp.f_need]] = 0
    share = got / funding.astype(np.float64)
    sol = Solution(met, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), g)
    return float(min(bound, sp.max_coverage())), share, sol


def money_bound(sp: SubProblem) -> float | None:
    """A bound on any subproblem's coverage from its money alone: every need without funding
    counted as met, the needs with funding by the flow over their fund pairs (volunteers,
    venues and their pins dropped: a relaxation). None when it says nothing (no funding)."""
    if sp.group is not None or sp.ref_v is not None:
        return None
    funded = np.flatnonzero(sp.funding > 0)
    if len(funded) == 0:
        return None
    free = float(sp.weight.sum() - sp.weight[funded].sum())
    mask = np.zeros(len(sp.needs), dtype=bool)
    mask[funded] = True
    fk = np.flatnonzero(mask[sp.f_need])
    if len(fk) == 0:
        return free  # no fund can pay for any of them
    none = np.zeros(0, dtype=np.int64)
    money = sp.restricted(funded, none, none, fk, {}, dict(sp.fund_amount))
    money = replace(money, role_min=[[] for _ in funded], role_count=[[] for _ in funded],
                    asks_venue=np.zeros(len(funded), dtype=bool), pin_v=[], pin_u=[])
    out = coverage_bound(money)
    return None if out is None else free + out[0]
