"""The plan validator: each of SPEC's 14 rules broken and kept, objective values, conformance.

Every case starts from `rules_problem`/`rules_plan` (conftest), a valid pair, and changes one
thing.  `finish` lists the unmet needs and fills in the objective, so a case shows only the
rule it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from conftest import finish, rules_plan, rules_problem, t

from matcher.derived import distance_m
from matcher.io import load_plan, load_problem
from matcher.model import parse_plan
from matcher.validate import RULES, plan_values, validate

Doc = dict[str, Any]
Case = Callable[[Doc, Doc], None]


# --- small edits of the base documents --------------------------------------------------------


def _vol(prob: Doc, vid: str) -> Doc:
    return next(v for v in prob["volunteers"] if v["id"] == vid)


def _venue(prob: Doc, uid: str) -> Doc:
    return next(u for u in prob["venues"] if u["id"] == uid)


def _fund(prob: Doc, fid: str) -> Doc:
    return next(f for f in prob["funds"] if f["id"] == fid)


def _need(prob: Doc, nid: str) -> Doc:
    return next(n for n in prob["needs"] if n["id"] == nid)


def _swap(plan: Doc, need: str, old: str, new: str) -> None:
    """Give `old`'s assignment in `need` to `new`."""
    for a in plan["assignments"]:
        if a["need"] == need and a["volunteer"] == old:
            a["volunteer"] = new
            return
    raise AssertionError(f"no assignment of {old} to {need}")


def _assign(plan: Doc, need: str, vol: str, skill: str = "teaching") -> None:
    plan["assignments"].append({"need": need, "skill": skill, "volunteer": vol})


def _unassign(plan: Doc, need: str, vol: str) -> None:
    plan["assignments"] = [
        a for a in plan["assignments"] if not (a["need"] == need and a["volunteer"] == vol)
    ]


def _book(plan: Doc, need: str, venue: str, replace: bool = True) -> None:
    if replace:
        plan["bookings"] = [b for b in plan["bookings"] if b["need"] != need]
    plan["bookings"].append({"need": need, "venue": venue})


def _grants(plan: Doc, need: str, *pairs: tuple[str, int]) -> None:
    plan["grants"] = [g for g in plan["grants"] if g["need"] != need]
    plan["grants"] += [{"need": need, "fund": f, "amount": a} for f, a in pairs]


def _meet(plan: Doc, *needs: str) -> None:
    plan["met"] += [n for n in needs if n not in plan["met"]]


def _unmeet(plan: Doc, *needs: str) -> None:
    plan["met"] = [n for n in plan["met"] if n not in needs]


def _with_n4(prob: Doc, plan: Doc) -> None:
    """n4 (16:00-17:00, touching n1's 14:00-16:00) met by v1 and u1, as n1 is."""
    _meet(plan, "n4")
    _assign(plan, "n4", "v1")
    _book(plan, "n4", "u1", replace=False)


# --- rule cases -------------------------------------------------------------------------------
# Each break case: (rule, ids the message must name, edit).  Each keep case: (rule, edit); the
# edited plan must be entirely valid.


