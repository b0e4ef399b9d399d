"""Replanning outside the solver: a coordinator's changes applied to a problem document, and
what a new plan changed against the old one (the list a coordinator phones through).

The changes document (`matcher replan PROBLEM PLAN CHANGES`, and the body of
`POST /v1/jobs/{id}/replan`) is ``{"changes": [...]}`` (a bare list works too); each change
is an object with an `op`:

| op | fields | what |
|---|---|---|
| `withdraw_volunteer` | `volunteer` (id) | the volunteer and every pin/forbid naming them go |
| `change_volunteer` | `volunteer` (a whole volunteer) | replaces the volunteer with that id |
| `add_volunteer` | `volunteer` | a new volunteer |
| `close_venue` / `withdraw_venue` | `venue` (id) | the venue goes |
| `change_venue`, `add_venue` | `venue` (a whole venue) | |
| `withdraw_fund` | `fund` (id) | the fund goes |
| `change_fund`, `add_fund` | `fund` (a whole fund) | |
| `grow_fund` | `fund` (id), `amount` (> 0) | adds to the fund's amount |
| `add_need`, `change_need` | `need` (a whole need) | |
| `cancel_need` | `need` (id) | the need and its pins/forbids go |
| `add_pin` / `remove_pin` | `pin` (a SPEC pin) | |
| `add_forbid` / `remove_forbid` | `forbid` (a SPEC forbid) | |

A change that does not fit the problem (an unknown id, an id added twice, a pin naming
nothing) is bad input naming its path, e.g. ``changes[2].volunteer``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from matcher.model import (
    MAX_MONEY,
    Forbid,
    Fund,
    InputError,
    Need,
    Pin,
    Plan,
    Problem,
    Venue,
    Volunteer,
    json_path,
)


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WithdrawVolunteer(_Change):
    op: Literal["withdraw_volunteer"]
    volunteer: str


class ChangeVolunteer(_Change):
    op: Literal["change_volunteer"]
    volunteer: Volunteer


class AddVolunteer(_Change):
    op: Literal["add_volunteer"]
    volunteer: Volunteer


class CloseVenue(_Change):
    op: Literal["close_venue", "withdraw_venue"]
    venue: str


class ChangeVenue(_Change):
    op: Literal["change_venue"]
    venue: Venue


class AddVenue(_Change):
    op: Literal["add_venue"]
    venue: Venue


class WithdrawFund(_Change):
    op: Literal["withdraw_fund"]
    fund: str


class ChangeFund(_Change):
    op: Literal["change_fund"]
    fund: Fund


class AddFund(_Change):
    op: Literal["add_fund"]
    fund: Fund


class GrowFund(_Change):
    op: Literal["grow_fund"]
    fund: str
    amount: int = Field(gt=0, le=MAX_MONEY, description="added to the fund's amount (minor "
                        "units); the sum is held to the same limit as any amount")


class AddNeed(_Change):
    op: Literal["add_need"]
    need: Need


class ChangeNeed(_Change):
    op: Literal["change_need"]
    need: Need


class CancelNeed(_Change):
    op: Literal["cancel_need"]
    need: str


class AddPin(_Change):
    op: Literal["add_pin", "remove_pin"]
    pin: Pin


class AddForbid(_Change):
    op: Literal["add_forbid", "remove_forbid"]
    forbid: Forbid


Change = Annotated[
    WithdrawVolunteer | ChangeVolunteer | AddVolunteer | CloseVenue | ChangeVenue | AddVenue
    | WithdrawFund | ChangeFund | AddFund | GrowFund | AddNeed | ChangeNeed | CancelNeed
    | AddPin | AddForbid,
    Field(discriminator="op"),
]
_CHANGES = TypeAdapter(list[Change])
CHANGE_OPS = frozenset({"withdraw_volunteer", "change_volunteer", "add_volunteer", "close_venue",
        "withdraw_venue", "change_venue", "add_venue", "withdraw_fund", "change_fund",
        "add_fund", "grow_fund", "add_need", "change_need", "cancel_need", "add_pin",
        "remove_pin", "add_forbid", "remove_forbid"})


def parse_changes(data: Any, source: str | None = None) -> list[Any]:
    """The changes of a changes document (``{"changes": [...]}`` or a bare list)."""
    items = data.get("changes") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError("changes", "must be a list of changes", source)
    if not items:
        raise InputError("changes", "must list at least one change", source)
    try:
        return _CHANGES.validate_python(items)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        loc = [p for p in first["loc"] if not (isinstance(p, str) and "[" in p)]
        # Drop the discriminator's tag (the op name) from the path.
        loc = [p for i, p in enumerate(loc) if not (i == 1 and isinstance(p, str)
                                                    and p in CHANGE_OPS)]
        raise InputError(json_path(["changes", *loc]), first["msg"], source,
                         len(err.errors()) - 1) from None


_LISTS = {"volunteer": "volunteers", "venue": "venues", "fund": "funds", "need": "needs"}


def _ids(doc: dict[str, Any], kind: str) -> list[Any]:
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


def _dump(entity: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = entity.model_dump(mode="json", exclude_none=True)
    return out


def _add(doc: dict[str, Any], kind: str, entity: BaseModel, path: str) -> None:
    item = _dump(entity)
    if item["id"] in _ids(doc, kind):
        raise InputError(f"{path}.id", f"a {kind} with id {item['id']!r} already exists")
    doc.setdefault(_LISTS[kind], []).append(item)


def _replace(doc: dict[str, Any], kind: str, entity: BaseModel, path: str) -> None:
    item = _dump(entity)
    ids = _ids(doc, kind)
    if item["id"] not in ids:
        raise InputError(f"{path}.id", f"no {kind} with id {item['id']!r} to change")
    doc[_LISTS[kind]][ids.index(item["id"])] = item


def _rule(doc: dict[str, Any], key: str, entity: BaseModel, add: bool, path: str) -> None:
    item = _dump(entity)
    for kind in ("need", "volunteer", "venue", "fund"):
        if kind in item and item[kind] not in _ids(doc, kind):
            raise InputError(f"{path}.{kind}", f"no {kind} with id {item[kind]!r}")
    rules = doc.setdefault(key, [])
    if add:
        if item not in rules:
            rules.append(item)
    elif item in rules:
        rules.remove(item)
    else:
        raise InputError(path, f"the problem has no such {key.rstrip('s')}")


def apply_changes(problem: dict[str, Any], changes: Sequence[Any]) -> tuple[dict[str, Any], int]:
    """The problem document with the changes made, and how many pins/forbids were dropped
    with a removed entity. Raises `InputError` with a path like ``changes[2].volunteer``."""
    doc = copy.deepcopy(problem)
    dropped = 0
    for i, ch in enumerate(changes):
        at = f"changes[{i}]"
        match ch:
            case WithdrawVolunteer():
                dropped += _remove(doc, "volunteer", ch.volunteer, f"{at}.volunteer")
            case CloseVenue():
                dropped += _remove(doc, "venue", ch.venue, f"{at}.venue")
            case WithdrawFund():
                dropped += _remove(doc, "fund", ch.fund, f"{at}.fund")
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
            case ChangeNeed():
                _replace(doc, "need", ch.need, f"{at}.need")
            case ChangeVolunteer():
                _replace(doc, "volunteer", ch.volunteer, f"{at}.volunteer")
            case ChangeVenue():
                _replace(doc, "venue", ch.venue, f"{at}.venue")
            case ChangeFund():
                _replace(doc, "fund", ch.fund, f"{at}.fund")
            case GrowFund():
                funds = doc.get("funds", [])
                idx = next((j for j, f in enumerate(funds) if f.get("id") == ch.fund), None)
                if idx is None:
                    raise InputError(f"{at}.fund", f"no fund with id {ch.fund!r}")
                funds[idx] = {**funds[idx], "amount": funds[idx]["amount"] + ch.amount}
            case AddPin():
                _rule(doc, "pins", ch.pin, ch.op == "add_pin", f"{at}.pin")
            case AddForbid():
                _rule(doc, "forbid", ch.forbid, ch.op == "add_forbid", f"{at}.forbid")
    return doc, dropped


def diff_plans(old: Plan, new: Plan, old_problem: Problem, new_problem: Problem,
               dropped_pins: int = 0) -> dict[str, Any]:
    """What changed from `old` to `new`, as a coordinator would phone it through.

    Items of needs present in both problems are listed as added, removed or (grants whose
    amount differs) changed, and `total` counts them as SPEC's `changes` does; items of
    cancelled needs are listed apart (`cancelled`), needs newly met or no longer met too.
    """
    old_needs = {n.id for n in old_problem.needs}
    new_needs = {n.id for n in new_problem.needs}
    common = old_needs & new_needs

    def items(plan: Plan, needs: set[str]) -> tuple[set[tuple[str, str, str]],
                                                    set[tuple[str, str]], dict[tuple[str, str],
                                                                               int]]:
        return ({(a.need, a.skill, a.volunteer) for a in plan.assignments if a.need in needs},
                {(b.need, b.venue) for b in plan.bookings if b.need in needs},
                {(g.need, g.fund): g.amount for g in plan.grants if g.need in needs})

    oa, ob, og = items(old, common)
    na, nb, ng = items(new, common)
    changed = sorted(k for k in og.keys() & ng.keys() if og[k] != ng[k])
    gone = old_needs - new_needs
    ca, cb, cg = items(old, gone)
    old_met, new_met = set(old.met), set(new.met)
    out: dict[str, Any] = {
        "newly_met": sorted((new_met - old_met) & common),
        "no_longer_met": sorted((old_met - new_met) & common),
        "added_needs_met": sorted(new_met & (new_needs - old_needs)),
        "added_needs_unmet": sorted((new_needs - old_needs) - new_met),
        "removed_needs": sorted(gone),
        "added_needs": sorted(new_needs - old_needs),
        "assignments_added": [dict(zip(("need", "skill", "volunteer"), a, strict=True))
                              for a in sorted(na - oa)],
        "assignments_removed": [dict(zip(("need", "skill", "volunteer"), a, strict=True))
                                for a in sorted(oa - na)],
        "bookings_added": [{"need": n, "venue": u} for n, u in sorted(nb - ob)],
        "bookings_removed": [{"need": n, "venue": u} for n, u in sorted(ob - nb)],
        "grants_added": [{"need": n, "fund": f, "amount": ng[(n, f)]}
                         for n, f in sorted(ng.keys() - og.keys())],
        "grants_removed": [{"need": n, "fund": f, "amount": og[(n, f)]}
                           for n, f in sorted(og.keys() - ng.keys())],
        "grants_changed": [{"need": n, "fund": f, "old_amount": og[(n, f)],
                            "amount": ng[(n, f)]} for n, f in changed],
        "cancelled": {
            "assignments": [dict(zip(("need", "skill", "volunteer"), a, strict=True))
                            for a in sorted(ca)],
            "bookings": [{"need": n, "venue": u} for n, u in sorted(cb)],
            "grants": [{"need": n, "fund": f, "amount": a} for (n, f), a in sorted(cg.items())],
        },
        "dropped_pins": dropped_pins,
    }
    out["total"] = sum(len(out[k]) for k in (
        "assignments_added", "assignments_removed", "bookings_added", "bookings_removed",
        "grants_added", "grants_removed", "grants_changed"))
    return out


def describe(diff: dict[str, Any]) -> list[str]:
    """The diff as lines a coordinator can read out, one per change."""
    lines: list[str] = []
    for a in diff["assignments_removed"]:
        lines.append(f"- {a['volunteer']} off {a['need']} ({a['skill']})")
    for a in diff["assignments_added"]:
        lines.append(f"+ {a['volunteer']} to {a['need']} ({a['skill']})")
    for b in diff["bookings_removed"]:
        lines.append(f"- venue {b['venue']} released from {b['need']}")
    for b in diff["bookings_added"]:
        lines.append(f"+ venue {b['venue']} booked for {b['need']}")
    for g in diff["grants_removed"]:
        lines.append(f"- grant {g['amount']} from {g['fund']} to {g['need']} withdrawn")
    for g in diff["grants_added"]:
        lines.append(f"+ grant {g['amount']} from {g['fund']} to {g['need']}")
    for g in diff["grants_changed"]:
        lines.append(f"~ grant from {g['fund']} to {g['need']}: {g['old_amount']} -> "
                     f"{g['amount']}")
    for n in diff["no_longer_met"]:
        lines.append(f"! {n} is no longer met")
    for n in diff["newly_met"] + diff["added_needs_met"]:
        lines.append(f"* {n} is now met")
    return lines


def changed_ids(changes: Sequence[Any]) -> frozenset[str]:
    """Ids of the needs, volunteers, venues and funds the changes add or change (what
    `SolveParams.changed` wants); withdrawals and cancellations show as missing ids."""
    out: set[str] = set()
    for ch in changes:
        for kind in ("need", "volunteer", "venue", "fund"):
            value = getattr(ch, kind, None)
            if (isinstance(value, Need | Volunteer | Venue | Fund)
                    and ch.op.startswith(("add_", "change_"))):
                out.add(value.id)
        if isinstance(ch, GrowFund):
            out.add(ch.fund)
    return frozenset(out)
