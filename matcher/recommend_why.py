"""Recommendations that always answer: options, or a reason per missing resource; and the
inverse question, which unmet needs one volunteer, venue or fund could make met.

A reason names the requirement (a role, the venue, the funding) and why it cannot be given:
too few candidates at all (the same filters the plan's own reasons name: skill, reach, free
window, opening hours, earmark), or candidates held by pinned needs (mode `displace`), or
held by other needs (mode `free`). The plan's own reasons for the need come with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matcher.model import Plan, Problem
from matcher.recommend import (
    DEFAULT_K,
    Option,
    _build_index,
    _eligible_funds,
    _eligible_venues,
    _eligible_volunteers,
    _Index,
    _Resources,
    _usable,
    recommend,
)

MAX_NAMED = 4


@dataclass
class Reason:
    requirement: str  # "role 'teaching'", "venue", "funding"
    reason: str


@dataclass
class Answer:
    need: str
    already_met: bool
    options: list[Option]
    reasons: list[Reason] = field(default_factory=list)
    plan_reasons: list[str] = field(default_factory=list)


def _names(items: list[str]) -> str:
    if len(items) <= MAX_NAMED:
        return ", ".join(items)
    return ", ".join(items[:MAX_NAMED]) + f" and {len(items) - MAX_NAMED} more"


def _resources(ix: _Index, problem: Problem) -> _Resources:
    return _Resources(
        roles=_eligible_volunteers(ix), venues=_eligible_venues(ix), funds=_eligible_funds(ix),
        hours={v.id: v.max_hours for v in problem.volunteers},
        amounts={f.id: f.amount for f in problem.funds})


def recommend_or_explain(problem: Problem, plan: Plan, need_id: str, k: int = DEFAULT_K,
                         mode: str = "displace") -> Answer:
    """Options for the need, or (when there is none) a reason per requirement that cannot be
    given; the plan's own reasons for the need beside them."""
    own = next((u.reasons for u in plan.unmet if u.need == need_id), [])
    if need_id in plan.met:
        return Answer(need_id, True, [])
    options = recommend(problem, plan, need_id, k, mode=mode)
    if options:
        return Answer(need_id, False, options, plan_reasons=list(own))
    need = next(n for n in problem.needs if n.id == need_id)
    ix = _build_index(problem, plan, need)
    res = _resources(ix, problem)
    reasons = _reasons(ix, res, plan, mode)
    if not reasons:
        # Each requirement can be given alone, but not all at once.
        reasons = [Reason("together", "each requirement has a candidate, but not at the same "
                          "time: the same volunteers would have to fill two roles, or their "
                          "hours would run out")]
    if plan.status == "infeasible":
        reasons.insert(0, Reason("plan", "the plan is infeasible (its pins cannot all hold), "
                                 "so it gives nothing to any need"))
    return Answer(need_id, False, [], reasons, list(own))