BREAKS: list[Any] = [
    # 1: skill
    pytest.param(1, ("v7", "n1"), lambda p, q: _swap(q, "n1", "v2", "v7"),
                 id="1-volunteer-lacks-skill"),
    pytest.param(1, ("n1", "first_aid"),
                 lambda p, q: (_unassign(q, "n1", "v2"), _assign(q, "n1", "v2", "first_aid")),
                 id="1-need-has-no-such-role"),
    # 2: travel
    pytest.param(2, ("v3", "n1"), lambda p, q: _swap(q, "n1", "v2", "v3"),
                 id="2-volunteer-56km-beyond-default-10km"),
    pytest.param(2, ("v1", "n1"), lambda p, q: _vol(p, "v1").update(max_travel_km=0.301),
                 id="2-one-metre-beyond-limit"),
    # 3: volunteer availability
    pytest.param(3, ("v4", "n1"), lambda p, q: _swap(q, "n1", "v2", "v4"),
                 id="3-volunteer-free-only-mornings"),
    pytest.param(3, ("v1", "n1"),
                 lambda p, q: _vol(p, "v1").update(availability=[
                     {"start": t("08:00"), "end": t("15:00")},
                     {"start": t("15:00"), "end": t("18:00")}]),
                 id="3-interval-spans-two-windows"),
    pytest.param(3, ("v1", "n1"), lambda p, q: _vol(p, "v1").update(availability=[]),
                 id="3-empty-availability-means-never"),
    # 4: volunteer time
    pytest.param(4, ("v2", "n1", "n3"),
                 lambda p, q: _swap(q, "n3", "v5", "v2"), id="4-overlapping-needs"),
    pytest.param(4, ("v1",),
                 lambda p, q: (_with_n4(p, q), _vol(p, "v1").update(max_hours=2.99)),
                 id="4-above-max-hours"),
    # 5: roles
    pytest.param(5, ("v1", "n5"),
                 lambda p, q: (_meet(q, "n5"), _assign(q, "n5", "v1"),
                               _assign(q, "n5", "v1", "first_aid")),
                 id="5-volunteer-fills-two-roles-of-one-need"),
    pytest.param(5, ("n1", "teaching"), lambda p, q: _assign(q, "n1", "v6"),
                 id="5-role-above-count"),
    # 6: venue fit
    pytest.param(6, ("u2", "n1", "classroom"), lambda p, q: _book(q, "n1", "u2"),
                 id="6-venue-lacks-feature"),
    pytest.param(6, ("u5", "n1"), lambda p, q: _book(q, "n1", "u5"),
                 id="6-venue-capacity-29-below-30"),
    # 7: venue distance
    pytest.param(7, ("u3", "n1"), lambda p, q: _book(q, "n1", "u3"),
                 id="7-venue-10km-beyond-3km"),
    pytest.param(7, ("u1", "n1"),
                 lambda p, q: _need(p, "n1")["venue"].update(max_distance_km=0.3014),
                 id="7-one-metre-beyond-limit"),
    # 8: venue time
    pytest.param(8, ("u4", "n1"), lambda p, q: _book(q, "n1", "u4"),
                 id="8-venue-open-only-mornings"),
    pytest.param(8, ("u1", "n1", "n4"),
                 lambda p, q: (_with_n4(p, q), _need(p, "n4").update(start=t("15:59")),
                               _vol(p, "v1").update(max_hours=10)),
                 id="8-venue-double-booked"),
    # 9: one booking
    pytest.param(9, ("n1",), lambda p, q: _book(q, "n1", "u2", replace=False),
                 id="9-two-bookings"),
    pytest.param(9, ("n3",), lambda p, q: _book(q, "n3", "u2"),
                 id="9-booking-for-need-without-venue"),
    # 10: fund eligibility
    pytest.param(10, ("f1", "n3"),
                 lambda p, q: (_grants(q, "n3", ("f1", 100))), id="10-category"),
    pytest.param(10, ("f3", "n2"),
                 lambda p, q: _grants(q, "n2", ("f1", 800), ("f3", 300), ("f4", 100)),
                 id="10-region-34-is-not-prefix-of-341181"),
    pytest.param(10, ("f2", "n2"),
                 lambda p, q: _grants(q, "n2", ("f1", 800), ("f2", 400)),
                 id="10-expired-one-second-before-start"),
    # 11: fund amounts
    pytest.param(11, ("f4", "n2"),
                 lambda p, q: _grants(q, "n2", ("f1", 800), ("f4", 200), ("f4", 200)),
                 id="11-two-grants-same-fund-and-need"),
    pytest.param(11, ("f4",), lambda p, q: _fund(p, "f4").update(amount=499),
                 id="11-fund-overspent"),
    pytest.param(11, ("f4", "n1"), lambda p, q: q["grants"].append(
        {"need": "n1", "fund": "f4", "amount": 0}), id="11-grant-not-positive"),
    # 12: met
    pytest.param(12, ("n3", "teaching"), lambda p, q: _unassign(q, "n3", "v5"),
                 id="12-role-below-min-count"),
    pytest.param(12, ("n1", "teaching"),
                 lambda p, q: (_need(p, "n1")["roles"][0].pop("min_count"),
                               _unassign(q, "n1", "v2")),
                 id="12-absent-min-count-means-count"),
    pytest.param(12, ("n2", "1000"), lambda p, q: _grants(q, "n2", ("f1", 800), ("f4", 200)),
                 id="12-funding-short"),
    pytest.param(12, ("n2", "1300"), lambda p, q: _grants(q, "n2", ("f1", 800), ("f4", 500)),
                 id="12-funding-over"),
    pytest.param(12, ("n1",), lambda p, q: q.update(bookings=[]), id="12-no-booking"),
    # 13: unmet needs get nothing
    pytest.param(13, ("n4", "v6"), lambda p, q: _assign(q, "n4", "v6"),
                 id="13-unmet-need-with-assignment"),
    pytest.param(13, ("n4", "u6"), lambda p, q: _book(q, "n4", "u6"),
                 id="13-unmet-need-with-booking"),
    pytest.param(13, ("n5", "f5"), lambda p, q: _grants(q, "n5", ("f5", 10)),
                 id="13-unmet-need-with-grant"),
    # 14: pins and forbids
    pytest.param(14, ("v1", "n1"), lambda p, q: _unassign(q, "n1", "v1"),
                 id="14-volunteer-pin-missing"),
    pytest.param(14, ("f1", "n2", "900"),
                 lambda p, q: p["pins"][1].update(amount=900), id="14-fund-pin-wrong-amount"),
    pytest.param(14, ("u1", "n1"),
                 lambda p, q: (p["pins"].append({"need": "n1", "venue": "u1"}),
                               _book(q, "n1", "u6")),
                 id="14-venue-pin-missing"),
    pytest.param(14, ("n1",),
                 lambda p, q: (_unmeet(q, "n1"), _unassign(q, "n1", "v1"),
                               _unassign(q, "n1", "v2"), q.update(bookings=[])),
                 id="14-pinned-need-unmet"),
    pytest.param(14, ("v8", "n1"), lambda p, q: _swap(q, "n1", "v2", "v8"),
                 id="14-forbidden-volunteer"),
    pytest.param(14, ("u6", "n1"), lambda p, q: _book(q, "n1", "u6"),
                 id="14-forbidden-venue"),
    pytest.param(14, ("f5", "n3"), lambda p, q: _grants(q, "n3", ("f5", 100)),
                 id="14-forbidden-fund"),
]


