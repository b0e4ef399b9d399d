"""Random small problems for the solver's property tests, and SPEC's per-pair rules written
naively (one volunteer, venue or fund and one need at a time) from `matcher.derived` scalars.

Problems are plain dicts in SPEC's format, built by the hypothesis strategy `problems()`.
Locations, times and limits are drawn from small grids around one point and one or two days,
so that ties and exact boundaries (a window ending when a need ends, a travel limit equal to
a distance, a fund expiring when a need starts) come up often.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from matcher.derived import distance_m, epoch, fits, fund_eligible, limit_m, windows
from matcher.model import Need, Problem, parse_problem

Doc = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]

CENTRE = (32.690, 119.007)
ANTIPODE = (-32.690, -60.993)
BASE = datetime(2026, 12, 5, tzinfo=timezone(timedelta(hours=8)))  # 2026-12-05 00:00 +08:00
OFFSETS = [timezone(timedelta(hours=8)), UTC, timezone(timedelta(hours=-5, minutes=-30))]

SKILLS = ["teaching", "first_aid", "counselling"]
FEATURES = ["classroom", "gym", "projector"]
CATEGORIES = ["student_aid", "wish", "after_school_class"]
NEED_REGIONS = ["341181/001/003", "341181/001", "341181/002", "341182/001", "341181", ""]
FUND_REGIONS = ["341181", "341181/001", "341182", "34"]


def iso(minutes: int, tz: timezone = OFFSETS[0]) -> str:
    """A time `minutes` after 2026-12-05 00:00 +08:00, written in time zone `tz`."""
    return (BASE + timedelta(minutes=minutes)).astimezone(tz).isoformat()


@dataclass(frozen=True)
class Sizes:
    volunteers: int = 4
    venues: int = 2
    funds: int = 3
    needs: int = 5
    min_needs: int = 1
    pins: int = 2
    forbids: int = 2
    fairness: bool = True


def _location(draw: Draw, far: bool = True) -> Doc:
    if far and draw(st.integers(0, 19)) == 0:
        lat, lon = ANTIPODE
    else:
        lat, lon = CENTRE
    # Steps of 0.002 degrees (about 200 m): distances up to ~6 km, often equal.
    dlat = draw(st.integers(-10, 10)) * 0.002
    dlon = draw(st.integers(-10, 10)) * 0.002
    return {"lat": round(lat + dlat, 6), "lon": round(lon + dlon, 6)}


def _time(draw: Draw, minutes: int) -> str:
    return iso(minutes, draw(st.sampled_from(OFFSETS)))


def _availability(draw: Draw, days: int) -> list[Doc] | None:
    kind = draw(st.sampled_from(["absent", "absent", "windows", "windows", "empty"]))
    if kind == "absent":
        return None
    if kind == "empty":
        return []
    out = []
    for _ in range(draw(st.integers(1, 2))):
        day = draw(st.integers(0, days - 1))
        start = day * 1440 + 7 * 60 + 30 * draw(st.integers(0, 10))
        end = start + 30 * draw(st.integers(4, 28))
        out.append({"start": _time(draw, start), "end": _time(draw, end)})
    return out


def _subset(draw: Draw, items: list[str], max_size: int | None = None,
            min_size: int = 0) -> list[str]:
    size = draw(st.integers(min_size, max_size or len(items)))
    return draw(st.lists(st.sampled_from(items), unique=True, min_size=size, max_size=size))


def _volunteer(draw: Draw, i: int, days: int) -> Doc:
    v: Doc = {"id": f"v{i}", "location": _location(draw),
              "skills": _subset(draw, SKILLS, min_size=1)}
    avail = _availability(draw, days)
    if avail is not None:
        v["availability"] = avail
    max_hours = draw(st.sampled_from([None, None, 5, 3, 2, 1.5, 1, 0.5, 0]))
    if max_hours is not None:
        v["max_hours"] = max_hours
    travel = draw(st.sampled_from([None, None, 5, 2, 0.5, 0, 1, 3, 10, 25000]))
    if travel is not None:
        v["max_travel_km"] = travel
    return v


def _venue(draw: Draw, i: int, days: int) -> Doc:
    u: Doc = {"id": f"u{i}", "location": _location(draw),
              "capacity": draw(st.sampled_from([50, 30, 20, 10])),
              "features": _subset(draw, FEATURES, min_size=2)}
    avail = _availability(draw, days) if draw(st.booleans()) else None
    if avail is not None:
        u["availability"] = avail
    return u


def _fund(draw: Draw, i: int, days: int) -> Doc:
    f: Doc = {"id": f"f{i}", "amount": draw(st.sampled_from([1000, 500, 300, 200, 100]))}
    if draw(st.sampled_from([False, False, True])):
        f["categories"] = _subset(draw, CATEGORIES, 2)
    if draw(st.sampled_from([False, False, True])):
        f["regions"] = _subset(draw, FUND_REGIONS, 2)
    if draw(st.sampled_from([False, False, True])):
        day = draw(st.integers(0, days - 1))
        f["expires"] = _time(draw, day * 1440 + 8 * 60 + 30 * draw(st.integers(0, 24)))
    return f


def _need(draw: Draw, i: int, days: int) -> Doc:
    day = draw(st.integers(0, days - 1))
    start = day * 1440 + 8 * 60 + 30 * draw(st.integers(0, 20))
    end = start + 30 * draw(st.integers(1, 6))
    n: Doc = {"id": f"n{i}", "location": _location(draw, far=False),
              "start": _time(draw, start), "end": _time(draw, end),
              "priority": draw(st.integers(1, 5))}
    if draw(st.booleans()):
        n["category"] = draw(st.sampled_from(CATEGORIES))
    if draw(st.integers(0, 4)):
        n["region"] = draw(st.sampled_from(NEED_REGIONS))
    roles: list[Doc] = []
    for _ in range(draw(st.sampled_from([1, 1, 0, 2]))):
        skill = draw(st.sampled_from([s for s in SKILLS if s not in {r["skill"] for r in roles}]))
        count = draw(st.sampled_from([1, 1, 2, 3]))
        role: Doc = {"skill": skill, "count": count}
        if count > 1 and draw(st.sampled_from([True, True, False])):
            role["min_count"] = draw(st.integers(1, count))
        roles.append(role)
    n["roles"] = roles
    if draw(st.sampled_from([False, False, True])):
        req: Doc = {"capacity": draw(st.sampled_from([10, 20, 10, 30, 40])),
                    "features": _subset(draw, FEATURES, 1)}
        max_distance = draw(st.sampled_from([None, None, 3, 1, 0.5, 0, 2, 10]))
        if max_distance is not None:
            req["max_distance_km"] = max_distance
        n["venue"] = req
    if draw(st.sampled_from([False, False, True])):
        n["funding"] = draw(st.sampled_from([100, 250, 500, 50, 800, 1500]))
    if not roles and not n.get("funding") and "venue" not in n:
        n["funding"] = 100
    weight = draw(st.sampled_from([None, None, None, 1, 5, 13, 20]))
    if weight is not None:
        n["weight"] = weight
    return n


def _pin(draw: Draw, doc: Doc, problem: Problem) -> Doc | None:
    """Mostly a pin of a pair that SPEC's per-pair rules allow, on a need that could be met
    on its own (so that pins often hold together), sometimes any pair at all."""
    allowed: list[Doc] = []
    for n in problem.needs:
        if not possible_alone(problem, n):
            continue
        for v in problem.volunteers:
            if any(volunteer_ok(problem, v.id, n, j) is not None for j in range(len(n.roles))):
                allowed.append({"need": n.id, "volunteer": v.id})
        for u in problem.venues:
            if venue_ok(problem, u.id, n) is not None:
                allowed.append({"need": n.id, "venue": u.id})
        for f in problem.funds:
            if fund_ok(problem, f.id, n):
                cap = min(f.amount, n.funding)
                amount = draw(st.sampled_from(sorted({cap, n.funding, max(1, cap // 2)})))
                allowed.append({"need": n.id, "fund": f.id, "amount": amount})
    if allowed and draw(st.sampled_from([True, True, True, True, False])):
        return dict(draw(st.sampled_from(allowed)))
    need = draw(st.sampled_from(doc["needs"]))
    kinds = [k for k, lst in (("volunteer", "volunteers"), ("venue", "venues"), ("fund", "funds"))
             if doc[lst]]
    if not kinds:
        return None
    kind = draw(st.sampled_from(kinds))
    if kind == "volunteer":
        return {"need": need["id"], "volunteer": draw(st.sampled_from(doc["volunteers"]))["id"]}
    if kind == "venue":
        return {"need": need["id"], "venue": draw(st.sampled_from(doc["venues"]))["id"]}
    funding = need.get("funding", 0)
    amounts = [a for a in (funding, funding // 2, 50, 100) if a > 0] or [100]
    return {"need": need["id"], "fund": draw(st.sampled_from(doc["funds"]))["id"],
            "amount": draw(st.sampled_from(amounts))}


def _forbid(draw: Draw, doc: Doc) -> Doc | None:
    need = draw(st.sampled_from(doc["needs"]))
    kinds = [k for k, lst in (("volunteer", "volunteers"), ("venue", "venues"), ("fund", "funds"))
             if doc[lst]]
    if not kinds:
        return None
    kind = draw(st.sampled_from(kinds))
    pool = doc[{"volunteer": "volunteers", "venue": "venues", "fund": "funds"}[kind]]
    return {"need": need["id"], kind: draw(st.sampled_from(pool))["id"]}


@st.composite
def problems(draw: Draw, sizes: Sizes = Sizes()) -> Doc:  # noqa: B008
    """A random small problem document (a dict in SPEC's format)."""
    days = draw(st.integers(1, 2))
    doc: Doc = {
        "version": 1,
        "name": "random",
        "volunteers": [_volunteer(draw, i, days)
                       for i in range(draw(st.integers(min(1, sizes.volunteers),
                                                       sizes.volunteers)))],
        "venues": [_venue(draw, i, days)
                   for i in range(draw(st.integers(min(1, sizes.venues), sizes.venues)))],
        "funds": [_fund(draw, i, days) for i in range(draw(st.integers(0, sizes.funds)))],
        "needs": [_need(draw, i, days)
                  for i in range(draw(st.integers(sizes.min_needs, sizes.needs)))],
    }
    problem = parse_problem(doc)
    pins = [_pin(draw, doc, problem) for _ in range(draw(st.integers(0, sizes.pins)))]
    forbid = [_forbid(draw, doc) for _ in range(draw(st.integers(0, sizes.forbids)))]
    doc["pins"] = [p for p in pins if p is not None]
    doc["forbid"] = [f for f in forbid if f is not None]
    objective: Doc = {}
    if draw(st.booleans()):
        objective["priority_weights"] = draw(st.lists(st.integers(1, 40), min_size=5,
                                                      max_size=5))
    depth = draw(st.sampled_from([None, None, None, 1, 2, 0, 3]))
    if sizes.fairness and depth is not None:
        objective["fairness"] = {"region_depth": depth}
    doc["objective"] = objective
    return doc


@st.composite
def boundary_problems(draw: Draw, sizes: Sizes = Sizes()) -> Doc:  # noqa: B008
    """Like `problems`, then some limits moved exactly onto a distance (or just inside or
    outside it), so that SPEC's rounding rule `d_m <= round(1000 * L)` is exercised."""
    doc = copy.deepcopy(draw(problems(sizes)))
    nudges = [0.0, 0.0, -0.001, 0.001, -0.0004, 0.0004]
    for v in doc["volunteers"]:
        if doc["needs"] and draw(st.booleans()):
            n = draw(st.sampled_from(doc["needs"]))
            d = _dist_doc(v["location"], n["location"])
            v["max_travel_km"] = max(0.0, d / 1000 + draw(st.sampled_from(nudges)))
    for n in doc["needs"]:
        if n.get("venue") is not None and doc["venues"] and draw(st.booleans()):
            u = draw(st.sampled_from(doc["venues"]))
            d = _dist_doc(u["location"], n["location"])
            n["venue"]["max_distance_km"] = max(0.0, d / 1000 + draw(st.sampled_from(nudges)))
    return doc


def _dist_doc(a: Doc, b: Doc) -> int:
    from matcher.model import Location

    return distance_m(Location(**a), Location(**b))


# --- SPEC's per-pair rules, one pair at a time ------------------------------------------------


def volunteer_ok(problem: Problem, v_id: str, need: Need, role: int) -> int | None:
    """Rules 1-3, the per-pair hours limit of rule 4, and forbid: the distance if allowed."""
    v = next(x for x in problem.volunteers if x.id == v_id)
    if need.roles[role].skill not in v.skills:
        return None
    d = distance_m(v.location, need.location)
    if d > int(limit_m(v.max_travel_km)):
        return None
    s, e = epoch(need.start), epoch(need.end)
    if not fits([s], [e], windows(v.availability))[0]:
        return None
    if v.max_hours is not None and e - s > 3600 * v.max_hours:
        return None
    if any(f.need == need.id and f.volunteer == v.id for f in problem.forbid):
        return None
    return d


def venue_ok(problem: Problem, u_id: str, need: Need) -> int | None:
    """Rule 6, rule 7, the fit part of rule 8, and forbid: the distance if allowed."""
    u = next(x for x in problem.venues if x.id == u_id)
    req = need.venue
    if req is None:
        return None
    if not set(req.features) <= set(u.features) or u.capacity < req.capacity:
        return None
    d = distance_m(u.location, need.location)
    if d > int(limit_m(req.max_distance_km)):
        return None
    if not fits([epoch(need.start)], [epoch(need.end)], windows(u.availability))[0]:
        return None
    if any(f.need == need.id and f.venue == u.id for f in problem.forbid):
        return None
    return d


def fund_ok(problem: Problem, f_id: str, need: Need) -> bool:
    """Rule 10 and forbid, for a need that asks for funding (only those can take a grant)."""
    f = next(x for x in problem.funds if x.id == f_id)
    if need.funding <= 0:
        return False
    expires = None if f.expires is None else epoch(f.expires)
    if not fund_eligible(f.categories, f.regions, expires, need.category, need.region,
                         epoch(need.start)):
        return False
    return not any(x.need == need.id and x.fund == f.id for x in problem.forbid)


def possible_alone(problem: Problem, need: Need) -> bool:
    """Each requirement of `need` has enough allowed candidates, taken on its own."""
    for j, role in enumerate(need.roles):
        ok = [v for v in problem.volunteers if volunteer_ok(problem, v.id, need, j) is not None]
        if len(ok) < role.minimum:
            return False
    if need.venue is not None and not any(
            venue_ok(problem, u.id, need) is not None for u in problem.venues):
        return False
    return sum(min(f.amount, need.funding) for f in problem.funds
               if fund_ok(problem, f.id, need)) >= need.funding


@dataclass
class NaivePairs:
    volunteers: set[tuple[str, str, int, int]]  # (volunteer, need, role index, distance m)
    venues: set[tuple[str, str, int]]  # (venue, need, distance m)
    funds: set[tuple[str, str, int]]  # (fund, need, min(amount, funding))


def naive_pairs(problem: Problem) -> NaivePairs:
    """Every allowed pair, by looping over all volunteer x need x role, venue x need and
    fund x need combinations."""
    out = NaivePairs(set(), set(), set())
    for n in problem.needs:
        for v in problem.volunteers:
            for j in range(len(n.roles)):
                d = volunteer_ok(problem, v.id, n, j)
                if d is not None:
                    out.volunteers.add((v.id, n.id, j, d))
        for u in problem.venues:
            d = venue_ok(problem, u.id, n)
            if d is not None:
                out.venues.add((u.id, n.id, d))
        for f in problem.funds:
            if fund_ok(problem, f.id, n):
                out.funds.add((f.id, n.id, min(f.amount, n.funding)))
    return out
