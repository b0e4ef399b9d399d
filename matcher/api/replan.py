"""Replanning: apply a coordinator's changes to a problem, and say what the new plan changed.

The solver does the re-solve itself (`SolveParams.reference`); this module only edits the
problem document, trims the old plan to what still exists, and compares two plans.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from matcher.api.schemas import (
    AddFund,
    AddNeed,
    AddVenue,
    AddVolunteer,
    CancelNeed,
    Change,
    CloseVenue,
    GrowFund,
    WithdrawVolunteer,
)
from matcher.model import InputError, Plan, Problem, parse_plan

_LISTS = {"volunteer": "volunteers", "venue": "venues", "fund": "funds", "need": "needs"}


def _ids(doc: dict[str, Any], kind: str) -> list[str]:
    return [e.get("id") for e in doc.get(_LISTS[kind], [])]


def _remove(doc: dict[str, Any], kind: str, ident: str, path: str) -> int:
    """Remove one entity and every pin or forbid naming it; returns how many were dropped."""
    if ident not in _ids(doc, kind):
        raise InputError(path, f"no {kind} with id {ident!r}")
    doc[_LISTS[kind]] = [e for e in doc[_LISTS[kind]] if e.get("id") != ident]
    dropped = 0
    for key in ("pins", "forbid"):
        kept = [e for e in doc.get(key, []) if e.get(kind) != ident]
        dropped += len(doc.get(key, [])) - len(kept)
        if key in doc:
            doc[key] = kept
    return dropped


def _add(doc: dict[str, Any], kind: str, entity: Any, path: str) -> None:
    item = entity.model_dump(mode="json", exclude_none=True)
    if item["id"] in _ids(doc, kind):
        raise InputError(f"{path}.id", f"a {kind} with id {item['id']!r} already exists")
    doc.setdefault(_LISTS[kind], []).append(item)


def apply_changes(problem: dict[str, Any], changes: Sequence[Change]) -> tuple[dict[str, Any], int]:
    """The problem document with the changes made, and how many pins/forbids were dropped.

    Raises `InputError` with a path like ``changes[2].volunteer`` for a change that does not
    fit the problem.
    """
    doc = copy.deepcopy(problem)
    dropped = 0
    for i, ch in enumerate(changes):
        at = f"changes[{i}]"
        match ch:
            case WithdrawVolunteer():
                dropped += _remove(doc, "volunteer", ch.volunteer, f"{at}.volunteer")
            case CloseVenue():
                dropped += _remove(doc, "venue", ch.venue, f"{at}.venue")
            case CancelNeed():
                dropped += _remove(doc, "need", ch.need, f"{at}.need")
            case AddNeed():
                _add(doc, "need", ch.need, f"{at}.need")
            case AddVolunteer():
                _add(doc, "volunteer", ch.volunteer, f"{at}.volunteer")
            case AddVenue():
                _add(doc, "venue", ch.venue, f"{at}.venue")
            case AddFund():
                _add(doc, "fund", ch.fund, f"{at}.fund")
            case GrowFund():
                funds = doc.get("funds", [])
                idx = next((j for j, f in enumerate(funds) if f.get("id") == ch.fund), None)
                if idx is None:
                    raise InputError(f"{at}.fund", f"no fund with id {ch.fund!r}")
                funds[idx] = {**funds[idx], "amount": funds[idx]["amount"] + ch.amount}
    return doc, dropped


def restrict_plan(plan: Plan, problem: Problem) -> Plan:
    """The old plan without what the changed problem no longer has: the solver's reference."""
    needs = {n.id for n in problem.needs}
    vols = {v.id for v in problem.volunteers}
    venues = {u.id for u in problem.venues}
    funds = {f.id for f in problem.funds}
    doc = plan.to_json_dict()
    doc["met"] = [n for n in plan.met if n in needs]
    doc["unmet"] = [u for u in doc.get("unmet", []) if u["need"] in needs]
    doc["assignments"] = [a for a in doc.get("assignments", [])
                          if a["need"] in needs and a["volunteer"] in vols]
    doc["bookings"] = [b for b in doc.get("bookings", [])
                       if b["need"] in needs and b["venue"] in venues]
    doc["grants"] = [g for g in doc.get("grants", []) if g["need"] in needs and g["fund"] in funds]
    return parse_plan(doc, problem)


def diff_plans(old: Plan, new: Plan, old_problem: Problem, new_problem: Problem,
               dropped_pins: int = 0) -> dict[str, Any]:
    """What changed from `old` to `new`: needs met, and assignments/bookings/grants."""
    old_needs = {n.id for n in old_problem.needs}
    new_needs = {n.id for n in new_problem.needs}

    def keyed(plan: Plan) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]],
                                   set[tuple[str, str, int]]]:
        return (
            {(a.need, a.skill, a.volunteer) for a in plan.assignments},
            {(b.need, b.venue) for b in plan.bookings},
            {(g.need, g.fund, g.amount) for g in plan.grants},
        )

    oa, ob, og = keyed(old)
    na, nb, ng = keyed(new)
    old_met, new_met = set(old.met), set(new.met)
    out: dict[str, Any] = {
        "newly_met": sorted(new_met - old_met),
        "no_longer_met": sorted((old_met - new_met) & new_needs),
        "removed_needs": sorted(old_needs - new_needs),
        "added_needs": sorted(new_needs - old_needs),
        "assignments_added": [dict(zip(("need", "skill", "volunteer"), a, strict=True))
                              for a in sorted(na - oa)],
        "assignments_removed": [dict(zip(("need", "skill", "volunteer"), a, strict=True))
                                for a in sorted(oa - na)],
        "bookings_added": [{"need": n, "venue": u} for n, u in sorted(nb - ob)],
        "bookings_removed": [{"need": n, "venue": u} for n, u in sorted(ob - nb)],
        "grants_added": [{"need": n, "fund": f, "amount": a} for n, f, a in sorted(ng - og)],
        "grants_removed": [{"need": n, "fund": f, "amount": a} for n, f, a in sorted(og - ng)],
        "dropped_pins": dropped_pins,
    }
    out["total"] = sum(len(out[k]) for k in (
        "assignments_added", "assignments_removed", "bookings_added", "bookings_removed",
        "grants_added", "grants_removed"))
    return out