def _exact_travel_limit(p: Doc, q: Doc) -> None:
    """v1 is 302 m from n1: a limit of 0.302 km holds, and so does 0.3016 (rounds to 302)."""
    _vol(p, "v1").update(max_travel_km=0.3016)


KEEPS: list[Any] = [
    pytest.param(1, lambda p, q: None, id="1-base-plan"),
    pytest.param(2, lambda p, q: _vol(p, "v1").update(max_travel_km=0.302),
                 id="2-exactly-at-limit"),
    pytest.param(2, _exact_travel_limit, id="2-limit-rounds-to-distance"),
    pytest.param(3, lambda p, q: _vol(p, "v1").update(availability=[
        {"start": "2026-12-05T06:00:00+00:00", "end": "2026-12-05T08:00:00+00:00"}]),
        id="3-window-equals-interval-other-offset"),
    pytest.param(3, lambda p, q: _vol(p, "v1").pop("availability"),
                 id="3-absent-availability-means-always"),
    pytest.param(4, _with_n4, id="4-touching-needs-exactly-max-hours"),
    pytest.param(5, lambda p, q: None, id="5-role-at-count"),
    pytest.param(5, lambda p, q: (
        _meet(q, "n5"), _assign(q, "n5", "v6"), _assign(q, "n5", "v1", "first_aid"),
        _vol(p, "v1").update(max_hours=4)), id="5-two-volunteers-two-roles-of-one-need"),
    pytest.param(6, lambda p, q: _venue(p, "u1").update(capacity=30),
                 id="6-capacity-exactly-asked"),
    pytest.param(7, lambda p, q: _need(p, "n1")["venue"].update(max_distance_km=0.302),
                 id="7-exactly-at-limit"),
    pytest.param(8, _with_n4, id="8-touching-bookings-of-one-venue"),
    pytest.param(9, lambda p, q: None, id="9-one-booking"),
    pytest.param(10, lambda p, q: (_fund(p, "f2").update(expires="2026-12-05T01:00:00+00:00"),
                                   _grants(q, "n2", ("f1", 800), ("f2", 400))),
                 id="10-expires-exactly-at-start"),
    pytest.param(10, lambda p, q: (_fund(p, "f3").update(regions=["341181/002"]),
                                   _grants(q, "n2", ("f1", 800), ("f3", 300), ("f4", 100))),
                 id="10-region-equal-pooled-three-funds"),
    pytest.param(11, lambda p, q: None, id="11-fund-exactly-spent"),
    pytest.param(12, lambda p, q: _unassign(q, "n1", "v2"), id="12-exactly-min-count"),
    pytest.param(13, lambda p, q: None, id="13-unmet-needs-empty"),
    pytest.param(14, lambda p, q: (p["pins"].append({"need": "n1", "venue": "u1"}),
                                   p["forbid"].append({"need": "n4", "volunteer": "v1"})),
                 id="14-venue-pin-held-forbid-on-unmet-need"),
]


