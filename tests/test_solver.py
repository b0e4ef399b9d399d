"""`solve` on known problems: conformance objectives, impossible pins, determinism, the reasons
given for unmet needs, progress reports and stopping early.

Hand-built cases put every need at C on 2026-12-05 (+08:00) unless they say otherwise.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from matcher.model import Plan, Problem, parse_problem
from matcher.solver import Progress, SolveParams, solve
from matcher.validate import validate

CONFORMANCE = Path(__file__).resolve().parent / "data" / "conformance"
NAMES = [f"c{i:02d}" for i in range(1, 7)]

C = {"lat": 32.690, "lon": 119.007}
FAR = {"lat": 32.690, "lon": 119.607}  # 56 km east of C
NEAR = {"lat": 32.691, "lon": 119.008}  # ~145 m from C
KM4 = {"lat": 32.726, "lon": 119.007}  # 4.0 km north of C

Doc = dict[str, Any]


def t(hhmm: str, day: str = "2026-12-05") -> str:
    return f"{day}T{hhmm}:00+08:00"


def need(nid: str, start: str = "14:00", end: str = "16:00", priority: int = 3,
         **fields: Any) -> Doc:
    return {"id": nid, "location": C, "start": t(start), "end": t(end), "priority": priority,
            **fields}


def role(skill: str, count: int = 1, min_count: int | None = None) -> Doc:
    r: Doc = {"skill": skill, "count": count}
    if min_count is not None:
        r["min_count"] = min_count
    return r


def vol(vid: str, *skills: str, location: Doc = NEAR, **fields: Any) -> Doc:
    return {"id": vid, "location": location, "skills": list(skills), **fields}


def venue(uid: str, *features: str, capacity: int = 40, location: Doc = NEAR,
          **fields: Any) -> Doc:
    return {"id": uid, "location": location, "capacity": capacity, "features": list(features),
            **fields}


def solve_doc(doc: Doc, time_limit: float = 5.0, workers: int = 1) -> tuple[Problem, Plan]:
    doc = {"version": 1, "name": "case", "volunteers": [], "venues": [], "funds": [], **doc}
    problem = parse_problem(doc)
    plan = solve(problem, SolveParams(time_limit=time_limit, workers=workers)).plan
    violations = validate(problem, plan)
    assert not violations, "\n".join(map(str, violations))
    return problem, plan


def reasons(plan: Plan, nid: str) -> str:
    """All reasons for an unmet need, joined; fails if the need is met."""
    for u in plan.unmet:
        if u.need == nid:
            assert u.reasons
            return " | ".join(u.reasons)
    raise AssertionError(f"{nid} is met, expected unmet (met: {plan.met})")


def _plan_doc(plan: Plan) -> Doc:
    doc = plan.to_json_dict()
    doc.pop("stats", None)
    return doc


# --- conformance -------------------------------------------------------------------------------


def _conformance(name: str) -> tuple[Problem, Doc]:
    prob, exp = CONFORMANCE / f"{name}.problem.json", CONFORMANCE / f"{name}.expected-plan.json"
    if not (prob.is_file() and exp.is_file()):
        pytest.fail(f"conformance files missing: {prob} / {exp}")
    problem = parse_problem(json.loads(prob.read_text(encoding="utf-8")), str(prob))
    return problem, json.loads(exp.read_text(encoding="utf-8"))


def test_conformance_directory_is_there() -> None:
    if not CONFORMANCE.is_dir():
        pytest.fail(f"conformance directory missing: {CONFORMANCE}")
    assert sorted(p.name for p in CONFORMANCE.glob("*.problem.json")) == [
        f"{n}.problem.json" for n in NAMES]


@pytest.mark.parametrize("name", NAMES)
def test_conformance_objectives(name: str) -> None:
    problem, expected = _conformance(name)
    plan = solve(problem, SolveParams(time_limit=30.0, workers=2)).plan
    assert not validate(problem, plan), "\n".join(map(str, validate(problem, plan)))
    assert plan.status == "optimal"
    want = expected["objective"]
    assert plan.objective.coverage == want["coverage"]
    assert plan.objective.fill == want["fill"]
    assert plan.objective.travel_m == want["travel_m"]
    assert plan.bound.coverage == want["coverage"]
    if "fairness" in want:
        assert plan.objective.fairness is not None
        assert abs(plan.objective.fairness - want["fairness"]) <= 1e-9
        assert plan.bound.fairness is not None
        assert abs(plan.bound.fairness - want["fairness"]) <= 1e-9
    else:
        assert plan.objective.fairness is None


@pytest.mark.parametrize("workers", [1, 2])
def test_same_seed_and_workers_give_the_same_plan(workers: int) -> None:
    problem, _ = _conformance("c04")
    params = SolveParams(time_limit=20.0, seed=7, workers=workers)
    first = _plan_doc(solve(problem, params).plan)
    second = _plan_doc(solve(problem, params).plan)
    assert first == second
    assert first["status"] == "optimal"


# --- impossible pins ---------------------------------------------------------------------------


def _assert_infeasible(problem: Problem, plan: Plan, *parts: str) -> str:
    assert plan.status == "infeasible"
    assert not plan.met and not plan.assignments and not plan.bookings and not plan.grants
    assert {u.need for u in plan.unmet} == {n.id for n in problem.needs}
    text = " | ".join(r for u in plan.unmet for r in u.reasons)
    assert "pin" in text
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"
    return text


def test_pin_of_a_volunteer_without_the_skill_is_infeasible() -> None:
    problem, plan = solve_doc({
        "volunteers": [vol("v1", "teaching"), vol("v2", "counselling")],
        "needs": [need("n1", roles=[role("counselling")]), need("n2", "09:00", "10:00",
                                                                roles=[role("teaching")])],
        "pins": [{"need": "n1", "volunteer": "v1"}],
    })
    text = _assert_infeasible(problem, plan, "volunteer v1", "n1", "counselling")
    assert "pin of volunteer v1 to need n1" in reasons(plan, "n1")
    assert "n2" not in reasons(plan, "n1")
    assert text


def test_one_volunteer_pinned_to_two_overlapping_needs_is_infeasible() -> None:
    problem, plan = solve_doc({
        "volunteers": [vol("v1", "counselling")],
        "needs": [need("n1", "14:00", "15:00", roles=[role("counselling")]),
                  need("n2", "14:30", "15:30", roles=[role("counselling")]),
                  need("n3", "18:00", "19:00", roles=[role("counselling")])],
        "pins": [{"need": "n1", "volunteer": "v1"}, {"need": "n2", "volunteer": "v1"}],
    })
    _assert_infeasible(problem, plan, "volunteer v1")
    assert "pin of volunteer v1 to need n1" in reasons(plan, "n1")
    assert "pin of volunteer v1 to need n2" in reasons(plan, "n2")
    # The need nobody pinned is told which pins to change.
    assert "pin" in reasons(plan, "n3")


def test_fund_pinned_beyond_its_amount_is_infeasible() -> None:
    problem, plan = solve_doc({
        "funds": [{"id": "f1", "amount": 1000}],
        "needs": [need("n1", funding=5000)],
        "pins": [{"need": "n1", "fund": "f1", "amount": 3000}],
    })
    _assert_infeasible(problem, plan, "fund f1", "n1", "3000", "1000")


def test_two_fund_pins_over_its_amount_together_are_infeasible() -> None:
    problem, plan = solve_doc({
        "funds": [{"id": "f1", "amount": 1000}],
        "needs": [need("n1", funding=600), need("n2", "09:00", "10:00", funding=600)],
        "pins": [{"need": "n1", "fund": "f1", "amount": 600},
                 {"need": "n2", "fund": "f1", "amount": 600}],
    })
    _assert_infeasible(problem, plan, "f1")
    assert "pin" in reasons(plan, "n1") and "pin" in reasons(plan, "n2")


def test_infeasible_plan_with_fairness_reports_its_fairness() -> None:
    problem, plan = solve_doc({
        "volunteers": [vol("v1", "teaching")],
        "needs": [need("n1", roles=[role("counselling")], region="341181/001")],
        "pins": [{"need": "n1", "volunteer": "v1"}],
        "objective": {"fairness": {"region_depth": 1}},
    })
    assert plan.status == "infeasible"
    assert plan.objective.fairness == 0.0


def test_pinned_volunteer_may_fill_any_role_it_has_the_skill_for() -> None:
    """v1 can teach or give first aid; only v1 can teach, so the pin holds with v1 teaching."""
    _, plan = solve_doc({
        "volunteers": [vol("v1", "teaching", "first_aid"), vol("v2", "first_aid")],
        "needs": [need("n1", roles=[role("teaching"), role("first_aid")])],
        "pins": [{"need": "n1", "volunteer": "v1"}],
    })
    assert plan.status == "optimal"
    assert plan.met == ["n1"]
    assert {(a.volunteer, a.skill) for a in plan.assignments} == {
        ("v1", "teaching"), ("v2", "first_aid")}


# --- reasons: (a) structural -------------------------------------------------------------------


def test_reason_no_volunteer_with_the_skill() -> None:
    _, plan = solve_doc({"volunteers": [vol("v1", "teaching")],
                         "needs": [need("n1", roles=[role("counselling")])]})
    text = reasons(plan, "n1")
    assert "0 volunteer(s) have skill 'counselling'" in text


def test_reason_skill_present_but_too_far() -> None:
    _, plan = solve_doc({"volunteers": [vol("v1", "counselling", location=FAR)],
                         "needs": [need("n1", roles=[role("counselling")])]})
    text = reasons(plan, "n1")
    assert "'counselling'" in text and "travel limit" in text


def test_reason_in_reach_but_not_free_in_the_window() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "counselling",
                           availability=[{"start": t("08:00"), "end": t("12:00")}]),
                       vol("v2", "counselling", availability=[])],
        "needs": [need("n1", "14:00", "16:00", roles=[role("counselling")])]})
    text = reasons(plan, "n1")
    assert "'counselling'" in text and "free 2026-12-05 14:00-16:00" in text


def test_reason_volunteer_without_enough_hours() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "counselling", max_hours=1.5)],
        "needs": [need("n1", "14:00", "16:00", roles=[role("counselling")])]})
    assert "hours" in reasons(plan, "n1")


def test_reason_too_few_volunteers_for_min_count() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "teaching")],
        "needs": [need("n1", roles=[role("teaching", count=3, min_count=2)])]})
    text = reasons(plan, "n1")
    assert "'teaching'" in text and "min_count 2" in text


def test_reason_no_venue_with_the_features() -> None:
    _, plan = solve_doc({
        "venues": [venue("u1", "classroom")],
        "needs": [need("n1", venue={"capacity": 30, "features": ["gym"]})]})
    text = reasons(plan, "n1")
    assert "no venue has" in text and "gym" in text and "30" in text


def test_reason_no_venue_big_enough() -> None:
    _, plan = solve_doc({
        "venues": [venue("u1", "gym", capacity=20)],
        "needs": [need("n1", venue={"capacity": 30, "features": ["gym"]})]})
    assert "no venue has" in reasons(plan, "n1") and "capacity >= 30" in reasons(plan, "n1")


def test_reason_venue_too_far() -> None:
    _, plan = solve_doc({
        "venues": [venue("u1", "classroom", location=KM4)],
        "needs": [need("n1", venue={"capacity": 30, "features": ["classroom"],
                                    "max_distance_km": 3})]})
    text = reasons(plan, "n1")
    assert "within 3 km" in text and "classroom" in text
    assert "open" not in text


def test_reason_venue_closed() -> None:
    _, plan = solve_doc({
        "venues": [venue("u1", "classroom",
                         availability=[{"start": t("08:00"), "end": t("15:00")}])],
        "needs": [need("n1", "14:00", "16:00",
                       venue={"capacity": 30, "features": ["classroom"]})]})
    text = reasons(plan, "n1")
    assert "open 2026-12-05 14:00-16:00" in text


@pytest.mark.parametrize(
    ("fund", "shown"),
    [
        ({"categories": ["student_aid"]}, "category 'wish'"),
        ({"regions": ["341182"]}, "region '341181/001'"),
        ({"expires": "2026-12-05T13:59:59+08:00"}, "on 2026-12-05"),
    ],
    ids=["category", "region", "expiry"],
)
def test_reason_no_eligible_fund(fund: Doc, shown: str) -> None:
    _, plan = solve_doc({
        "funds": [{"id": "f1", "amount": 100000, **fund}],
        "needs": [need("n1", category="wish", region="341181/001", funding=2000)]})
    text = reasons(plan, "n1")
    assert "no fund is eligible" in text and shown in text


def test_reason_eligible_funds_too_small() -> None:
    _, plan = solve_doc({
        "funds": [{"id": "f1", "amount": 300}, {"id": "f2", "amount": 500},
                  {"id": "f3", "amount": 5000, "categories": ["student_aid"]}],
        "needs": [need("n1", category="wish", funding=2000)]})
    text = reasons(plan, "n1")
    assert "8.00 CNY" in text and "20.00 CNY" in text


def test_reason_forbidden_volunteer() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "counselling")],
        "needs": [need("n1", roles=[role("counselling")])],
        "forbid": [{"need": "n1", "volunteer": "v1"}]})
    assert "forbid" in reasons(plan, "n1")


# --- reasons: (b) competition ------------------------------------------------------------------


def test_reason_volunteer_taken_by_a_heavier_overlapping_need() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "counselling")],
        "needs": [need("heavy", "14:00", "15:00", priority=4, roles=[role("counselling")]),
                  need("light", "14:30", "15:30", priority=2, roles=[role("counselling")])]})
    assert plan.met == ["heavy"]
    text = reasons(plan, "light")
    assert "v1" in text and "heavy (weight 8)" in text and "'counselling'" in text
    assert "pinned" not in text


def test_reason_venue_taken_by_a_heavier_overlapping_need() -> None:
    req = {"capacity": 30, "features": ["classroom"]}
    _, plan = solve_doc({
        "venues": [venue("u1", "classroom"), venue("u2", "gym")],
        "needs": [need("heavy", "14:00", "16:00", priority=5, venue=req),
                  need("light", "15:00", "17:00", priority=1, venue=req)]})
    assert plan.met == ["heavy"]
    text = reasons(plan, "light")
    assert "u1" in text and "heavy (weight 16)" in text and "taken" in text


def test_reason_fund_exhausted_by_heavier_needs() -> None:
    _, plan = solve_doc({
        "funds": [{"id": "f1", "amount": 1000}],
        "needs": [need("heavy1", "09:00", "10:00", priority=5, funding=400),
                  need("heavy2", "10:00", "11:00", priority=4, funding=400),
                  need("light", "14:00", "15:00", priority=1, funding=500)]})
    assert sorted(plan.met) == ["heavy1", "heavy2"]
    text = reasons(plan, "light")
    assert "f1" in text and "2.00 CNY left" in text and "5.00 CNY" in text
    assert "heavy1 (weight 16)" in text and "heavy2 (weight 8)" in text


# --- reasons: (c) pins -------------------------------------------------------------------------


def test_reason_only_volunteer_pinned_to_another_overlapping_need() -> None:
    _, plan = solve_doc({
        "volunteers": [vol("v1", "counselling")],
        "needs": [need("heavy", "14:00", "15:00", priority=5, roles=[role("counselling")]),
                  need("pinned_one", "14:30", "15:30", priority=1,
                       roles=[role("counselling")])],
        "pins": [{"need": "pinned_one", "volunteer": "v1"}]})
    assert plan.status == "optimal" and plan.met == ["pinned_one"]
    text = reasons(plan, "heavy")
    assert "v1" in text and "pinned_one" in text and "pinned" in text
    # The heavy need loses to a pin, not to weights: no claim that meeting it costs more.
    assert "cost more" not in text


# --- progress and stop -------------------------------------------------------------------------


def test_progress_reports_non_decreasing_coverage_below_the_bound() -> None:
    problem, _ = _conformance("c05")
    seen: list[Progress] = []
    result = solve(problem, SolveParams(time_limit=30.0, workers=2), progress=seen.append)
    assert seen, "no progress report"
    coverages = [p.coverage for p in seen]
    assert all(c is not None for c in coverages)
    assert coverages == sorted(coverages)  # type: ignore[type-var]
    for p in seen:
        assert p.bound is not None and p.coverage is not None and p.bound >= p.coverage
    assert [p.elapsed for p in seen] == sorted(p.elapsed for p in seen)
    assert coverages[-1] == result.plan.objective.coverage
    assert not validate(problem, result.plan)


def test_stop_set_before_solving_returns_promptly_with_a_valid_plan() -> None:
    problem, _ = _conformance("c06")
    stop = threading.Event()
    stop.set()
    t0 = time.monotonic()
    result = solve(problem, SolveParams(time_limit=60.0, workers=2), stop=stop)
    assert time.monotonic() - t0 < 10.0
    plan = result.plan
    assert plan.status in ("optimal", "feasible")
    assert not validate(problem, plan), "\n".join(map(str, validate(problem, plan)))


def test_stop_set_before_solving_keeps_pins() -> None:
    """Even when stopped at once, a plan that is not `infeasible` holds every pin."""
    problem, _ = _conformance("c05")
    assert problem.pins
    stop = threading.Event()
    stop.set()
    plan = solve(problem, SolveParams(time_limit=60.0, workers=2), stop=stop).plan
    assert not validate(problem, plan), "\n".join(map(str, validate(problem, plan)))
