"""A fast greedy plan over a subproblem: the warm start (solution hint) for CP-SAT.

Highest weight first; for each need the nearest free volunteers per role, the nearest free
venue and the funds with the most left. It respects every rule, so its plan is valid on its
own and gives the solver a first incumbent within milliseconds.
"""

from __future__ import annotations

import numpy as np

from matcher.solver.cpsat import Solution, SubProblem


def greedy(sp: SubProblem, order: list[int] | None = None) -> Solution:
    """One greedy pass over needs in `order` (default: heaviest first), nearest first."""
    n = len(sp.needs)
    met = np.zeros(n, dtype=bool)
    v_on = np.zeros(len(sp.v_vol), dtype=bool)
    u_on = np.zeros(len(sp.u_venue), dtype=bool)
    g = np.zeros(len(sp.f_fund), dtype=np.int64)

    v_by_need: dict[int, list[int]] = {}
    for k, i in enumerate(sp.v_need.tolist()):
        v_by_need.setdefault(i, []).append(k)  # pair arrays are sorted by (need, role, dist)
    u_by_need: dict[int, list[int]] = {}
    for k, i in enumerate(sp.u_need.tolist()):
        u_by_need.setdefault(i, []).append(k)
    f_by_need: dict[int, list[int]] = {}
    for k, i in enumerate(sp.f_need.tolist()):
        f_by_need.setdefault(i, []).append(k)

    starts, ends = sp.start.tolist(), sp.end.tolist()
    vol_busy: dict[int, list[tuple[int, int]]] = {}
    vol_used_s: dict[int, int] = {}
    venue_busy: dict[int, list[tuple[int, int]]] = {}
    fund_left = dict(sp.fund_amount)
    v_vol, v_role = sp.v_vol.tolist(), sp.v_role.tolist()
    u_venue = sp.u_venue.tolist()
    f_fund, f_cap = sp.f_fund.tolist(), sp.f_cap.tolist()

    def free(busy: list[tuple[int, int]], s: int, e: int) -> bool:
        return all(not (s < be and bs < e) for bs, be in busy)

    def vol_ok(v: int, s: int, e: int) -> bool:
        cap = sp.vol_max_s.get(v)
        if cap is not None and vol_used_s.get(v, 0) + (e - s) > cap:
            return False
        return free(vol_busy.get(v, []), s, e)

    pinned = {int(sp.v_need[ks[0]]) for ks in sp.pin_v} | {int(sp.u_need[k]) for k in sp.pin_u}
    pinned |= {int(sp.f_need[k]) for k, _ in sp.pin_f}
    if order is None:
        order = sorted(range(n), key=lambda i: (-int(sp.weight[i]), i))
    order = sorted(order, key=lambda i: i not in pinned)  # stable: pinned needs first
    pin_groups: dict[int, list[tuple[int, ...]]] = {}
    for pin_ks in sp.pin_v:
        need_pins = pin_groups.setdefault(int(sp.v_need[pin_ks[0]]), [])
        if pin_ks not in need_pins:
            need_pins.append(pin_ks)
    pin_u_of = {int(sp.u_need[k]): k for k in sp.pin_u}
    pin_f = dict(sp.pin_f)
    for i in order:
        s, e = starts[i], ends[i]
        chosen_v: list[int] = []
        used: set[int] = set()
        ok = True
        ks = v_by_need.get(i, [])
        # Pinned volunteers first (each in the role with room that misses the most), then
        # the nearest per role.
        for group in pin_groups.get(i, []):
            v = v_vol[group[0]]
            if v in used or not vol_ok(v, s, e):
                ok = False
                break
            best: tuple[tuple[int, int], int] | None = None
            for k in group:
                j = v_role[k]
                have = sum(1 for c in chosen_v if v_role[c] == j)
                if have < sp.role_count[i][j]:
                    key = (sp.role_min[i][j] - have, -k)
                    if best is None or key > best[0]:
                        best = (key, k)
            if best is None:
                ok = False
                break
            chosen_v.append(best[1])
            used.add(v)
        if not ok:
            continue
        for j, lo in enumerate(sp.role_min[i]):
            have = sum(1 for k in chosen_v if v_role[k] == j)
            for k in ks:
                if have >= lo:
                    break
                if v_role[k] != j or k in chosen_v or v_vol[k] in used:
                    continue
                if vol_ok(v_vol[k], s, e):
                    chosen_v.append(k)
                    used.add(v_vol[k])
                    have += 1
            if have < lo:
                ok = False
                break
        if not ok:
            continue
        chosen_u: int | None = None
        if sp.asks_venue[i]:
            options = [pin_u_of[i]] if i in pin_u_of else u_by_need.get(i, [])
            for k in options:
                if free(venue_busy.get(u_venue[k], []), s, e):
                    chosen_u = k
                    break
            if chosen_u is None:
                continue
        grants: dict[int, int] = {}
        need_f = int(sp.funding[i])
        if need_f > 0:
            fk = f_by_need.get(i, [])
            for k in fk:
                if k in pin_f:
                    amt = pin_f[k]
                    if fund_left[f_fund[k]] < amt or amt > need_f:
                        ok = False
                        break
                    grants[k] = amt
            if not ok:
                continue
            rest = need_f - sum(grants.values())
            for k in sorted(fk, key=lambda k: (-fund_left[f_fund[k]], k)):
                if rest <= 0:
                    break
                if k in grants:
                    continue
                amt = min(rest, f_cap[k], fund_left[f_fund[k]])
                if amt > 0:
                    grants[k] = amt
                    rest -= amt
            if rest != 0:
                continue
        # Commit.
        met[i] = True
        for k in chosen_v:
            v_on[k] = True
            vol_busy.setdefault(v_vol[k], []).append((s, e))
            vol_used_s[v_vol[k]] = vol_used_s.get(v_vol[k], 0) + (e - s)
        if chosen_u is not None:
            u_on[chosen_u] = True
            venue_busy.setdefault(u_venue[chosen_u], []).append((s, e))
        for k, amt in grants.items():
            g[k] = amt
            fund_left[f_fund[k]] -= amt

    # Fill: extra volunteers up to each role's count on met needs, heaviest needs first.
    for i in order:
        if not met[i]:
            continue
        s, e = starts[i], ends[i]
        used = {v_vol[k] for k in v_by_need.get(i, []) if v_on[k]}
        for j, hi in enumerate(sp.role_count[i]):
            have = sum(1 for k in v_by_need.get(i, []) if v_on[k] and v_role[k] == j)
            for k in v_by_need.get(i, []):
                if have >= hi:
                    break
                if v_role[k] != j or v_on[k] or v_vol[k] in used:
                    continue
                if vol_ok(v_vol[k], s, e):
                    v_on[k] = True
                    used.add(v_vol[k])
                    vol_busy.setdefault(v_vol[k], []).append((s, e))
                    vol_used_s[v_vol[k]] = vol_used_s.get(v_vol[k], 0) + (e - s)
                    have += 1
    return Solution(met=met, v=v_on, u=u_on, g=g)


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


def best_greedy(sp: SubProblem) -> Solution:
    """The best of a few greedy orders, by (coverage, fill, -travel)."""
    best: Solution | None = None
    best_key: tuple[int, int, int] | None = None
    for order in (None, _cost_order(sp), _scarce_order(sp)):
        sol = greedy(sp, order=order)
        key = (sp.stage_value("coverage", sol), sp.stage_value("fill", sol),
               -sp.stage_value("travel", sol))
        if best_key is None or key > best_key:
            best, best_key = sol, key
    assert best is not None
    return best
