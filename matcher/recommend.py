"""Recommendations: the best few ways to meet one unmet need, given the current plan.

An option gives the need everything it asks for (every role staffed to its `min_count`, its
venue, its funding) from resources that are free in the plan, taken from a need that has a
volunteer to spare (it stays met), or freed by displacing whole needs (they become unmet,
since SPEC's needs are all or nothing).  Options are ranked by the weight they displace, then
by the travel they add; `apply_option` turns one into a plan that `matcher.validate` accepts.

Eligibility (skills, distances, availability, features) is computed with numpy over all
volunteers and venues at once; only the eligible few are looked at one by one.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.derived import epoch, fund_eligible, haversine_m, limit_m
from matcher.model import Need, Plan, Problem, parse_plan

DEFAULT_K = 3
# Bounds on the search, so that a recommendation stays well under a second.
MAX_SINGLE_DISPLACEMENTS = 200
MAX_PAIR_CANDIDATES = 12


@dataclass(frozen=True)
class VolunteerPick:
    volunteer: str
    skill: str
    distance_m: int
    taken_from: str | None = None  # a displaced need, or a need with a volunteer to spare


@dataclass(frozen=True)
class VenuePick:
    venue: str
    distance_m: int
    taken_from: str | None = None  # the displaced need whose booking it was


@dataclass(frozen=True)
class GrantPick:
    fund: str
    amount: int


@dataclass(frozen=True)
class Option:
    """One way to meet `need`: what it is given and which needs it displaces."""

    need: str
    weight: int
    displaced: tuple[str, ...]
    displaced_weight: int
    travel_m: int
    volunteers: tuple[VolunteerPick, ...]
    venue: VenuePick | None
    grants: tuple[GrantPick, ...]

    @property
    def coverage_change(self) -> int:
        return self.weight - self.displaced_weight

    def key(self) -> tuple[Any, ...]:
        return (self.displaced_weight, self.travel_m, self.displaced,
                tuple(p.volunteer for p in self.volunteers))


class RecommendError(ValueError):
    """The request cannot be answered (e.g. the need is unknown)."""


@dataclass
class _Index:
    """The plan, indexed by resource, and the target need's eligible resources."""

    problem: Problem
    plan: Plan
    need: Need
    start: int
    end: int
    weight: dict[str, int] = field(default_factory=dict)
    times: dict[str, tuple[int, int]] = field(default_factory=dict)
    pinned_needs: set[str] = field(default_factory=set)
    pinned_pairs: set[tuple[str, str]] = field(default_factory=set)
    by_volunteer: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    role_fill: dict[tuple[str, str], int] = field(default_factory=dict)
    role_min: dict[tuple[str, str], int] = field(default_factory=dict)
    by_venue: dict[str, list[str]] = field(default_factory=dict)
    by_fund: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def overlaps(self, other: str) -> bool:
        s, e = self.times[other]
        return s < self.end and self.start < e


def _build_index(problem: Problem, plan: Plan, need: Need) -> _Index:
    ix = _Index(problem, plan, need, epoch(need.start), epoch(need.end))
    for n in problem.needs:
        ix.weight[n.id] = problem.weight(n)
        ix.times[n.id] = (epoch(n.start), epoch(n.end))
        for r in n.roles:
            ix.role_min[(n.id, r.skill)] = r.minimum
    for p in problem.pins:
        ix.pinned_needs.add(p.need)
        if p.volunteer is not None:
            ix.pinned_pairs.add((p.need, p.volunteer))
    by_vol: dict[str, list[tuple[str, str]]] = defaultdict(list)
    fill: dict[tuple[str, str], int] = defaultdict(int)
    for a in plan.assignments:
        by_vol[a.volunteer].append((a.need, a.skill))
        fill[(a.need, a.skill)] += 1
    by_venue: dict[str, list[str]] = defaultdict(list)
    for b in plan.bookings:
        by_venue[b.venue].append(b.need)
    by_fund: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for g in plan.grants:
        by_fund[g.fund].append((g.need, g.amount))
    ix.by_volunteer, ix.role_fill, ix.by_venue, ix.by_fund = by_vol, fill, by_venue, by_fund
    return ix


# --- eligibility, vectorised ---------------------------------------------------------------


def _fits_all(availabilities: list[Any], start: int, end: int) -> NDArray[np.bool_]:
    """Which entities' availability lists fit [start, end) (None: always available)."""
    ok = np.array([a is None for a in availabilities], dtype=bool)
    owners: list[int] = []
    bounds: list[tuple[int, int]] = []
    for i, avail in enumerate(availabilities):
        if avail:
            for w in avail:
                owners.append(i)
                bounds.append((epoch(w.start), epoch(w.end)))
    if owners:
        b = np.array(bounds, dtype=np.int64)
        hit = (b[:, 0] <= start) & (end <= b[:, 1])
        ok[np.asarray(owners, dtype=np.int64)[hit]] = True
    return ok


