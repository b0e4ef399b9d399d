"""The plan validator: SPEC's 14 rules, one function each, and the plan's objective values.

`validate(problem, plan)` returns every violation; an empty list means the plan obeys every
rule and reports the objective values it really has.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

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
from matcher.model import Need, Plan, Problem


@dataclass(frozen=True)
class Violation:
    """One broken rule. `rule` is SPEC's rule number, or 0 for a wrong objective/bound value."""

    rule: int
    message: str
    ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"rule {self.rule}" if self.rule else "objective"
        return f"{head}: {self.message}"


@dataclass
class PlanValues:
    """The objective values a plan really gives, recomputed from its contents."""

    coverage: int = 0
    fill: int = 0
    travel_m: int = 0
    fairness: Fraction | None = None


@dataclass
class _Ctx:
    problem: Problem
    plan: Plan
    needs: dict[str, Need] = field(default_factory=dict)
    need_index: dict[str, int] = field(default_factory=dict)
    met: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.needs = {n.id: n for n in self.problem.needs}
        self.need_index = {n.id: i for i, n in enumerate(self.problem.needs)}
        self.met = set(self.plan.met)
        self.vols = {v.id: v for v in self.problem.volunteers}
        self.venues = {u.id: u for u in self.problem.venues}
        self.funds = {f.id: f for f in self.problem.funds}
        self._windows: dict[tuple[str, str], NDArray[np.int64] | None] = {}

    def free(self, kind: str, owner_id: str, need: Need) -> bool:
        """Does the need fit the availability of a volunteer or venue (windows cached)."""
        key = (kind, owner_id)
        if key not in self._windows:
            owner = self.vols[owner_id] if kind == "volunteer" else self.venues[owner_id]
            self._windows[key] = windows(owner.availability)
        return bool(fits([epoch(need.start)], [epoch(need.end)], self._windows[key])[0])


def _interval(need: Need) -> str:
    return f"{need.start.isoformat()}..{need.end.isoformat()}"


# --- volunteers ------------------------------------------------------------------------------


def rule_1_skill(c: _Ctx) -> Iterator[Violation]:
    for a in c.plan.assignments:
        need = c.needs[a.need]
        if a.skill not in {r.skill for r in need.roles}:
            yield Violation(1, f"need {a.need} has no role {a.skill!r}", (a.need, a.volunteer))
        elif a.skill not in c.vols[a.volunteer].skills:
            yield Violation(
                1, f"volunteer {a.volunteer} lacks skill {a.skill!r} for need {a.need}",
                (a.volunteer, a.need),
            )


def rule_2_travel(c: _Ctx) -> Iterator[Violation]:
    for a in c.plan.assignments:
        v, need = c.vols[a.volunteer], c.needs[a.need]
        d = distance_m(v.location, need.location)
        if d > int(limit_m(v.max_travel_km)):
            yield Violation(
                2, f"volunteer {a.volunteer} is {d} m from need {a.need}, beyond "
                f"max_travel_km {v.max_travel_km}", (a.volunteer, a.need),
            )


def rule_3_volunteer_availability(c: _Ctx) -> Iterator[Violation]:
    for a in c.plan.assignments:
        need = c.needs[a.need]
        if not c.free("volunteer", a.volunteer, need):
            yield Violation(
                3, f"need {a.need} ({_interval(need)}) does not fit volunteer {a.volunteer}'s "
                "availability", (a.volunteer, a.need),
            )


def rule_4_volunteer_time(c: _Ctx) -> Iterator[Violation]:
    by_vol: dict[str, list[Need]] = defaultdict(list)
    for a in c.plan.assignments:
        need = c.needs[a.need]
        if need not in by_vol[a.volunteer]:
            by_vol[a.volunteer].append(need)
    for vid, needs in by_vol.items():
        needs.sort(key=lambda n: (n.start, n.end))
        latest: Need | None = None
        for n in needs:
            if latest is not None and n.start < latest.end:
                yield Violation(
                    4, f"volunteer {vid} is given overlapping needs {latest.id} and {n.id}",
                    (vid, latest.id, n.id),
                )
            if latest is None or n.end > latest.end:
                latest = n
        max_hours = c.vols[vid].max_hours
        seconds = sum(epoch(n.end) - epoch(n.start) for n in needs)
        if max_hours is not None and seconds > 3600 * max_hours:
            yield Violation(
                4, f"volunteer {vid} is given {seconds / 3600:g} h, above max_hours {max_hours:g}",
                (vid,),
            )


