"""The reference plan of a replan, seen from the changed problem, and its repair.

`map_reference` marks the candidate pairs the reference plan used (and counts what of it no
longer fits); `repair` makes it valid for the problem as it is now by dropping, never adding,
so the replan's search starts from a valid plan as close to the reference as can be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.model import Plan, Problem
from matcher.solver.candidates import Candidates, Compiled
from matcher.solver.cpsat import Solution

I64 = NDArray[np.int64]

@dataclass
class Reference:
    """The reference plan as masks over the new problem's candidate pairs."""

    common: NDArray[np.bool_]  # needs present in both problems
    v: NDArray[np.bool_]
    u: NDArray[np.bool_]
    g: I64  # reference amount per fund pair (0: no grant)
    lost: int  # reference items (of common needs) that are no candidate pair any more
    lost_needs: set[int] = field(default_factory=set)  # needs that lost such an item
    was_met: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    common_v: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    common_u: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    common_f: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _keys(*cols: I64, sizes: tuple[int, ...]) -> I64:
    out = np.zeros(len(cols[0]), dtype=np.int64)
    for col, size in zip(cols, sizes, strict=True):
        out = out * size + col
    return out


def map_reference(problem: Problem, cand: Candidates, ref: Plan,
                  ref_problem: Problem | None) -> Reference:
    """Which candidate pairs the reference plan used, and what of it no longer fits."""
    c = cand.compiled
    n_needs = len(problem.needs)
    old_ids = ({n.id for n in ref_problem.needs} if ref_problem is not None
               else set(ref.met) | {u.need for u in ref.unmet})
    common = np.array([n.id in old_ids for n in problem.needs], dtype=bool)
    role_of = {(i, r.skill): j for i, n in enumerate(problem.needs) for j, r in enumerate(n.roles)}
    n_v, n_u, n_f = len(problem.volunteers), len(problem.venues), len(problem.funds)
    max_roles = max((len(n.roles) for n in problem.needs), default=0) + 1
    lost = 0
    lost_needs: set[int] = set()

    def miss(need_id: str) -> None:
        nonlocal lost
        i = c.need_index.get(need_id)
        if i is not None and common[i]:
            lost += 1
            lost_needs.add(i)

    want_v: dict[int, list[str]] = {}
    for a in ref.assignments:
        i, v = c.need_index.get(a.need), c.vol_index.get(a.volunteer)
        j = role_of.get((i, a.skill)) if i is not None else None
        if i is None or v is None or j is None:
            miss(a.need)
            continue
        want_v.setdefault((i * max_roles + j) * max(n_v, 1) + v, []).append(a.need)
    v_keys = _keys(cand.v_need, cand.v_role, cand.v_vol, sizes=(n_needs, max_roles, max(n_v, 1)))
    v_mask = np.isin(v_keys, np.fromiter(want_v, dtype=np.int64, count=len(want_v)))
    for key in set(want_v) - set(v_keys[v_mask].tolist()):
        for need_id in want_v[key]:
            miss(need_id)

    want_u: dict[int, str] = {}
    for b in ref.bookings:
        i, u = c.need_index.get(b.need), c.venue_index.get(b.venue)
        if i is None or u is None:
            miss(b.need)
            continue
        want_u[i * max(n_u, 1) + u] = b.need
    u_keys = _keys(cand.u_need, cand.u_venue, sizes=(n_needs, max(n_u, 1)))
    u_mask = np.isin(u_keys, np.array(list(want_u), dtype=np.int64))
    for key in set(want_u) - set(u_keys[u_mask].tolist()):
        miss(want_u[key])

    amounts: dict[int, int] = {}
    need_of: dict[int, str] = {}
    for gr in ref.grants:
        i, f = c.need_index.get(gr.need), c.fund_index.get(gr.fund)
        if i is None or f is None:
            miss(gr.need)
            continue
        amounts[i * max(n_f, 1) + f] = gr.amount
        need_of[i * max(n_f, 1) + f] = gr.need
    f_keys = _keys(cand.f_need, cand.f_fund, sizes=(n_needs, max(n_f, 1)))
    want_keys = np.fromiter(amounts, dtype=np.int64, count=len(amounts))
    want_amounts = np.fromiter(amounts.values(), dtype=np.int64, count=len(amounts))
    order = np.argsort(want_keys)
    want_keys, want_amounts = want_keys[order], want_amounts[order]
    pos = np.clip(np.searchsorted(want_keys, f_keys), 0, max(0, len(want_keys) - 1))
    hit = (want_keys[pos] == f_keys) if len(want_keys) else np.zeros(len(f_keys), dtype=bool)
    g = np.where(hit, want_amounts[pos] if len(want_keys) else 0, 0).astype(np.int64)
    for key in set(amounts) - set(f_keys[hit].tolist()):
        miss(need_of[key])
    # A grant above what the pair may give now (fund shrunk, funding lowered) stays in the
    # reference (a new amount is one change, SPEC) but its need is touched; `repair` drops it.
    for k in np.flatnonzero(g > cand.f_cap).tolist():
        lost_needs.add(int(cand.f_need[k]))
    met_ids = set(ref.met)
    was_met = np.array([n.id in met_ids for n in problem.needs], dtype=bool)
    return Reference(common, v_mask, u_mask, g, lost, lost_needs, was_met,
                     common[cand.v_need], common[cand.u_need], common[cand.f_need])


# --- repair ----------------------------------------------------------------------------------


