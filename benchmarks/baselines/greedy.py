"""Greedy baseline: what a coordinator does by hand.

1. Needs are taken one at a time: pinned needs first, then by weight (priority), highest
   first; ties by start time, then document order.
2. For each need, every role gets its pinned volunteers, then the nearest free volunteers
   with the skill until `min_count` is reached; "free" means SPEC's rules hold with what is
   already handed out: within the volunteer's travel limit, inside their availability, no
   overlap with their other needs, within their hours, not forbidden, one role per need.
3. A venue that asks for one gets its pinned venue, else the nearest free venue that fits
   (features, capacity, distance, opening windows, no double booking, not forbidden).
4. Funding is pooled: pinned grants first, then the eligible funds, earmarked ones first
   (funds with categories or regions before general ones), largest balance first.
5. If anything is missing, the need gets nothing (everything tentatively taken is released)
   and stays unmet. Nothing is ever revisited.
6. A second pass gives every met need extra volunteers up to each role's `count` (nearest
   free first), in the same order, which only raises fill.

No search, no look-ahead, no bound: the plan's bound is the trivial one (every need met).
If a pinned need cannot be met this way, the baseline gives up on the whole problem and
returns an `infeasible` plan that assigns nothing (`stats.gave_up`): a coordinator would
have to call someone. It does not use `matcher.solver`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.baselines.common import Arrays, make_plan
from matcher.derived import haversine_m
from matcher.model import Plan, Problem


def solve(problem: Problem, time_limit: float) -> tuple[Plan, list[dict[str, Any]]]:
    t0 = time.monotonic()
    deadline = t0 + time_limit
    a = Arrays.build(problem)
    p = problem
    n_v, n_u, n_f = len(p.volunteers), len(p.venues), len(p.funds)
    busy_v: list[list[tuple[int, int]]] = [[] for _ in range(n_v)]
    used_s = np.zeros(n_v, dtype=np.float64)
    busy_u: list[list[tuple[int, int]]] = [[] for _ in range(n_u)]
    left_f = a.f_amount.copy()
    restricted = np.array([bool(f.categories or f.regions) for f in p.funds], dtype=bool)

    pin_v: dict[int, list[int]] = {}
    pin_u: dict[int, int] = {}
    pin_f: dict[int, list[tuple[int, int]]] = {}
    for pin in p.pins:
        i = a.need_index[pin.need]
        if pin.volunteer is not None:
            pin_v.setdefault(i, []).append(a.vol_index[pin.volunteer])
        elif pin.venue is not None:
            pin_u[i] = a.venue_index[pin.venue]
        elif pin.fund is not None and pin.amount is not None:
            pin_f.setdefault(i, []).append((a.fund_index[pin.fund], pin.amount))
    pinned = set(pin_v) | set(pin_u) | set(pin_f)

    def free(busy: list[tuple[int, int]], s: int, e: int) -> bool:
        return all(not (s < be and bs < e) for bs, be in busy)

    def vol_candidates(i: int, skill: str) -> np.ndarray:
        """Volunteers with the skill that pass rules 2 and 3 for need i, nearest first."""
        vs = a.skill_vols.get(skill)
        if vs is None or not len(vs):
            return np.zeros(0, dtype=np.int64)
        d = haversine_m(a.v_lat[vs], a.v_lon[vs], a.n_lat[i], a.n_lon[i])
        near = d <= a.v_lim[vs]
        vs, d = vs[near], d[near]
        ok = a.vol_fits(vs, int(a.n_start[i]), int(a.n_end[i]))
        order = np.argsort(d[ok], kind="stable")
        return vs[ok][order]

    def vol_free(v: int, i: int, s: int, e: int, taken: set[int]) -> bool:
        return (v not in taken and (i, v) not in a.forbid_v and free(busy_v[v], s, e)
                and used_s[v] + (e - s) <= a.v_max_s[v])

    def try_need(i: int, fill_only: bool = False) -> tuple[bool, list[Any], Any, list[Any]]:
        n = p.needs[i]
        s, e = int(a.n_start[i]), int(a.n_end[i])
        taken: set[int] = set()
        roles: list[tuple[int, int]] = []  # (volunteer, role)
        for v in pin_v.get(i, []) if not fill_only else []:
            r_ok = [r for r, role in enumerate(n.roles) if role.skill in p.volunteers[v].skills
                    and sum(1 for _, rr in roles if rr == r) < role.count]
            d = int(haversine_m(a.v_lat[v], a.v_lon[v], a.n_lat[i], a.n_lon[i]))
            fits = bool(a.vol_fits(np.array([v]), s, e)[0])
            if not r_ok or d > a.v_lim[v] or not fits or not vol_free(v, i, s, e, taken):
                return False, [], None, []
            roles.append((v, r_ok[0]))
            taken.add(v)
        for r, role in enumerate(n.roles):
            have = sum(1 for _, rr in roles if rr == r)
            want = role.minimum
            if have >= want:
                continue
            for v in vol_candidates(i, role.skill):
                v = int(v)
                if have >= want:
                    break
                if vol_free(v, i, s, e, taken):
                    roles.append((v, r))
                    taken.add(v)
                    have += 1
            if have < want:
                return False, [], None, []
        booking = None
        if n.venue is not None:
            if i in pin_u:
                u = pin_u[i]
                ok, _ = a.venue_ok(i, np.array([u]))
                if not ok[0] or not free(busy_u[u], s, e):
                    return False, [], None, []
                booking = u
            else:
                us = np.arange(n_u, dtype=np.int64)
                if n_u:
                    ok, du = a.venue_ok(i, us)
                    for uu in us[ok][np.argsort(du[ok], kind="stable")]:
                        if free(busy_u[int(uu)], s, e):
                            booking = int(uu)
                            break
                if booking is None:
                    return False, [], None, []
        grants: list[tuple[int, int]] = []
        need_amt = n.funding
        for f, amt in pin_f.get(i, []):
            if not a.fund_ok(f, i) or left_f[f] < amt or amt > need_amt:
                return False, [], None, []
            grants.append((f, amt))
            need_amt -= amt
        if need_amt > 0:
            fs = [f for f in range(n_f) if left_f[f] > 0 and a.fund_ok(f, i)
                  and f not in {g for g, _ in grants}]
            fs.sort(key=lambda f: (not restricted[f], -int(left_f[f]), f))
            for f in fs:
                if need_amt == 0:
                    break
                take = int(min(left_f[f], need_amt))
                grants.append((f, take))
                need_amt -= take
            if need_amt > 0:
                return False, [], None, []
        return True, roles, booking, grants

    order = sorted(range(len(p.needs)),
                   key=lambda i: (i not in pinned, -int(a.weight[i]), int(a.n_start[i]), i))
    met: list[int] = []
    assign: list[tuple[int, int, int]] = []
    book: list[tuple[int, int]] = []
    grants_out: list[tuple[int, int, int]] = []
    staffed: dict[int, list[tuple[int, int]]] = {}
    gave_up = False
    timed_out = False
    for i in order:
        if time.monotonic() > deadline:
            timed_out = True
            if any(j in pinned and j not in met for j in order):
                gave_up = True
            break
        ok, roles, booking, grants = try_need(i)
        if not ok:
            if i in pinned:
                gave_up = True
                break
            continue
        s, e = int(a.n_start[i]), int(a.n_end[i])
        for v, r in roles:
            busy_v[v].append((s, e))
            used_s[v] += e - s
            assign.append((v, i, r))
        staffed[i] = list(roles)
        if booking is not None:
            busy_u[booking].append((s, e))
            book.append((booking, i))
        for f, amt in grants:
            left_f[f] -= amt
            grants_out.append((f, i, amt))
        met.append(i)

    # Second pass: extra volunteers up to count (fill).
    if not gave_up:
        for i in met:
            if time.monotonic() > deadline:
                timed_out = True
                break
            n = p.needs[i]
            s, e = int(a.n_start[i]), int(a.n_end[i])
            taken = {v for v, _ in staffed[i]}
            for r, role in enumerate(n.roles):
                have = sum(1 for _, rr in staffed[i] if rr == r)
                if have >= role.count:
                    continue
                for v in vol_candidates(i, role.skill):
                    v = int(v)
                    if have >= role.count:
                        break
                    if vol_free(v, i, s, e, taken):
                        busy_v[v].append((s, e))
                        used_s[v] += e - s
                        assign.append((v, i, r))
                        staffed[i].append((v, r))
                        taken.add(v)
                        have += 1

    elapsed = time.monotonic() - t0
    stats: dict[str, Any] = {"seconds": round(elapsed, 3), "method": "greedy"}
    if timed_out:
        stats["note"] = "time limit reached before every need was tried"
    if gave_up:
        stats["gave_up"] = True
        stats["note"] = "a pinned need could not be met greedily"
        plan = make_plan(p, "greedy", [], [], [], [], "infeasible", None, None, stats)
        return plan, [{"elapsed": elapsed, "coverage": None, "bound": None}]
    plan = make_plan(p, "greedy", met, assign, book, grants_out, "feasible", None, None, stats)
    hist = [{"elapsed": elapsed, "coverage": plan.objective.coverage, "bound": None}]
    return plan, hist