def rule_5_roles(c: _Ctx) -> Iterator[Violation]:
    roles_of = Counter((a.volunteer, a.need) for a in c.plan.assignments)
    for (vid, nid), k in roles_of.items():
        if k > 1:
            yield Violation(5, f"volunteer {vid} fills {k} roles of need {nid}", (vid, nid))
    per_role = Counter((a.need, a.skill) for a in c.plan.assignments)
    for (nid, skill), k in per_role.items():
        for r in c.needs[nid].roles:
            if r.skill == skill and k > r.count:
                yield Violation(
                    5, f"role {skill!r} of need {nid} gets {k} volunteers, above count {r.count}",
                    (nid,),
                )


# --- venues ----------------------------------------------------------------------------------


def rule_6_venue_fit(c: _Ctx) -> Iterator[Violation]:
    for b in c.plan.bookings:
        need, u = c.needs[b.need], c.venues[b.venue]
        req = need.venue
        if req is None:
            continue  # rule 9 reports a booking for a need that asks for no venue
        missing = sorted(set(req.features) - set(u.features))
        if missing:
            yield Violation(
                6, f"venue {b.venue} lacks features {missing} for need {b.need}", (b.venue, b.need)
            )
        if u.capacity < req.capacity:
            yield Violation(
                6, f"venue {b.venue} holds {u.capacity}, need {b.need} asks for {req.capacity}",
                (b.venue, b.need),
            )


def rule_7_venue_distance(c: _Ctx) -> Iterator[Violation]:
    for b in c.plan.bookings:
        need, u = c.needs[b.need], c.venues[b.venue]
        if need.venue is None:
            continue
        d = distance_m(u.location, need.location)
        if d > int(limit_m(need.venue.max_distance_km)):
            yield Violation(
                7, f"venue {b.venue} is {d} m from need {b.need}, beyond max_distance_km "
                f"{need.venue.max_distance_km:g}", (b.venue, b.need),
            )


def rule_8_venue_time(c: _Ctx) -> Iterator[Violation]:
    by_venue: dict[str, list[Need]] = defaultdict(list)
    for b in c.plan.bookings:
        need = c.needs[b.need]
        if not c.free("venue", b.venue, need):
            yield Violation(
                8, f"need {b.need} ({_interval(need)}) does not fit venue {b.venue}'s opening "
                "windows", (b.venue, b.need),
            )
        by_venue[b.venue].append(need)
    for uid, needs in by_venue.items():
        needs.sort(key=lambda n: (n.start, n.end))
        latest: Need | None = None
        for n in needs:
            if latest is not None and n.start < latest.end:
                yield Violation(
                    8, f"venue {uid} is booked for overlapping needs {latest.id} and {n.id}",
                    (uid, latest.id, n.id),
                )
            if latest is None or n.end > latest.end:
                latest = n


def rule_9_one_booking(c: _Ctx) -> Iterator[Violation]:
    count = Counter(b.need for b in c.plan.bookings)
    for nid, k in count.items():
        if c.needs[nid].venue is None:
            yield Violation(9, f"need {nid} asks for no venue but has {k} booking(s)", (nid,))
        elif k > 1:
            yield Violation(9, f"need {nid} has {k} bookings", (nid,))


# --- funds -----------------------------------------------------------------------------------


def rule_10_fund_eligible(c: _Ctx) -> Iterator[Violation]:
    for g in c.plan.grants:
        f, need = c.funds[g.fund], c.needs[g.need]
        ok = fund_eligible(
            f.categories, f.regions, None if f.expires is None else epoch(f.expires),
            need.category, need.region, epoch(need.start),
        )
        if not ok:
            yield Violation(
                10, f"fund {g.fund} may not pay for need {g.need} (category {need.category!r}, "
                f"region {need.region!r}, start {need.start.isoformat()})", (g.fund, g.need),
            )