def _reasons(ix: _Index, res: _Resources, plan: Plan, mode: str) -> list[Reason]:
    need = ix.need
    out: list[Reason] = []
    spare = {key: ix.role_fill[key] - ix.role_min.get(key, 0) for key in ix.role_fill}
    for r in need.roles:
        cands = res.roles[r.skill]
        what = f"role {r.skill!r}"
        if len(cands) < r.minimum:
            out.append(Reason(what, f"only {len(cands)} volunteer(s) with skill {r.skill!r} "
                              f"can reach it and are free {_when(ix)} (min_count {r.minimum})"))
            continue
        free = [v for _, v in cands if _usable(ix, res, v, frozenset(), dict(spare))[0]]
        if len(free) >= r.minimum:
            continue
        busy = [v for _, v in cands if v not in free]
        holders = sorted({m for v in busy for m, _ in ix.by_volunteer.get(v, [])
                          if ix.overlaps(m) or res.hours[v] is not None})
        pinned = [m for m in holders if m in ix.pinned_needs]
        if mode == "free":
            out.append(Reason(what, f"needs {r.minimum} but only {len(free)} of its "
                              f"{len(cands)} candidate volunteer(s) are free: the others serve "
                              + _names([_label(ix, m) for m in holders])))
        elif pinned and len(cands) - _held_by(ix, busy, set(pinned)) < r.minimum:
            out.append(Reason(what, f"its candidate volunteers are held by pinned needs "
                              f"{_names([_label(ix, m) for m in pinned])}; unpin them"))
    if need.venue is not None:
        if not res.venues:
            out.append(Reason("venue", f"no venue with features {sorted(need.venue.features)} "
                              f"and capacity >= {need.venue.capacity} within "
                              f"{need.venue.max_distance_km:g} km is open {_when(ix)}"))
        else:
            booked = {u: [m for m in ix.by_venue.get(u, []) if ix.overlaps(m)]
                      for _, u in res.venues}
            free_u = [u for u, ms in booked.items() if not ms]
            holders = sorted({m for ms in booked.values() for m in ms})
            if not free_u and mode == "free":
                out.append(Reason("venue", f"all {len(booked)} venue(s) that could host it are "
                                  "booked for " + _names([_label(ix, m) for m in holders])))
            elif not free_u and all(any(m in ix.pinned_needs for m in ms)
                                    for ms in booked.values()):
                out.append(Reason("venue", "every venue that could host it is booked for a "
                                  "pinned need: " + _names([_label(ix, m) for m in holders
                                                            if m in ix.pinned_needs])))
    if need.funding > 0:
        total = sum(res.amounts[f] for f in res.funds)
        if total < need.funding:
            out.append(Reason("funding", f"eligible funds ({_names(res.funds) or 'none'}) hold "
                              f"{total} of the {need.funding} it needs, even unspent"))
        else:
            left = sum(res.amounts[f] - sum(a for _, a in ix.by_fund.get(f, []))
                       for f in res.funds)
            if left < need.funding:
                users = sorted({m for f in res.funds for m, _ in ix.by_fund.get(f, [])})
                pinned = [m for m in users if m in ix.pinned_needs]
                if mode == "free":
                    out.append(Reason("funding", f"eligible funds have {left} left of the "
                                      f"{need.funding} it needs; they pay "
                                      + _names([_label(ix, m) for m in users])))
                elif pinned and total - sum(a for f in res.funds for m, a in
                                            ix.by_fund.get(f, []) if m in pinned) < need.funding:
                    out.append(Reason("funding", "the eligible funds' money is pinned to "
                                      + _names([_label(ix, m) for m in pinned])))
    return out


def _held_by(ix: _Index, vols: list[str], needs: set[str]) -> int:
    return sum(1 for v in vols if any(m in needs for m, _ in ix.by_volunteer.get(v, [])))


def _when(ix: _Index) -> str:
    return f"{ix.need.start:%Y-%m-%d %H:%M}-{ix.need.end:%H:%M}"


def _label(ix: _Index, m: str) -> str:
    tag = ", pinned" if m in ix.pinned_needs else ""
    return f"{m} (weight {ix.weight[m]}{tag})"


def could_meet(problem: Problem, plan: Plan, kind: str, ident: str, k: int = DEFAULT_K,
               mode: str = "displace", limit: int = 20) -> list[tuple[str, int, Option]]:
    """Unmet needs that `kind` (`volunteer`, `venue` or `fund`) `ident` could make met: for
    each, the best option that uses it (heaviest needs first, at most `limit`)."""
    pool: dict[str, list[Any]] = {"volunteer": list(problem.volunteers),
                                  "venue": list(problem.venues), "fund": list(problem.funds)}
    if kind not in pool:
        raise ValueError(f"kind must be volunteer, venue or fund, not {kind!r}")
    entity: Any = next((x for x in pool[kind] if x.id == ident), None)
    if entity is None:
        raise ValueError(f"no {kind} with id {ident!r}")
    weight = {n.id: problem.weight(n) for n in problem.needs}
    unmet = sorted((u.need for u in plan.unmet), key=lambda n: (-weight[n], n))
    needs = {n.id: n for n in problem.needs}
    out: list[tuple[str, int, Option]] = []
    for nid in unmet:
        need = needs[nid]
        if kind == "volunteer" and not {r.skill for r in need.roles} & set(entity.skills):
            continue
        if kind == "venue" and need.venue is None:
            continue
        if kind == "fund" and need.funding == 0:
            continue
        for opt in recommend(problem, plan, nid, k, mode=mode, first=ident):
            uses = (any(p.volunteer == ident for p in opt.volunteers) if kind == "volunteer"
                    else opt.venue is not None and opt.venue.venue == ident if kind == "venue"
                    else any(g.fund == ident for g in opt.grants))
            if uses:
                out.append((nid, weight[nid], opt))
                break
        if len(out) >= limit:
            break
    return out