def _spans(sorted_need: I64, n: int) -> tuple[I64, I64]:
    """[lo, hi) of each need's pairs (pair arrays are sorted by need)."""
    idx = np.arange(n)
    return (np.searchsorted(sorted_need, idx, side="left"),
            np.searchsorted(sorted_need, idx, side="right"))


@dataclass
class Spans:
    v: tuple[I64, I64]
    u: tuple[I64, I64]
    f: tuple[I64, I64]

    @classmethod
    def of(cls, cand: Candidates) -> Spans:
        n = len(cand.compiled.problem.needs)
        return cls(_spans(cand.v_need, n), _spans(cand.u_need, n), _spans(cand.f_need, n))

    def vr(self, i: int) -> slice:
        return slice(int(self.v[0][i]), int(self.v[1][i]))

    def ur(self, i: int) -> slice:
        return slice(int(self.u[0][i]), int(self.u[1][i]))

    def fr(self, i: int) -> slice:
        return slice(int(self.f[0][i]), int(self.f[1][i]))


def repair(problem: Problem, cand: Candidates, ref: Reference, possible: NDArray[np.bool_],
           spans: Spans) -> tuple[Solution, set[int]]:
    """The reference made valid for the problem as it is now, and the needs it dropped.

    A need keeps its reference items only when they still meet it on their own; clashes
    that a changed need or volunteer brings (overlaps, hours, double bookings, fund amounts)
    are resolved by dropping the lighter need. Dropping only frees resources, so one pass per
    kind of clash ends valid.
    """
    c = cand.compiled
    n = len(problem.needs)
    v, u, g = ref.v.copy(), ref.u.copy(), ref.g.copy()
    has = np.zeros(n, dtype=bool)
    has[cand.v_need[v]] = True
    has[cand.u_need[u]] = True
    has[cand.f_need[g > 0]] = True
    met = has & possible
    max_roles = max((len(x.roles) for x in problem.needs), default=0) + 1
    staffed = np.bincount(cand.v_need[v] * max_roles + cand.v_role[v],
                          minlength=n * max_roles).reshape(n, max_roles)
    booked = np.bincount(cand.u_need[u], minlength=n)
    granted = np.bincount(cand.f_need, weights=g, minlength=n).astype(np.int64)
    too_much = np.zeros(n, dtype=bool)
    too_much[cand.f_need[g > cand.f_cap]] = True
    met &= ~too_much
    for i in np.flatnonzero(met).tolist():
        need = problem.needs[i]
        ok = all(role.minimum <= staffed[i, j] <= role.count for j, role in enumerate(need.roles))
        ok = ok and (need.venue is None or booked[i] == 1)
        ok = ok and int(granted[i]) == need.funding
        met[i] = ok
    dropped = {int(i) for i in np.flatnonzero(has & ~met)}
    sol = Solution(met, v & met[cand.v_need], u & met[cand.u_need],
                   np.where(met[cand.f_need], g, 0))
    w = c.weight

    def drop(i: int) -> None:
        sol.met[i] = False
        sol.v[spans.vr(i)] = False
        sol.u[spans.ur(i)] = False
        sol.g[spans.fr(i)] = 0
        dropped.add(i)

    # Volunteers: no overlapping needs, hours within the limit; venues: no double booking.
    per_vol: dict[int, list[int]] = {}
    for k in np.flatnonzero(sol.v).tolist():
        per_vol.setdefault(int(cand.v_vol[k]), []).append(int(cand.v_need[k]))
    for vol, needs in per_vol.items():
        if len(needs) != len(set(needs)):  # one volunteer on two roles of a need (rule 5)
            for i in {i for i in needs if needs.count(i) > 1}:
                drop(i)
        _drop_clashes([i for i in set(needs) if sol.met[i]], c, w, drop, int(c.vol_max_s[vol]))
    per_venue: dict[int, list[int]] = {}
    for k in np.flatnonzero(sol.u).tolist():
        per_venue.setdefault(int(cand.u_venue[k]), []).append(int(cand.u_need[k]))
    for needs in per_venue.values():
        _drop_clashes([i for i in set(needs) if sol.met[i]], c, w, drop, -1)
    spent = np.bincount(cand.f_fund, weights=sol.g, minlength=len(problem.funds))
    for f in np.flatnonzero(spent > c.fund_amount).tolist():
        users = sorted({int(i) for i in cand.f_need[(cand.f_fund == f) & (sol.g > 0)]},
                       key=lambda i: (int(w[i]), i))
        left = int(spent[f])
        for i in users:
            if left <= int(c.fund_amount[f]):
                break
            left -= int(sol.g[spans.fr(i)][cand.f_fund[spans.fr(i)] == f].sum())
            drop(i)
    return sol, dropped


def _drop_clashes(alive: list[int], c: Compiled, w: I64, drop: Any, cap_s: int) -> None:
    """Among one resource's needs, drop the lighter of overlapping ones, then the lightest
    while an hours cap is exceeded."""
    keep: list[int] = []
    for i in sorted(alive, key=lambda i: (int(c.need_start[i]), i)):
        clash = [k for k in keep if int(c.need_start[i]) < int(c.need_end[k])
                 and int(c.need_start[k]) < int(c.need_end[i])]
        if not clash:
            keep.append(i)
        elif all((int(w[i]), -i) > (int(w[k]), -k) for k in clash):
            for k in clash:
                drop(k)
                keep.remove(k)
            keep.append(i)
        else:
            drop(i)
    if cap_s >= 0:
        for i in sorted(keep, key=lambda i: (int(w[i]), i)):
            if sum(int(c.need_dur[k]) for k in keep) <= cap_s:
                break
            drop(i)
            keep.remove(i)
