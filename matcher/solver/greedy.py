"""A fast greedy plan over a subproblem: the warm start (solution hint) for CP-SAT.

Highest weight first; for each need the nearest free volunteers per role, the nearest free
venue and the funds with the most left. It respects every rule, so its plan is valid on its
own and gives the solver a first incumbent within milliseconds.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from matcher.solver.cpsat import Solution, SubProblem


def positions_by(keys: NDArray[np.int64]) -> dict[int, list[int]]:
    """For each key (a need, say), the positions holding it, in order: a pair list's pairs
    per need, nearest first as the candidates are sorted."""
    out: dict[int, list[int]] = {}
    for k, key in enumerate(keys.tolist()):
        out.setdefault(key, []).append(k)
    return out


class _Greedy:
    """The greedy's state: who is busy when, what each fund has left; needs added one by one."""

    def __init__(self, sp: SubProblem, fixed: Solution | None = None):
        self.sp = sp
        n = len(sp.needs)
        self.met = np.zeros(n, dtype=bool)
        self.v_on = np.zeros(len(sp.v_vol), dtype=bool)
        self.u_on = np.zeros(len(sp.u_venue), dtype=bool)
        self.g = np.zeros(len(sp.f_fund), dtype=np.int64)
        self.v_by_need = positions_by(sp.v_need)  # pairs sorted by (need, role, dist)
        self.u_by_need = positions_by(sp.u_need)
        self.f_by_need = positions_by(sp.f_need)
        self.starts, self.ends = sp.start.tolist(), sp.end.tolist()
        self.vol_busy: dict[int, list[tuple[int, int]]] = {}
        self.vol_used_s: dict[int, int] = {}
        self.venue_busy: dict[int, list[tuple[int, int]]] = {}
        self.fund_left = dict(sp.fund_amount)
        self.v_vol, self.v_role = sp.v_vol.tolist(), sp.v_role.tolist()
        self.u_venue = sp.u_venue.tolist()
        self.f_fund, self.f_cap = sp.f_fund.tolist(), sp.f_cap.tolist()
        self.pin_groups: dict[int, list[tuple[int, ...]]] = {}
        for pin_ks in sp.pin_v:
            need_pins = self.pin_groups.setdefault(int(sp.v_need[pin_ks[0]]), [])
            if pin_ks not in need_pins:
                need_pins.append(pin_ks)
        self.pin_u_of = {int(sp.u_need[k]): k for k in sp.pin_u}
        self.pin_f = dict(sp.pin_f)
        # Volunteers pinned elsewhere, by need: not to be taken for an overlapping need.
        self.pinned_at: dict[int, list[int]] = {}
        for pin_ks in sp.pin_v:
            self.pinned_at.setdefault(self.v_vol[pin_ks[0]], []).append(int(sp.v_need[pin_ks[0]]))
        if fixed is not None:
            fv: dict[int, list[int]] = {}
            for k in np.flatnonzero(fixed.v).tolist():
                fv.setdefault(int(sp.v_need[k]), []).append(k)
            fu = {int(sp.u_need[k]): k for k in np.flatnonzero(fixed.u).tolist()}
            fg: dict[int, dict[int, int]] = {}
            for k in np.flatnonzero(fixed.g > 0).tolist():
                fg.setdefault(int(sp.f_need[k]), {})[k] = int(fixed.g[k])
            for i in np.flatnonzero(fixed.met).tolist():
                self._commit(i, fv.get(i, []), fu.get(i), fg.get(i, {}))

    def _free(self, busy: list[tuple[int, int]], s: int, e: int) -> bool:
        return all(not (s < be and bs < e) for bs, be in busy)

    def _vol_ok(self, v: int, s: int, e: int, i: int) -> bool:
        cap = self.sp.vol_max_s.get(v)
        if cap is not None and self.vol_used_s.get(v, 0) + (e - s) > cap:
            return False
        if not self._free(self.vol_busy.get(v, []), s, e):
            return False
        # Keep a volunteer pinned to another, overlapping need for that need.
        return all(n == i or self.met[n] or not (s < self.ends[n] and self.starts[n] < e)
                   for n in self.pinned_at.get(v, []))

    def _commit(self, i: int, chosen_v: list[int], chosen_u: int | None,
                grants: dict[int, int]) -> None:
        s, e = self.starts[i], self.ends[i]
        self.met[i] = True
        for k in chosen_v:
            self.v_on[k] = True
            self.vol_busy.setdefault(self.v_vol[k], []).append((s, e))
            self.vol_used_s[self.v_vol[k]] = self.vol_used_s.get(self.v_vol[k], 0) + (e - s)
        if chosen_u is not None:
            self.u_on[chosen_u] = True
            self.venue_busy.setdefault(self.u_venue[chosen_u], []).append((s, e))
        for k, amt in grants.items():
            self.g[k] = amt
            self.fund_left[self.f_fund[k]] -= amt

    def add(self, i: int) -> bool:
        """Meet need `i` if its pins and minimums can be had now; True when it is met."""
        sp = self.sp
        if self.met[i]:
            return True
        s, e = self.starts[i], self.ends[i]
        v_vol, v_role = self.v_vol, self.v_role
        chosen_v: list[int] = []
        used: set[int] = set()
        ks = self.v_by_need.get(i, [])
        # Pinned volunteers first (each in the role with room that misses the most), then
        # the nearest per role.
        for group in self.pin_groups.get(i, []):
            v = v_vol[group[0]]
            if v in used or not self._vol_ok(v, s, e, i):
                return False
            best: tuple[tuple[int, int], int] | None = None
            for k in group:
                j = v_role[k]
                have = sum(1 for c in chosen_v if v_role[c] == j)
                if have < sp.role_count[i][j]:
                    key = (sp.role_min[i][j] - have, -k)
                    if best is None or key > best[0]:
                        best = (key, k)
            if best is None:
                return False
            chosen_v.append(best[1])
            used.add(v)
        for j, lo in enumerate(sp.role_min[i]):
            have = sum(1 for k in chosen_v if v_role[k] == j)
            for k in ks:
                if have >= lo:
                    break
                if v_role[k] != j or k in chosen_v or v_vol[k] in used:
                    continue
                if self._vol_ok(v_vol[k], s, e, i):
                    chosen_v.append(k)
                    used.add(v_vol[k])
                    have += 1
            if have < lo:
                return False
        chosen_u: int | None = None
        if sp.asks_venue[i]:
            options = [self.pin_u_of[i]] if i in self.pin_u_of else self.u_by_need.get(i, [])
            for k in options:
                if self._free(self.venue_busy.get(self.u_venue[k], []), s, e):
                    chosen_u = k
                    break
            if chosen_u is None:
                return False
        grants: dict[int, int] = {}
        need_f = int(sp.funding[i])
        if need_f > 0:
            fk = self.f_by_need.get(i, [])
            left = self.fund_left
            for k in fk:
                if k in self.pin_f:
                    amt = self.pin_f[k]
                    if left[self.f_fund[k]] < amt or amt > need_f:
                        return False
                    grants[k] = amt
            rest = need_f - sum(grants.values())
            for k in sorted(fk, key=lambda k: (-left[self.f_fund[k]], k)):
                if rest <= 0:
                    break
                if k in grants:
                    continue
                amt = min(rest, self.f_cap[k], left[self.f_fund[k]])
                if amt > 0:
                    grants[k] = amt
                    rest -= amt
            if rest != 0:
                return False
        self._commit(i, chosen_v, chosen_u, grants)
        return True

    def fill(self, order: list[int]) -> None:
        """Extra volunteers up to each role's count on met needs, in `order`."""
        sp = self.sp
        v_vol, v_role = self.v_vol, self.v_role
        for i in order:
            if not self.met[i]:
                continue
            s, e = self.starts[i], self.ends[i]
            pairs = self.v_by_need.get(i, [])
            used = {v_vol[k] for k in pairs if self.v_on[k]}
            for j, hi in enumerate(sp.role_count[i]):
                have = sum(1 for k in pairs if self.v_on[k] and v_role[k] == j)
                for k in pairs:
                    if have >= hi:
                        break
                    if v_role[k] != j or self.v_on[k] or v_vol[k] in used:
                        continue
                    if self._vol_ok(v_vol[k], s, e, i):
                        self.v_on[k] = True
                        used.add(v_vol[k])
                        self.vol_busy.setdefault(v_vol[k], []).append((s, e))
                        self.vol_used_s[v_vol[k]] = self.vol_used_s.get(v_vol[k], 0) + (e - s)
                        have += 1

    def solution(self) -> Solution:
        return Solution(met=self.met.copy(), v=self.v_on.copy(), u=self.u_on.copy(),
                        g=self.g.copy())