def _eligible_volunteers(ix: _Index) -> dict[str, list[tuple[int, str]]]:
    """Per role skill: (distance_m, volunteer id) of eligible volunteers, nearest first.

    Rules 1-3 and forbids; time clashes and hours are the plan's business, checked later.
    """
    vols = ix.problem.volunteers
    need = ix.need
    if not vols or not need.roles:
        return {r.skill: [] for r in need.roles}
    lat = np.array([v.location.lat for v in vols])
    lon = np.array([v.location.lon for v in vols])
    dist = haversine_m(lat, lon, need.location.lat, need.location.lon)
    reach = dist <= limit_m([v.max_travel_km for v in vols])
    forbidden = {f.volunteer for f in ix.problem.forbid if f.need == need.id and f.volunteer}
    skilled = {r.skill: np.array([r.skill in v.skills for v in vols], dtype=bool)
               for r in need.roles}
    base = reach & np.logical_or.reduce(list(skilled.values()))
    base &= np.array([v.id not in forbidden for v in vols], dtype=bool)
    # Availability last: windows are many, so only volunteers still in the running are read.
    near = np.flatnonzero(base)
    base[near] = _fits_all([vols[i].availability for i in near], ix.start, ix.end)
    out: dict[str, list[tuple[int, str]]] = {}
    for r in need.roles:
        mask = base & skilled[r.skill]
        idx = np.flatnonzero(mask)
        order = idx[np.argsort(dist[idx], kind="stable")]
        out[r.skill] = [(int(dist[i]), vols[i].id) for i in order]
    return out


def _eligible_venues(ix: _Index) -> list[tuple[int, str]]:
    """(distance_m, venue id) of venues obeying rules 6-8 (opening hours) and forbids."""
    req, venues = ix.need.venue, ix.problem.venues
    if req is None or not venues:
        return []
    lat = np.array([u.location.lat for u in venues])
    lon = np.array([u.location.lon for u in venues])
    dist = haversine_m(lat, lon, ix.need.location.lat, ix.need.location.lon)
    forbidden = {f.venue for f in ix.problem.forbid if f.need == ix.need.id and f.venue}
    need_features = set(req.features)
    mask = (dist <= limit_m(req.max_distance_km)) & _fits_all(
        [u.availability for u in venues], ix.start, ix.end)
    mask &= np.array([u.capacity >= req.capacity and need_features <= set(u.features)
                      and u.id not in forbidden for u in venues], dtype=bool)
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(dist[idx], kind="stable")]
    return [(int(dist[i]), venues[i].id) for i in order]


def _eligible_funds(ix: _Index) -> list[str]:
    need = ix.need
    if need.funding == 0:
        return []
    forbidden = {f.fund for f in ix.problem.forbid if f.need == need.id and f.fund}
    return [
        f.id for f in ix.problem.funds
        if f.id not in forbidden and fund_eligible(
            f.categories, f.regions, None if f.expires is None else epoch(f.expires),
            need.category, need.region, ix.start)
    ]


# --- building one option under a displacement set -------------------------------------------


@dataclass
class _Resources:
    roles: dict[str, list[tuple[int, str]]]
    venues: list[tuple[int, str]]
    funds: list[str]
    hours: dict[str, float | None]
    amounts: dict[str, int]


def _usable(
    ix: _Index, res: _Resources, vid: str, displaced: frozenset[str], spare: dict[Any, int],
) -> tuple[bool, tuple[str, str] | None]:
    """Can `vid` serve the need once `displaced` are unmet? (ok, the (need, skill) it would
    be moved from when that need has a volunteer to spare)."""
    kept = [(m, s) for m, s in ix.by_volunteer.get(vid, []) if m not in displaced]
    clashes = [(m, s) for m, s in kept if ix.overlaps(m)]
    taken: tuple[str, str] | None = None
    if clashes:
        if len(clashes) > 1:
            return False, None
        m, s = clashes[0]
        # Moving a volunteer off a role staffed above its minimum keeps that need met.
        if (m, vid) in ix.pinned_pairs or spare.get((m, s), 0) <= 0:
            return False, None
        taken = (m, s)
    limit = res.hours[vid]
    if limit is not None:
        still = {m for m, s in kept if (m, s) != taken}
        seconds = sum(ix.times[m][1] - ix.times[m][0] for m in still)
        if seconds + (ix.end - ix.start) > 3600 * limit:
            return False, None
    return True, taken


