"""Recommendations: every option, carried out on the plan, gives a plan the validator accepts.

Small hand-made problems each show one way of meeting a need (a free volunteer, one moved off
a role staffed above its minimum, a displaced need, a venue clash, pooled funds); the
Tianchang scenario shows the search stays sound at county scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from matcher.model import Plan, Problem, parse_plan, parse_problem
from matcher.recommend import Option, RecommendError, apply_option, recommend
from matcher.validate import plan_values, validate

REPO = Path(__file__).parents[1]
DAY = "2026-12-05"


def t(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00+08:00"


def vol(vid: str, lon: float, skills: list[str], **kw: Any) -> dict[str, Any]:
    return {"id": vid, "location": {"lat": 32.69, "lon": lon}, "skills": skills, **kw}


def need(nid: str, start: str, end: str, priority: int = 1, **kw: Any) -> dict[str, Any]:
    return {"id": nid, "location": {"lat": 32.69, "lon": 119.0}, "start": t(start),
            "end": t(end), "priority": priority, **kw}


def teach(count: int = 1, min_count: int | None = None) -> list[dict[str, Any]]:
    role: dict[str, Any] = {"skill": "teaching", "count": count}
    if min_count is not None:
        role["min_count"] = min_count
    return [role]


def make_plan(problem: Problem, assignments: Sequence[tuple[str, str]] = (),
              bookings: Sequence[tuple[str, str]] = (),
              grants: Sequence[tuple[str, str, int]] = ()) -> Plan:
    """A valid plan with these resources: needs given anything are met, the rest unmet."""
    needs = {n.id: n for n in problem.needs}
    met = sorted({a for a, _ in assignments} | {b for b, _ in bookings}
                 | {g for g, _, _ in grants})
    doc: dict[str, Any] = {
        "status": "feasible", "met": met,
        "assignments": [{"need": n, "skill": needs[n].roles[0].skill, "volunteer": v}
                        for n, v in assignments],
        "bookings": [{"need": n, "venue": u} for n, u in bookings],
        "grants": [{"need": n, "fund": f, "amount": a} for n, f, a in grants],
        "unmet": [{"need": n.id, "reasons": ["left out"]} for n in problem.needs
                  if n.id not in met],
    }
    vals = plan_values(problem, parse_plan(doc, problem))
    doc["objective"] = {"coverage": vals.coverage, "fill": vals.fill, "travel_m": vals.travel_m}
    plan = parse_plan(doc, problem)
    assert validate(problem, plan) == [], "the test's base plan must be valid"
    return plan


def check(problem: Problem, plan: Plan, option: Option) -> Plan:
    """Carry the option out; the need is met, displaced needs are not, and the plan is valid."""
    new = apply_option(problem, plan, option)
    assert option.need in new.met
    assert not set(option.displaced) & set(new.met)
    assert validate(problem, new) == []
    return new


def test_a_free_volunteer_is_the_first_option_and_displaces_nothing() -> None:
    """v2 is free and nearer than v1 is to the clash; the free option ranks first."""
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"]), vol("v2", 119.02, ["teaching"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach()),
                  need("n2", "11:00", "13:00", priority=5, roles=teach())],
    })
    plan = make_plan(p, [("n1", "v1")])
    opts = recommend(p, plan, "n2")
    assert opts[0].displaced == () and opts[0].volunteers[0].volunteer == "v2"
    assert opts[1].displaced == ("n1",) and opts[1].volunteers[0].taken_from == "n1"
    assert opts[1].coverage_change == 16 - 1
    for o in opts:
        check(p, plan, o)


def test_a_volunteer_to_spare_is_moved_and_the_other_need_stays_met() -> None:
    """n1 has two teachers but needs one: one can move to n2 without displacing n1."""
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"]), vol("v2", 119.002, ["teaching"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach(2, 1)),
                  need("n2", "11:00", "13:00", roles=teach())],
    })
    plan = make_plan(p, [("n1", "v1"), ("n1", "v2")])
    opts = recommend(p, plan, "n2")
    assert opts and opts[0].displaced == ()
    assert opts[0].volunteers[0].taken_from == "n1"
    new = check(p, plan, opts[0])
    assert "n1" in new.met


def test_hours_pinned_needs_and_forbids_are_respected() -> None:
    """v1 has no hours left; v2 is forbidden; v3 serves a pinned need: nothing is offered."""
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"], max_hours=2),
                       vol("v2", 119.001, ["teaching"]), vol("v3", 119.001, ["teaching"])],
        "needs": [need("n1", "08:00", "10:00", roles=teach()),
                  need("n3", "12:00", "14:00", roles=teach()),
                  need("n2", "12:00", "13:00", priority=5, roles=teach())],
        "pins": [{"need": "n3", "volunteer": "v3"}],
        "forbid": [{"need": "n2", "volunteer": "v2"}],
    })
    plan = make_plan(p, [("n1", "v1"), ("n3", "v3")])
    opts = recommend(p, plan, "n2")
    # Only displacing n1 (not pinned) frees v1's hours.
    assert [o.displaced for o in opts] == [("n1",)]
    assert opts[0].volunteers[0].volunteer == "v1"
    check(p, plan, opts[0])


def test_a_venue_clash_and_pooled_funds() -> None:
    """n2 wants the venue n1 holds and 500 of funding that only pooling covers."""
    p = parse_problem({
        "volunteers": [],
        "venues": [{"id": "u1", "location": {"lat": 32.69, "lon": 119.001}, "capacity": 30}],
        "funds": [{"id": "f1", "amount": 1000}, {"id": "f2", "amount": 300}],
        "needs": [need("n1", "10:00", "12:00", venue={"capacity": 10}, funding=800),
                  need("n2", "11:00", "13:00", priority=3, venue={"capacity": 20},
                       funding=500)],
    })
    plan = make_plan(p, bookings=[("n1", "u1")], grants=[("n1", "f1", 800)])
    opts = recommend(p, plan, "n2")
    assert len(opts) == 1 and opts[0].displaced == ("n1",)
    assert opts[0].venue is not None and opts[0].venue.taken_from == "n1"
    check(p, plan, opts[0])

    # Without the venue, the money alone can be pooled: 200 left in f1 and 300 in f2.
    p2 = parse_problem({**p.model_dump(mode="json", exclude_none=True), "needs": [
        need("n1", "10:00", "12:00", funding=800),
        need("n2", "11:00", "13:00", priority=3, funding=500)]})
    plan2 = make_plan(p2, grants=[("n1", "f1", 800)])
    opts2 = recommend(p2, plan2, "n2")
    assert opts2[0].displaced == ()
    assert sorted((g.fund, g.amount) for g in opts2[0].grants) == [("f1", 200), ("f2", 300)]
    for o in opts2:
        check(p2, plan2, o)


def test_a_met_need_an_unknown_need_and_an_impossible_need() -> None:
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach()),
                  need("n2", "10:00", "12:00", roles=[{"skill": "law", "count": 1}])],
    })
    plan = make_plan(p, [("n1", "v1")])
    assert recommend(p, plan, "n1") == []
    assert recommend(p, plan, "n2") == []
    with pytest.raises(RecommendError):
        recommend(p, plan, "nope")


@pytest.fixture(scope="module")
def tianchang() -> tuple[Problem, Plan]:
    from matcher.io import load_problem
    from matcher.solver import SolveParams, solve

    problem = load_problem(REPO / "scenarios" / "tianchang.json")
    plan = solve(problem, SolveParams(time_limit=4.0, seed=0)).plan
    assert validate(problem, plan) == []
    return problem, plan


def test_tianchang_every_option_is_valid_and_sorted(
        tianchang: tuple[Problem, Plan]) -> None:
    problem, plan = tianchang
    assert plan.unmet
    offered = 0
    for u in plan.unmet:
        opts = recommend(problem, plan, u.need, 3)
        keys = [(o.displaced_weight, o.travel_m) for o in opts]
        assert keys == sorted(keys)
        # Validating a county-size plan takes a while: check the first options in full.
        for o in opts:
            offered += 1
            if offered <= 12:
                check(problem, plan, o)
    assert offered > 0
    # Speed is a benchmark's business (benchmarks/replan_bench.py), never a test's.