def _pinned_needs(sp: SubProblem) -> set[int]:
    pinned = {int(sp.v_need[ks[0]]) for ks in sp.pin_v} | {int(sp.u_need[k]) for k in sp.pin_u}
    return pinned | {int(sp.f_need[k]) for k, _ in sp.pin_f}


def greedy(sp: SubProblem, order: list[int] | None = None,
           fixed: Solution | None = None) -> Solution:
    """One greedy pass over needs in `order` (default: heaviest first), nearest first.

    With `fixed`, the needs it meets stay as they are and the rest is added around them.
    """
    n = len(sp.needs)
    state = _Greedy(sp, fixed)
    pinned = _pinned_needs(sp)
    if order is None:
        order = sorted(range(n), key=lambda i: (-int(sp.weight[i]), i))
    order = sorted(order, key=lambda i: i not in pinned)  # stable: pinned needs first
    for i in order:
        state.add(i)
    state.fill(order)
    return state.solution()


def fair_greedy(sp: SubProblem, fixed: Solution | None = None) -> Solution:
    """Greedy for fairness: always the group with the smallest met share next, its heaviest
    need not yet tried (pinned needs first), then coverage with what is left."""
    assert sp.group is not None and sp.group_total is not None
    state = _Greedy(sp, fixed)
    n = len(sp.needs)
    pinned = _pinned_needs(sp)
    for i in sorted(pinned):
        state.add(i)
    totals = sp.group_total
    got = dict.fromkeys(totals, 0)
    for i in np.flatnonzero(state.met).tolist():
        got[int(sp.group[i])] += int(sp.weight[i])
    queue: dict[int, list[int]] = {}
    for i in sorted(range(n), key=lambda i: (-int(sp.weight[i]), i)):
        if not state.met[i]:
            queue.setdefault(int(sp.group[i]), []).append(i)
    import heapq

    heap = [(Fraction(got[g], totals[g]), g) for g in queue]
    heapq.heapify(heap)
    while heap:
        _, g = heapq.heappop(heap)
        todo = queue[g]
        while todo:
            i = todo.pop(0)
            if state.add(i):
                got[g] += int(sp.weight[i])
                break
        if todo:
            heapq.heappush(heap, (Fraction(got[g], totals[g]), g))
    order = sorted(range(n), key=lambda i: (-int(sp.weight[i]), i))
    state.fill(order)
    return state.solution()