def rule_11_fund_amounts(c: _Ctx) -> Iterator[Violation]:
    pairs = Counter((g.fund, g.need) for g in c.plan.grants)
    for (fid, nid), k in pairs.items():
        if k > 1:
            yield Violation(11, f"fund {fid} makes {k} grants to need {nid}", (fid, nid))
    spent: Counter[str] = Counter()
    for g in c.plan.grants:
        if g.amount <= 0:
            yield Violation(
                11, f"grant from fund {g.fund} to need {g.need} is {g.amount}, not positive",
                (g.fund, g.need),
            )
        spent[g.fund] += g.amount
    for fid, total in spent.items():
        if total > c.funds[fid].amount:
            yield Violation(
                11, f"fund {fid} grants {total} in all, above its amount {c.funds[fid].amount}",
                (fid,),
            )


# --- needs -----------------------------------------------------------------------------------


def rule_12_met(c: _Ctx) -> Iterator[Violation]:
    staffed = Counter((a.need, a.skill) for a in c.plan.assignments)
    granted: Counter[str] = Counter()
    for g in c.plan.grants:
        granted[g.need] += g.amount
    booked = {b.need for b in c.plan.bookings}
    for nid in sorted(c.met):
        need = c.needs[nid]
        for r in need.roles:
            if staffed[(nid, r.skill)] < r.minimum:
                yield Violation(
                    12, f"need {nid} is listed met but role {r.skill!r} has "
                    f"{staffed[(nid, r.skill)]} volunteer(s), below min_count {r.minimum}",
                    (nid,),
                )
        if granted[nid] != need.funding:
            yield Violation(
                12, f"need {nid} is listed met but its grants sum to {granted[nid]}, not its "
                f"funding {need.funding}", (nid,),
            )
        if need.venue is not None and nid not in booked:
            yield Violation(12, f"need {nid} is listed met but has no venue booking", (nid,))


def rule_13_unmet_empty(c: _Ctx) -> Iterator[Violation]:
    given: dict[str, list[str]] = defaultdict(list)
    for a in c.plan.assignments:
        given[a.need].append(f"volunteer {a.volunteer}")
    for b in c.plan.bookings:
        given[b.need].append(f"venue {b.venue}")
    for g in c.plan.grants:
        given[g.need].append(f"fund {g.fund}")
    for nid, what in given.items():
        if nid not in c.met:
            yield Violation(
                13, f"need {nid} is not met but is given {', '.join(sorted(set(what)))}", (nid,)
            )


def rule_14_pins_forbids(c: _Ctx) -> Iterator[Violation]:
    assigned = {(a.need, a.volunteer) for a in c.plan.assignments}
    booked = {(b.need, b.venue) for b in c.plan.bookings}
    granted = {(g.need, g.fund): g.amount for g in c.plan.grants}
    if c.plan.status != "infeasible":
        for p in c.problem.pins:
            if p.volunteer is not None and (p.need, p.volunteer) not in assigned:
                yield Violation(
                    14, f"pin of volunteer {p.volunteer} to need {p.need} is not in the plan",
                    (p.need, p.volunteer),
                )
            if p.venue is not None and (p.need, p.venue) not in booked:
                yield Violation(
                    14, f"pin of venue {p.venue} to need {p.need} is not in the plan",
                    (p.need, p.venue),
                )
            if p.fund is not None and granted.get((p.need, p.fund)) != p.amount:
                yield Violation(
                    14, f"pin of {p.amount} from fund {p.fund} to need {p.need} is not in the "
                    f"plan (granted {granted.get((p.need, p.fund), 0)})", (p.need, p.fund),
                )
            if p.need not in c.met:
                yield Violation(14, f"pinned need {p.need} is not met", (p.need,))
    for f in c.problem.forbid:
        if f.volunteer is not None and (f.need, f.volunteer) in assigned:
            yield Violation(
                14, f"volunteer {f.volunteer} is forbidden for need {f.need}", (f.need, f.volunteer)
            )
        if f.venue is not None and (f.need, f.venue) in booked:
            yield Violation(
                14, f"venue {f.venue} is forbidden for need {f.need}", (f.need, f.venue)
            )
        if f.fund is not None and (f.need, f.fund) in granted:
            yield Violation(14, f"fund {f.fund} is forbidden for need {f.need}", (f.need, f.fund))


RULES: list[Callable[[_Ctx], Iterator[Violation]]] = [
    rule_1_skill,
    rule_2_travel,
    rule_3_volunteer_availability,
    rule_4_volunteer_time,
    rule_5_roles,
    rule_6_venue_fit,
    rule_7_venue_distance,
    rule_8_venue_time,
    rule_9_one_booking,
    rule_10_fund_eligible,
    rule_11_fund_amounts,
    rule_12_met,
    rule_13_unmet_empty,
    rule_14_pins_forbids,
]


