"""The LP relaxation of a subproblem's coverage stage: a proven bound for big components.

Same variables and rules as the CP-SAT model (`cpsat.MatchModel`), with every variable
continuous in [0, 1] (grants in [0, cap]); the optimum of the LP is an upper bound on the
coverage any valid plan reaches. Built with scipy sparse matrices and solved by HiGHS through
`scipy.optimize.linprog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from matcher.solver.cpsat import SubProblem, _maximal_cliques

I64 = NDArray[np.int64]
# HiGHS's presolve costs more time and memory than it saves on these LPs (Yibin's year of
# activities: 2.7 s and 0.7 GB without it, 6.5 s and 1.3 GB with it).
PRESOLVE = False


class _Rows:
    """Sparse rows of `A_ub x <= b_ub` or `A_eq x == b_eq`, collected as COO triplets."""

    def __init__(self) -> None:
        self.r: list[I64] = []
        self.c: list[I64] = []
        self.v: list[NDArray[np.float64]] = []
        self.b: list[float] = []

    def add(self, cols: I64, vals: NDArray[np.float64] | float, rhs: float) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.r.append(np.full(len(cols), len(self.b), dtype=np.int64))
        self.c.append(cols)
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), cols.shape).copy())
        self.b.append(rhs)

    def add_many(self, rows: I64, cols: I64, vals: NDArray[np.float64], rhs: NDArray[np.float64]
                 ) -> None:
        """Rows given as triplets with row ids 0..k-1 local to this call."""
        base = len(self.b)
        self.r.append(rows + base)
        self.c.append(cols)
        self.v.append(vals)
        self.b.extend(rhs.tolist())

    def matrix(self, n: int) -> tuple[coo_matrix | None, NDArray[np.float64] | None]:
        if not self.b:
            return None, None
        r = np.concatenate(self.r)
        c = np.concatenate(self.c)
        v = np.concatenate(self.v)
        return coo_matrix((v, (r, c)), shape=(len(self.b), n)).tocsr(), np.array(self.b)


@dataclass
class Matrices:
    """The subproblem as `A_ub x <= b_ub`, `A_eq x == b_eq`, 0 <= x <= upper, with columns
    [met (n) | volunteer pairs | venue pairs | grants]."""

    n: int
    o_x: int
    o_y: int
    o_g: int
    total: int
    a_ub: Any
    b_ub: Any
    a_eq: Any
    b_eq: Any
    upper: NDArray[np.float64]


def matrices(sp: SubProblem, link_pairs: bool = True) -> Matrices:
    """The rules of `cpsat.MatchModel` as sparse linear constraints."""
    n = len(sp.needs)
    nv, nu, nf = len(sp.v_vol), len(sp.u_venue), len(sp.f_fund)
    o_x, o_y, o_g = n, n + nv, n + nv + nu
    total = o_g + nf
    ub, eq = _Rows(), _Rows()
    # Rules 5 and 12, roles: min*m <= sum x <= count*m.
    width = max((len(r) for r in sp.role_min), default=0) + 1
    key = sp.v_need * width + sp.v_role
    order = np.argsort(key, kind="stable")
    uniq, start = np.unique(key[order], return_index=True)
    bounds_end = np.r_[start[1:], len(order)]
    role_cols: dict[int, I64] = {
        int(k): order[s:e] + o_x for k, s, e in zip(uniq, start, bounds_end)
    }
    for i in range(n):
        for j, (lo, hi) in enumerate(zip(sp.role_min[i], sp.role_count[i])):
            cols = role_cols.get(i * width + j, np.zeros(0, dtype=np.int64))
            ub.add(np.r_[cols, i], np.r_[-np.ones(len(cols)), lo], 0.0)
            ub.add(np.r_[cols, i], np.r_[np.ones(len(cols)), -hi], 0.0)
    if link_pairs:
        # Each pair only for a met need (tightens the LP; implied for integer points).
        k = np.arange(nv)
        ub.add_many(np.r_[k, k], np.r_[k + o_x, sp.v_need], np.r_[np.ones(nv), -np.ones(nv)],
                    np.zeros(nv))
    # Rule 4: per volunteer, one need per clique of overlapping needs; hours.
    dur = (sp.end - sp.start).astype(np.float64)
    by_vol = np.lexsort((sp.v_need, sp.v_vol))
    vols = sp.v_vol[by_vol]
    cuts = np.flatnonzero(np.diff(vols)) + 1
    for grp in np.split(by_vol, cuts):
        if len(grp) == 0:
            continue
        v = int(sp.v_vol[grp[0]])
        needs = sp.v_need[grp]
        if len(grp) > 1:
            s = sp.start[needs].tolist()
            e = sp.end[needs].tolist()
            for clique in _maximal_cliques(s, e):
                ub.add(grp[clique] + o_x, 1.0, 1.0)
            # One role per need (pairs of one need are adjacent in `grp`).
            same = np.flatnonzero(needs[1:] == needs[:-1])
            for q in same:
                ub.add(grp[[q, q + 1]] + o_x, 1.0, 1.0)
        cap = sp.vol_max_s.get(v)
        if cap is not None and float(dur[needs].sum()) > cap:
            ub.add(grp + o_x, dur[needs], float(cap))
    # Rules 8 and 9: one booking per met need that asks for a venue; no double booking.
    for i in np.flatnonzero(sp.asks_venue).tolist():
        cols = np.flatnonzero(sp.u_need == i) + o_y
        eq.add(np.r_[cols, i], np.r_[np.ones(len(cols)), -1.0], 0.0)
    by_ven = np.lexsort((sp.u_need, sp.u_venue))
    for grp in np.split(by_ven, np.flatnonzero(np.diff(sp.u_venue[by_ven])) + 1):
        if len(grp) > 1:
            needs = sp.u_need[grp]
            for clique in _maximal_cliques(sp.start[needs].tolist(), sp.end[needs].tolist()):
                ub.add(grp[clique] + o_y, 1.0, 1.0)
    # Rules 11 and 12: grants sum to the funding of a met need; funds within amounts.
    for i in np.flatnonzero(sp.funding > 0).tolist():
        cols = np.flatnonzero(sp.f_need == i) + o_g
        eq.add(np.r_[cols, i], np.r_[np.ones(len(cols)), -float(sp.funding[i])], 0.0)
    for f, amount in sp.fund_amount.items():
        cols = np.flatnonzero(sp.f_fund == f)
        if float(sp.f_cap[cols].sum()) > amount:
            ub.add(cols + o_g, 1.0, float(amount))
    # Pins.
    for ks in sp.pin_v:
        eq.add(np.asarray(ks, dtype=np.int64) + o_x, 1.0, 1.0)
    for kk in sp.pin_u:
        eq.add(np.array([kk + o_y]), 1.0, 1.0)
    for kk, amount in sp.pin_f:
        eq.add(np.array([kk + o_g]), 1.0, float(amount))

    a_ub, b_ub = ub.matrix(total)
    a_eq, b_eq = eq.matrix(total)
    upper = np.ones(total)
    upper[o_g:] = sp.f_cap.astype(np.float64)
    return Matrices(n, o_x, o_y, o_g, total, a_ub, b_ub, a_eq, b_eq, upper)


def coverage_bound(
    sp: SubProblem, time_limit: float, mx: Matrices | None = None
) -> tuple[float, NDArray[np.float64]] | None:
    """The LP bound on coverage with the LP's `met` values, or None when HiGHS does not
    finish in `time_limit`."""
    # Without the pair-to-need rows: a fifth of the memory on city-size components, and
    # the roles' count rows already tie pairs to their need.
    mx = mx if mx is not None else matrices(sp, link_pairs=False)
    n = mx.n
    c = np.zeros(mx.total)
    c[:n] = -sp.weight.astype(np.float64)
    res = linprog(c, A_ub=mx.a_ub, b_ub=mx.b_ub, A_eq=mx.a_eq, b_eq=mx.b_eq,
                  bounds=np.stack([np.zeros(mx.total), mx.upper], axis=1), method="highs-ds",
                  options={"time_limit": max(0.1, time_limit), "presolve": PRESOLVE})
    if res.status != 0:
        return None
    # The dual bound of a solved LP equals its optimum; round down only past float noise.
    return float(np.floor(-res.fun + 1e-6)), res.x[:n]


def fairness_bound(sp: SubProblem, time_limit: float, mx: Matrices | None = None
                   ) -> float | None:
    """The LP bound on fairness: the largest t with every group's met weight at least
    t times its total, over the relaxation; None when HiGHS does not finish in time."""
    assert sp.group is not None and sp.group_total is not None
    from scipy.sparse import hstack, vstack

    mx = mx if mx is not None else matrices(sp, link_pairs=False)
    gids = sorted(sp.group_total)
    row_of = {g: k for k, g in enumerate(gids)}
    rows = np.array([row_of[int(g)] for g in sp.group], dtype=np.int64)
    a_met = coo_matrix((-sp.weight.astype(np.float64), (rows, np.arange(mx.n))),
                       shape=(len(gids), mx.total))
    a_t = coo_matrix(np.array([[float(sp.group_total[g])] for g in gids]))
    a_fair = hstack([a_met, a_t])
    blocks = [a_fair]
    b = [np.zeros(len(gids))]
    if mx.a_ub is not None:
        blocks.insert(0, hstack([mx.a_ub, coo_matrix((mx.a_ub.shape[0], 1))]))
        b.insert(0, mx.b_ub)
    a_ub = vstack(blocks).tocsr()
    a_eq = None
    if mx.a_eq is not None:
        a_eq = hstack([mx.a_eq, coo_matrix((mx.a_eq.shape[0], 1))]).tocsr()
    c = np.zeros(mx.total + 1)
    c[-1] = -1.0
    bounds = np.stack([np.zeros(mx.total + 1), np.r_[mx.upper, 1.0]], axis=1)
    res = linprog(c, A_ub=a_ub, b_ub=np.concatenate(b), A_eq=a_eq, b_eq=mx.b_eq,
                  bounds=bounds, method="highs-ds",
                  options={"time_limit": max(0.1, time_limit), "presolve": PRESOLVE})
    if res.status != 0:
        return None
    # Above the LP optimum by more than float noise: still a proven bound.
    return min(1.0, float(-res.fun) + 1e-7)
