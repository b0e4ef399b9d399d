"""Reasons a coordinator can act on, for every need left unmet.

Three kinds, told apart:
(a) nothing could ever serve it: a requirement with too few candidates, naming the filter
    that removed them (skill, reach, free window, opening hours, earmark, expiry);
(b) it could be served, but its volunteers, venue or funds went to other needs: the
    resources and those needs, with their weights;
(c) pins made it impossible: a resource it needs is pinned elsewhere, or the pins
    themselves cannot all hold.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from matcher.derived import (
    distance_m,
    epoch,
    fairness_value,
    fits,
    fund_eligible,
    limit_m,
    windows,
)
from matcher.model import Need, Plan, PlanBound, PlanObjective, Problem, Unmet
from matcher.solver.candidates import Candidates

MAX_NAMED = 4


def _window(need: Need) -> str:
    s, e = need.start, need.end
    fmt = "%Y-%m-%d %H:%M"
    end = e.strftime("%H:%M") if s.date() == e.date() else e.strftime(fmt)
    return f"{s.strftime(fmt)}-{end}"


def _money(problem: Problem, minor: int) -> str:
    return f"{minor / 100:,.2f} {problem.currency}"


def _date(t: datetime) -> str:
    return t.strftime("%Y-%m-%d")


def _names(items: list[str]) -> str:
    if len(items) <= MAX_NAMED:
        return ", ".join(items)
    return ", ".join(items[:MAX_NAMED]) + f" and {len(items) - MAX_NAMED} more"


# --- (a) structural ----------------------------------------------------------------------------


def structural_reasons(problem: Problem, cand: Candidates, i: int) -> list[str]:
    """Requirements of need `i` that too few candidates could ever serve."""
    need = problem.needs[i]
    out: list[str] = []
    for j, role in enumerate(need.roles):
        d = cand.role_diag[(i, j)]
        lo, sk = role.minimum, role.skill
        if d.final >= lo:
            continue
        if d.skill < lo:
            out.append(f"only {d.skill} volunteer(s) have skill {sk!r} (min_count {lo})")
        elif d.reach < lo:
            out.append(f"only {d.reach} volunteer(s) with skill {sk!r} live within their travel "
                       f"limit of it (min_count {lo})")
        elif d.free < lo:
            out.append(f"only {d.free} volunteer(s) with skill {sk!r} can reach it and are free "
                       f"{_window(need)} with hours to spare (min_count {lo})")
        else:
            out.append(f"only {d.final} volunteer(s) with skill {sk!r} can serve it once forbids "
                       f"are applied (min_count {lo})")
    if need.venue is not None:
        vr = need.venue
        vd = cand.venue_diag[i]
        what = f"features {sorted(vr.features)} and capacity >= {vr.capacity}"
        if vd.fit == 0:
            out.append(f"no venue has {what}")
        elif vd.near == 0:
            out.append(f"no venue with {what} within {vr.max_distance_km:g} km")
        elif vd.open == 0:
            out.append(f"no venue with {what} within {vr.max_distance_km:g} km is open "
                       f"{_window(need)}")
        elif vd.final == 0:
            out.append("every venue that could host it is forbidden for it")
    if need.funding > 0 and cand.fund_total[i] < need.funding:
        if cand.fund_count[i] == 0:
            out.append(f"no fund is eligible for category {need.category!r}, region "
                       f"{need.region!r} on {_date(need.start)}")
        else:
            out.append(f"eligible funds hold only {_money(problem, int(cand.fund_total[i]))} of "
                       f"the {_money(problem, need.funding)} it needs")
    return out


def why_not_volunteer(problem: Problem, cand: Candidates, vid: str, i: int) -> str:
    """Why volunteer `vid` can never serve need `i` (for a pin that cannot hold)."""
    c = cand.compiled
    v = problem.volunteers[c.vol_index[vid]]
    need = problem.needs[i]
    prefix = f"pin of volunteer {vid} to need {need.id} cannot hold: "
    skills = {r.skill for r in need.roles} & set(v.skills)
    if not need.roles:
        return prefix + "the need has no roles"
    if not skills:
        return prefix + f"{vid} has none of the skills {sorted(r.skill for r in need.roles)}"
    d = distance_m(v.location, need.location)
    if d > int(limit_m(v.max_travel_km)):
        return prefix + f"{vid} is {d / 1000:.1f} km away, beyond max_travel_km {v.max_travel_km:g}"
    if not fits([epoch(need.start)], [epoch(need.end)], windows(v.availability))[0]:
        return prefix + f"{vid} is not free {_window(need)}"
    if v.max_hours is not None and epoch(need.end) - epoch(need.start) > 3600 * v.max_hours:
        return prefix + f"the need lasts longer than {vid}'s max_hours {v.max_hours:g}"
    return prefix + f"{vid} is forbidden for it"


def why_not_venue(problem: Problem, cand: Candidates, uid: str, i: int) -> str:
    c = cand.compiled
    u = problem.venues[c.venue_index[uid]]
    need = problem.needs[i]
    prefix = f"pin of venue {uid} to need {need.id} cannot hold: "
    vr = need.venue
    if vr is None:
        return prefix + "the need asks for no venue"
    missing = sorted(set(vr.features) - set(u.features))
    if missing:
        return prefix + f"{uid} lacks {missing}"
    if u.capacity < vr.capacity:
        return prefix + f"{uid} holds {u.capacity}, the need asks for {vr.capacity}"
    d = distance_m(u.location, need.location)
    if d > int(limit_m(vr.max_distance_km)):
        return prefix + f"{uid} is {d / 1000:.1f} km away, beyond {vr.max_distance_km:g} km"
    if not fits([epoch(need.start)], [epoch(need.end)], windows(u.availability))[0]:
        return prefix + f"{uid} is not open {_window(need)}"
    return prefix + f"{uid} is forbidden for it"


def why_not_fund(problem: Problem, cand: Candidates, fid: str, i: int) -> str:
    c = cand.compiled
    f = problem.funds[c.fund_index[fid]]
    need = problem.needs[i]
    prefix = f"pin of fund {fid} to need {need.id} cannot hold: "
    if need.funding == 0:
        return prefix + "the need asks for no funding"
    if not fund_eligible(f.categories, f.regions, None, need.category, need.region, 0):
        return prefix + (f"{fid} is earmarked for categories {f.categories} and regions "
                         f"{f.regions}, the need is {need.category!r} in {need.region!r}")
    if f.expires is not None and need.start > f.expires:
        return prefix + f"{fid} expires {_date(f.expires)}, before the need starts"
    return prefix + f"{fid} is forbidden for it"


def infeasible_plan(problem: Problem, cand: Candidates, pins: list[tuple[int, str]]) -> Plan:
    """SPEC: an infeasible plan assigns nothing and lists why."""
    by_need: dict[str, list[str]] = {}
    for p, why in pins:
        pin = problem.pins[p]
        target = (f"volunteer {pin.volunteer}" if pin.volunteer else
                  f"venue {pin.venue}" if pin.venue else f"{pin.amount} from fund {pin.fund}")
        text = why if why.startswith("pin") else f"pin of {target} to need {pin.need}: {why}"
        by_need.setdefault(pin.need, []).append(text)
    summary = "; ".join(t for texts in by_need.values() for t in texts)
    unmet = []
    for n in problem.needs:
        reasons = by_need.get(n.id) or [
            f"nothing was assigned because the pins cannot all hold ({summary}); remove or "
            "change those pins"]
        unmet.append(Unmet(need=n.id, reasons=reasons))
    # SPEC: `objective` holds the plan's own values, fairness too when asked for; a plan
    # that meets nothing has fairness 0 (or 1 with no needs), and that is also its bound.
    fair = None
    if problem.objective.fairness is not None:
        fair = float(fairness_value(problem, [False] * len(problem.needs),
                                    problem.objective.fairness.region_depth))
    return Plan(problem=problem.name, status="infeasible",
                objective=PlanObjective(fairness=fair),
                bound=PlanBound(coverage=0, fairness=fair), unmet=unmet)


# --- (b), (c) competition -------------------------------------------------------------------


class Explainer:
    """Reasons for unmet needs against one plan; indexes the plan once for all needs."""

    def __init__(
        self,
        problem: Problem,
        cand: Candidates,
        met: NDArray[np.bool_],
        v_on: NDArray[np.bool_],
        u_on: NDArray[np.bool_],
        g_amt: NDArray[np.int64],
        possible: NDArray[np.bool_],
        proven: bool,
    ):
        self.problem, self.cand, self.possible, self.proven = problem, cand, possible, proven
        self.pinned_needs = {p.need for p in problem.pins}
        self.work: dict[int, list[int]] = {}
        for k in np.flatnonzero(v_on).tolist():
            self.work.setdefault(int(cand.v_vol[k]), []).append(int(cand.v_need[k]))
        self.booked: dict[int, list[int]] = {}
        for k in np.flatnonzero(u_on).tolist():
            self.booked.setdefault(int(cand.u_venue[k]), []).append(int(cand.u_need[k]))
        n_funds = len(problem.funds)
        self.spent = np.bincount(cand.f_fund, weights=g_amt, minlength=n_funds).astype(np.int64)
        self.users: dict[int, dict[int, int]] = {}
        for k in np.flatnonzero(g_amt > 0).tolist():
            per = self.users.setdefault(int(cand.f_fund[k]), {})
            n = int(cand.f_need[k])
            per[n] = per.get(n, 0) + int(g_amt[k])
        self._users_set: dict[int, set[int]] = {}
        self._heaviest: dict[int, list[int]] = {}
        # Pair positions per need (pairs are sorted by need).
        self.v_span = _spans(cand.v_need, len(problem.needs))
        self.u_span = _spans(cand.u_need, len(problem.needs))
        self.f_span = _spans(cand.f_need, len(problem.needs))

    def users_of(self, f: int) -> set[int]:
        """Needs that fund `f` pays in this plan."""
        if f not in self._users_set:
            self._users_set[f] = set(self.users.get(f, {}))
        return self._users_set[f]

    def heaviest_users(self, f: int) -> list[int]:
        """The few heaviest needs fund `f` pays, to name them."""
        if f not in self._heaviest:
            w = self.cand.compiled.weight
            self._heaviest[f] = sorted(self.users.get(f, {}),
                                       key=lambda n: (-int(w[n]), n))[:MAX_NAMED]
        return self._heaviest[f]

    def label(self, n: int) -> str:
        nid = self.problem.needs[n].id
        tag = ", pinned" if nid in self.pinned_needs else ""
        return f"{nid} (weight {int(self.cand.compiled.weight[n])}{tag})"

    def reasons(self, i: int) -> list[str]:
        """Why need `i` is unmet in this plan."""
        problem, cand = self.problem, self.cand
        if not self.possible[i]:
            return structural_reasons(problem, cand, i) or [
                "no combination of resources can meet it"]
        c = cand.compiled
        need = problem.needs[i]
        s, e = int(c.need_start[i]), int(c.need_end[i])
        out: list[str] = []
        blockers: set[int] = set()
        lo_v, hi_v = self.v_span[i]
        for j, role in enumerate(need.roles):
            ks = [k for k in range(lo_v, hi_v) if int(cand.v_role[k]) == j]
            free = 0
            taken: dict[int, list[str]] = {}
            for k in ks:
                v = int(cand.v_vol[k])
                others = self.work.get(v, [])
                clash = [n for n in others if int(c.need_start[n]) < e and s < int(c.need_end[n])]
                cap = int(c.vol_max_s[v])
                used = sum(int(c.need_dur[n]) for n in set(others))
                vid = problem.volunteers[v].id
                if clash:
                    for n in clash:
                        taken.setdefault(n, []).append(vid)
                elif cap >= 0 and used + (e - s) > cap:
                    for n in sorted(set(others)):
                        taken.setdefault(n, []).append(vid + " (hours)")
                else:
                    free += 1
            if free < role.minimum:
                blockers |= set(taken)
                where = [f"{_names(sorted(set(vs)))} serve {self.label(n)}"
                         for n, vs in sorted(taken.items())]
                out.append(
                    f"role {role.skill!r} needs {role.minimum} but only {free} of its "
                    f"{len(ks)} candidate volunteer(s) are left free: " + _names(where))
        if need.venue is not None:
            lo_u, hi_u = self.u_span[i]
            booked: dict[int, list[str]] = {}
            n_free = 0
            for k in range(lo_u, hi_u):
                u = int(cand.u_venue[k])
                clash = [n for n in self.booked.get(u, [])
                         if int(c.need_start[n]) < e and s < int(c.need_end[n])]
                for n in clash:
                    booked.setdefault(n, []).append(problem.venues[u].id)
                n_free += not clash
            if n_free == 0:
                blockers |= set(booked)
                where = [f"{_names(sorted(vs))} booked for {self.label(n)}"
                         for n, vs in sorted(booked.items())]
                out.append(f"all {hi_u - lo_u} venue(s) that could host it are taken: "
                           + _names(where))
        if need.funding > 0:
            lo_f, hi_f = self.f_span[i]
            left_total = 0
            users: set[int] = set()
            top: list[int] = []
            names: list[str] = []
            for k in range(lo_f, hi_f):
                f = int(cand.f_fund[k])
                left_total += min(int(cand.f_cap[k]), int(c.fund_amount[f]) - int(self.spent[f]))
                names.append(problem.funds[f].id)
                users |= self.users_of(f)
                top.extend(self.heaviest_users(f))
            if left_total < need.funding:
                heavy = sorted(set(top), key=lambda n: (-int(c.weight[n]), n))[:MAX_NAMED + 1]
                blockers |= set(heavy[:MAX_NAMED])
                n_others = len(users) - (i in users)
                labels = [self.label(n) for n in heavy[:MAX_NAMED]]
                if n_others > len(labels):
                    labels.append(f"{n_others - len(labels)} more")
                out.append(
                    f"eligible funds {_names(sorted(names))} have "
                    f"{_money(problem, left_total)} left of the {_money(problem, need.funding)} "
                    f"it needs; they went to {n_others} other need(s) such as "
                    + ", ".join(labels))
        if out:
            pinned = sorted(n for n in blockers if problem.needs[n].id in self.pinned_needs)
            if pinned:
                named = _names([self.label(n) for n in pinned])
                out.append(f"pins hold resources it needs: {named}; unpin them to free those "
                           "resources")
            my_w = int(c.weight[i])
            # Lighter needs holding its resources by choice, not by a pin, cost more elsewhere.
            if any(int(c.weight[n]) < my_w for n in blockers
                   if problem.needs[n].id not in self.pinned_needs):
                out.append(f"its weight is {my_w}: meeting it would cost more weighted coverage "
                           "elsewhere than it adds")
            return out
        if not self.proven:
            # A last greedy pass tried to add it with what the plan leaves free and could not,
            # so what is missing is a combination the search did not reach in time.
            return ["each of its requirements has a free candidate in this plan, but not "
                    "together with the rest of the plan; the search reached the time limit "
                    "before proving whether moving other assignments could fit it; a longer "
                    "time limit may"]
        return ["each requirement has a free candidate, but not together: its roles compete "
                "for the same volunteers or its volunteers' other needs leave too few hours"]


def _spans(sorted_need: NDArray[np.int64], n: int) -> list[tuple[int, int]]:
    lo = np.searchsorted(sorted_need, np.arange(n), side="left")
    hi = np.searchsorted(sorted_need, np.arange(n), side="right")
    return list(zip(lo.tolist(), hi.tolist(), strict=True))