def _apply(edit: Case) -> tuple[Any, Any]:
    prob, plan = rules_problem(), rules_plan()
    edit(prob, plan)
    return finish(prob, plan)


def test_base_plan_is_valid() -> None:
    problem, plan = finish(rules_problem(), rules_plan())
    assert validate(problem, plan) == []


def test_every_rule_has_cases() -> None:
    assert len(RULES) == 14
    assert {c.values[0] for c in BREAKS} == set(range(1, 15))
    assert {c.values[0] for c in KEEPS} == set(range(1, 15))


@pytest.mark.parametrize(("rule", "ids", "edit"), BREAKS)
def test_rule_broken(rule: int, ids: tuple[str, ...], edit: Case) -> None:
    problem, plan = _apply(edit)
    found = [v for v in validate(problem, plan) if v.rule == rule]
    assert found, f"rule {rule} not reported; got {validate(problem, plan)}"
    assert any(all(i in str(v) for i in ids) for v in found), found
    assert all(str(v).startswith(f"rule {rule}: ") for v in found)


@pytest.mark.parametrize(("rule", "edit"), KEEPS)
def test_rule_kept(rule: int, edit: Case) -> None:
    problem, plan = _apply(edit)
    violations = validate(problem, plan)
    assert not any(v.rule == rule for v in violations)
    assert violations == []


def test_infeasible_plan_skips_pins_but_must_be_empty() -> None:
    prob, q = rules_problem(), {"problem": "rules", "status": "infeasible", "met": []}
    problem, plan = finish(prob, q)
    assert validate(problem, plan) == []
    problem, plan = finish(prob, rules_plan() | {"status": "infeasible"})
    assert any(v.rule == 14 and "infeasible" in v.message for v in validate(problem, plan))


def test_need_neither_met_nor_unmet_or_without_reason() -> None:
    problem, plan = finish(rules_problem(), rules_plan())
    doc = plan.to_json_dict()
    doc["unmet"] = [u for u in doc["unmet"] if u["need"] != "n4"]
    doc["unmet"][0]["reasons"] = []
    vs = validate(problem, parse_plan(doc, problem))
    assert any("n4" in v.message and "neither met nor unmet" in v.message for v in vs)
    assert any("no reason" in v.message for v in vs)


# --- objective --------------------------------------------------------------------------------


def test_plan_values_by_hand() -> None:
    """Base plan: met n1 (w 4), n2 (w 8), n3 (w 2); n1 has one volunteer beyond min_count."""
    problem, plan = finish(rules_problem(), rules_plan())
    vals = plan_values(problem, plan)
    assert vals.coverage == 4 + 8 + 2
    assert vals.fill == 4 * 1
    # v1 302 m, v2 1112 m, v5 145 m from C; u1 302 m (see test_derived's hand distances).
    assert vals.travel_m == 302 + 1112 + 145 + 302
    assert vals.fairness is None


def test_weight_override_counts_in_coverage_and_fill() -> None:
    """n5 has priority 5 (16) but weight 5; two volunteers, min 1 each -> fill 0."""
    def edit(p: Doc, q: Doc) -> None:
        _meet(q, "n5")
        _assign(q, "n5", "v6")
        _assign(q, "n5", "v1", "first_aid")
        _vol(p, "v1").update(max_hours=4)

    problem, plan = _apply(edit)
    assert plan_values(problem, plan).coverage == 14 + 5