# --- objective -------------------------------------------------------------------------------


def plan_values(problem: Problem, plan: Plan) -> PlanValues:
    """Recompute coverage, fill, travel and (when asked) fairness from the plan's contents."""
    c = _Ctx(problem, plan)
    vals = PlanValues()
    staffed = Counter(a.need for a in plan.assignments)
    for nid in c.met:
        need = c.needs[nid]
        w = problem.weight(need)
        vals.coverage += w
        vals.fill += w * (staffed[nid] - sum(r.minimum for r in need.roles))
    for a in plan.assignments:
        vals.travel_m += distance_m(c.vols[a.volunteer].location, c.needs[a.need].location)
    for b in plan.bookings:
        vals.travel_m += distance_m(c.venues[b.venue].location, c.needs[b.need].location)
    fair = problem.objective.fairness
    if fair is not None:
        met_mask = [n.id in c.met for n in problem.needs]
        vals.fairness = fairness_value(problem, met_mask, fair.region_depth)
    return vals


def _bound_checks(plan: Plan, vals: PlanValues) -> Iterator[Violation]:
    """A bound is an upper bound on the stage's best value: never below what the plan itself
    gives, and equal to it when the plan says `optimal` (every stage proven)."""
    fair = None if vals.fairness is None else float(vals.fairness)
    for name, bound, value, tol in (("coverage", plan.bound.coverage, vals.coverage, 1e-6),
                                    ("fairness", plan.bound.fairness, fair, 1e-9)):
        if bound is None or value is None:
            continue
        if bound < value - tol:
            yield Violation(0, f"bound.{name} {bound} is below the plan's {name} {value}")
        elif plan.status == "optimal" and bound > value + tol * max(1.0, abs(value)):
            yield Violation(0, f"status is optimal but bound.{name} {bound} is above the "
                            f"plan's {name} {value}: an optimal plan's bound is its value")


def _objective_checks(c: _Ctx) -> Iterator[Violation]:
    plan, problem = c.plan, c.problem
    vals = plan_values(problem, plan)
    for name in ("coverage", "fill", "travel_m"):
        got, want = getattr(plan.objective, name), getattr(vals, name)
        if got != want:
            yield Violation(0, f"{name} is reported as {got} but the plan gives {want}")
    if vals.fairness is not None:
        rep = plan.objective.fairness
        if rep is None or abs(rep - float(vals.fairness)) > 1e-9:
            yield Violation(
                0, f"fairness is reported as {rep} but the plan gives {float(vals.fairness)}"
            )
    yield from _bound_checks(plan, vals)
    for a in plan.assignments:
        d = distance_m(c.vols[a.volunteer].location, c.needs[a.need].location)
        if a.distance_m is not None and a.distance_m != d:
            yield Violation(
                0, f"assignment of {a.volunteer} to {a.need} reports {a.distance_m} m, not {d} m",
                (a.volunteer, a.need),
            )
    for b in plan.bookings:
        d = distance_m(c.venues[b.venue].location, c.needs[b.need].location)
        if b.distance_m is not None and b.distance_m != d:
            yield Violation(
                0, f"booking of {b.venue} for {b.need} reports {b.distance_m} m, not {d} m",
                (b.venue, b.need),
            )


def _document_checks(c: _Ctx) -> Iterator[Violation]:
    """SPEC's plan-document rules: every need met or unmet, with reasons; infeasible is empty."""
    unmet = [u.need for u in c.plan.unmet]
    listed = Counter(c.plan.met) + Counter(unmet)
    for n in c.problem.needs:
        if listed[n.id] != 1:
            where = "neither met nor unmet" if listed[n.id] == 0 else "listed more than once"
            yield Violation(13, f"need {n.id} is {where} in the plan", (n.id,))
    for u in c.plan.unmet:
        if not u.reasons:
            yield Violation(13, f"unmet need {u.need} has no reason", (u.need,))
    if c.plan.status == "infeasible" and (
        c.plan.met or c.plan.assignments or c.plan.bookings or c.plan.grants
    ):
        yield Violation(14, "an infeasible plan must assign nothing")


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every violation of SPEC's rules 1-14 and of the plan's reported values."""
    c = _Ctx(problem, plan)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule(c))
    out.extend(_document_checks(c))
    out.extend(_objective_checks(c))
    return out