def _cost_order(sp: SubProblem) -> list[int]:
    """Heaviest per unit of scarce resource first: weight per share of the funds a need could
    draw on and per volunteer-hour it takes (a knapsack's greedy order)."""
    n = len(sp.needs)
    funded = sp.funding[sp.funding > 0]
    money = sp.funding / (float(funded.mean()) if len(funded) else 1.0)
    hours = (sp.end - sp.start) / 3600.0 * np.array([sum(r) for r in sp.role_min] or [0])
    staffed = hours[hours > 0]
    cost = money + hours / (float(staffed.mean()) if len(staffed) else 1.0)
    cost = np.where(cost > 0, cost, 1.0)
    ratio = sp.weight / cost
    return sorted(range(n), key=lambda i: (-float(ratio[i]), -int(sp.weight[i]), i))


def _scarce_order(sp: SubProblem) -> list[int]:
    """Heaviest first, and among equals the needs with the fewest candidates first."""
    n = len(sp.needs)
    cands = np.bincount(sp.v_need, minlength=n) + np.bincount(sp.u_need, minlength=n)
    return sorted(range(n), key=lambda i: (-int(sp.weight[i]), int(cands[i]), i))


def _start_order(sp: SubProblem) -> list[int]:
    """Heaviest first, and among equals the earliest start first: the order in which a
    greedy colours an interval graph with the fewest colours (volunteers), so it meets every
    need of equal weight when any volunteer could do any of them."""
    n = len(sp.needs)
    return sorted(range(n), key=lambda i: (-int(sp.weight[i]), int(sp.start[i]), i))


def greedy_starts(sp: SubProblem, fixed: Solution | None = None) -> list[Solution]:
    """The greedy plans of a few orders (a fairness-first one too when fairness is asked
    for), best first by SPEC's stage order (`SubProblem.rank`; ties keep this order)."""
    cands = [greedy(sp, order=order, fixed=fixed)
             for order in (None, _cost_order(sp), _scarce_order(sp), _start_order(sp))]
    if sp.group is not None:
        cands.append(fair_greedy(sp, fixed=fixed))
    ranks = [sp.rank(c) for c in cands]
    order = sorted(range(len(cands)), key=lambda k: ranks[k], reverse=True)
    # sorted() is stable with reverse=True too: among equal ranks the earlier order first.
    return [cands[k] for k in order]


def best_greedy(sp: SubProblem, fixed: Solution | None = None) -> Solution:
    """The best of the greedy orders of `greedy_starts`."""
    return greedy_starts(sp, fixed)[0]