def _volunteer_use(
    ix: _Index, res: _Resources, vid: str, displaced: frozenset[str], spare: dict[Any, int],
) -> tuple[bool, str | None, set[str]]:
    """(ok, taken_from, the displaced needs this volunteer relies on)."""
    ok, taken = _usable(ix, res, vid, displaced, spare)
    if not ok:
        return False, None, set()
    held = {m for m, _ in ix.by_volunteer.get(vid, []) if m in displaced}
    relied = held if held and not _usable(ix, res, vid, frozenset(), spare)[0] else set()
    if taken is not None:
        spare[taken] -= 1
        return True, taken[0], relied
    return True, (min(relied) if relied else None), relied


def _build_option(ix: _Index, res: _Resources, displaced: frozenset[str],
                  exact: bool = True) -> Option | None:
    """The nearest resources that meet the need once `displaced` are unmet, or None."""
    need = ix.need
    spare = {key: ix.role_fill[key] - ix.role_min.get(key, 0) for key in ix.role_fill}
    relied: set[str] = set()
    picks: list[VolunteerPick] = []
    used: set[str] = set()
    # Scarce roles first, so a volunteer who could fill two roles goes where only they fit.
    for r in sorted(need.roles, key=lambda r: len(res.roles[r.skill])):
        got = 0
        for d, vid in res.roles[r.skill]:
            if got == r.minimum:
                break
            if vid in used:
                continue
            ok, taken_from, rel = _volunteer_use(ix, res, vid, displaced, spare)
            if ok:
                picks.append(VolunteerPick(vid, r.skill, d, taken_from))
                used.add(vid)
                relied |= rel
                got += 1
        if got < r.minimum:
            return None
    venue: VenuePick | None = None
    if need.venue is not None:
        for d, uid in res.venues:
            clashes = {m for m in ix.by_venue.get(uid, []) if ix.overlaps(m)}
            if clashes <= displaced:
                venue = VenuePick(uid, d, min(clashes) if clashes else None)
                relied |= clashes
                break
        if venue is None:
            return None
    grants: list[GrantPick] = []
    if need.funding > 0:
        left = {}
        for fid in res.funds:
            spent = sum(a for m, a in ix.by_fund.get(fid, []) if m not in displaced)
            left[fid] = res.amounts[fid] - spent
        usable = [f for f in res.funds if left[f] > 0]
        if sum(left[f] for f in usable) < need.funding:
            return None
        # One fund if one suffices (the smallest that does), else pool the largest first.
        single = [f for f in usable if left[f] >= need.funding]
        if single:
            best = min(single, key=lambda f: (left[f], f))
            grants = [GrantPick(best, need.funding)]
        else:
            rest = need.funding
            for f in sorted(usable, key=lambda f: (-left[f], f)):
                take = min(rest, left[f])
                grants.append(GrantPick(f, take))
                rest -= take
                if rest == 0:
                    break
        for g in grants:
            free_before = res.amounts[g.fund] - sum(a for _, a in ix.by_fund.get(g.fund, []))
            if g.amount > free_before:
                users = [(m, a) for m, a in ix.by_fund.get(g.fund, []) if m in displaced]
                if exact:
                    relied |= {m for m, _ in users}
                else:
                    # Free just enough: the lightest grants first.
                    short = g.amount - free_before
                    for m, a in sorted(users, key=lambda ma: (ix.weight[ma[0]], ma[0])):
                        if short <= 0:
                            break
                        if m not in relied:
                            short -= a
                        relied.add(m)
    if exact and relied != set(displaced):
        return None  # a smaller displacement set gives this option (or a better one)
    if not exact:
        displaced = frozenset(relied)
    return Option(
        need=need.id,
        weight=ix.weight[need.id],
        displaced=tuple(sorted(displaced)),
        displaced_weight=sum(ix.weight[m] for m in displaced),
        travel_m=sum(p.distance_m for p in picks) + (venue.distance_m if venue else 0),
        volunteers=tuple(picks),
        venue=venue,
        grants=tuple(grants),
    )


# --- search ----------------------------------------------------------------------------------


def _displacement_candidates(ix: _Index, res: _Resources) -> list[str]:
    """Met needs whose resources the need could use, cheapest first (pinned needs never)."""
    met = set(ix.plan.met)
    found: set[str] = set()
    for cands in res.roles.values():
        for _, vid in cands:
            found.update(m for m, _ in ix.by_volunteer.get(vid, []))
    for _, uid in res.venues:
        found.update(m for m in ix.by_venue.get(uid, []) if ix.overlaps(m))
    for fid in res.funds:
        found.update(m for m, _ in ix.by_fund.get(fid, []))
    found = {m for m in found if m in met and m not in ix.pinned_needs and m != ix.need.id}
    return sorted(found, key=lambda m: (ix.weight[m], m))