@pytest.mark.parametrize(
    ("field", "delta"),
    [("coverage", 1), ("coverage", -4), ("fill", 4), ("travel_m", 1), ("travel_m", -302)],
)
def test_wrong_objective_value_reported(field: str, delta: int) -> None:
    problem, plan = finish(rules_problem(), rules_plan())
    doc = plan.to_json_dict()
    doc["objective"][field] += delta
    vs = validate(problem, parse_plan(doc, problem))
    assert [v.rule for v in vs] == [0]
    assert str(vs[0]).startswith("objective: ") and field in vs[0].message


def test_wrong_distance_and_bound_reported() -> None:
    problem, plan = finish(rules_problem(), rules_plan())
    doc = plan.to_json_dict()
    doc["assignments"][0]["distance_m"] = 303
    doc["bookings"][0]["distance_m"] = 302
    doc["bound"] = {"coverage": 13}
    msgs = [v.message for v in validate(problem, parse_plan(doc, problem))]
    assert any("v1" in m and "303" in m for m in msgs)
    assert any("bound.coverage 13" in m for m in msgs)
    assert not any("u1" in m for m in msgs)


def _fair(depth: int, reported: float | None) -> list[Any]:
    prob = rules_problem()
    prob["objective"] = {"fairness": {"region_depth": depth}}
    problem, plan = finish(prob, rules_plan())
    doc = plan.to_json_dict()
    if reported is None:
        doc["objective"].pop("fairness", None)
    else:
        doc["objective"]["fairness"] = reported
    return validate(problem, parse_plan(doc, problem))


def test_fairness_values() -> None:
    # depth 0: one group, 14 of 4+8+2+1+5 = 20.
    assert _fair(0, 0.7) == []
    assert _fair(0, 0.7 + 1e-12) == []
    assert [v.rule for v in _fair(0, 0.7 + 1e-6)] == [0]
    # depth 2: n5 has no region and forms the group '' alone, unmet -> 0.
    assert _fair(2, 0.0) == []
    assert "fairness" in _fair(2, 0.5)[0].message
    # asked for but not reported
    assert "fairness" in _fair(1, None)[0].message
    problem, plan = finish(_fair_problem(1), rules_plan())
    assert plan_values(problem, plan).fairness == Fraction(0)


def _fair_problem(depth: int) -> Doc:
    prob = rules_problem()
    prob["objective"] = {"fairness": {"region_depth": depth}}
    return prob


def test_fairness_with_every_region_met() -> None:
    """Depth 1 with n5 given region 341181/009 and n4, n5 unmet: one group 14/20."""
    prob = _fair_problem(1)
    _need(prob, "n5")["region"] = "341181/009"
    problem, plan = finish(prob, rules_plan())
    assert plan_values(problem, plan).fairness == Fraction(14, 20)
    assert validate(problem, plan) == []


# --- conformance ------------------------------------------------------------------------------


def test_conformance_expected_plan_is_valid(conformance: Any) -> None:
    problem_path, plan_path = conformance
    problem = load_problem(problem_path)
    plan = load_plan(plan_path, problem)
    assert validate(problem, plan) == []
    assert plan.status == "optimal"


def test_conformance_plans_report_distances_the_validator_agrees_with(conformance: Any) -> None:
    problem_path, plan_path = conformance
    problem = load_problem(problem_path)
    plan = load_plan(plan_path, problem)
    vols = {v.id: v for v in problem.volunteers}
    needs = {n.id: n for n in problem.needs}
    for a in plan.assignments:
        assert a.distance_m == distance_m(vols[a.volunteer].location, needs[a.need].location)


def test_wrong_coverage_in_conformance_plan_is_caught(conformance: Any) -> None:
    """The same plan claiming one more unit of coverage is reported, and only that."""
    problem_path, plan_path = conformance
    problem = load_problem(problem_path)
    plan = load_plan(plan_path, problem)
    doc = plan.to_json_dict()
    doc["objective"]["coverage"] += 1
    vs = validate(problem, parse_plan(doc, problem))
    assert [v.rule for v in vs] == [0]