def recommend(problem: Problem, plan: Plan, need_id: str, k: int = DEFAULT_K,
              max_displaced: int = 2, mode: str = "displace",
              first: str | None = None) -> list[Option]:
    """The best `k` ways to meet need `need_id` in `plan`, fewest displaced weight first,
    then least travel.  An empty list when the need is met already or nothing can meet it.

    `plan` must be valid for `problem`. With mode `displace`, options displace one or two
    needs, or where that is not enough as many as the nearest usable resources hold (never a
    pinned need); with mode `free` only free resources (and volunteers a need has to spare)
    are used. `first`: a volunteer, venue or fund id to try before the others.
    """
    if mode == "free":
        max_displaced = 0
    need = next((n for n in problem.needs if n.id == need_id), None)
    if need is None:
        raise RecommendError(f"no need with id {need_id!r}")
    if need_id in plan.met or plan.status == "infeasible":
        return []
    ix = _build_index(problem, plan, need)
    res = _Resources(
        roles=_eligible_volunteers(ix),
        venues=_eligible_venues(ix),
        funds=_eligible_funds(ix),
        hours={v.id: v.max_hours for v in problem.volunteers},
        amounts={f.id: f.amount for f in problem.funds},
    )
    if any(len(res.roles[r.skill]) < r.minimum for r in need.roles):
        return []
    if need.venue is not None and not res.venues:
        return []
    if first is not None:
        res.roles = {sk: sorted(c, key=lambda dv: dv[1] != first) for sk, c in res.roles.items()}
        res.venues = sorted(res.venues, key=lambda du: du[1] != first)
        res.funds = sorted(res.funds, key=lambda f: f != first)

    options: list[Option] = []

    def consider(displaced: frozenset[str]) -> None:
        opt = _build_option(ix, res, displaced)
        if opt is not None:
            options.append(opt)
            options.sort(key=Option.key)
            del options[k:]

    def worth(weight: int) -> bool:
        # Options are ranked by displaced weight first: stop once it cannot make the top k.
        return len(options) < k or weight <= options[-1].displaced_weight

    consider(frozenset())
    cands = _displacement_candidates(ix, res)
    if max_displaced >= 1:
        for m in cands[:MAX_SINGLE_DISPLACEMENTS]:
            if not worth(ix.weight[m]):
                break
            consider(frozenset([m]))
    if max_displaced >= 2 and len(options) < k:
        pairs = sorted(itertools.combinations(cands[:MAX_PAIR_CANDIDATES], 2),
                       key=lambda p: (ix.weight[p[0]] + ix.weight[p[1]], p))
        for a, b in pairs:
            if not worth(ix.weight[a] + ix.weight[b]):
                break
            consider(frozenset([a, b]))
    if not options and max_displaced >= 1:
        # Not enough with one or two: displace what the nearest usable resources hold.
        every = frozenset(c for c in cands)
        opt = _build_option(ix, res, every, exact=False)
        if opt is not None:
            options.append(opt)
    return options


def apply_option(problem: Problem, plan: Plan, option: Option) -> Plan:
    """The plan with `option` carried out: its need met, the displaced needs unmet.

    The objective values are recomputed; the status becomes `feasible` (a hand-made change
    is not proven optimal) and the bound is kept.
    """
    from matcher.validate import plan_values

    displaced = set(option.displaced)
    taken = {(p.taken_from, p.volunteer) for p in option.volunteers
             if p.taken_from is not None and p.taken_from not in displaced}
    doc = plan.to_json_dict()
    doc["assignments"] = [
        a for a in doc["assignments"]
        if a["need"] not in displaced and (a["need"], a["volunteer"]) not in taken
    ] + [{"need": option.need, "skill": p.skill, "volunteer": p.volunteer,
          "distance_m": p.distance_m} for p in option.volunteers]
    doc["bookings"] = [b for b in doc["bookings"] if b["need"] not in displaced]
    if option.venue is not None:
        doc["bookings"].append({"need": option.need, "venue": option.venue.venue,
                                "distance_m": option.venue.distance_m})
    doc["grants"] = [g for g in doc["grants"] if g["need"] not in displaced] + [
        {"need": option.need, "fund": g.fund, "amount": g.amount} for g in option.grants]
    doc["met"] = [m for m in doc["met"] if m not in displaced] + [option.need]
    doc["unmet"] = [u for u in doc["unmet"] if u["need"] != option.need] + [
        {"need": m, "reasons": [f"displaced to meet need {option.need}"]}
        for m in sorted(displaced)]
    doc["status"] = "feasible"
    new = parse_plan(doc, problem)
    vals = plan_values(problem, new)
    objective: dict[str, Any] = {"coverage": vals.coverage, "fill": vals.fill,
                                 "travel_m": vals.travel_m}
    if vals.fairness is not None:
        objective["fairness"] = float(vals.fairness)
    doc["objective"] = objective
    return parse_plan(doc, problem)
