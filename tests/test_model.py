"""Parsing problem and plan documents: SPEC's example, defaults, and every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFORMANCE_NAMES, conformance_pair, tiny_problem

from matcher.io import decode_json, load_plan, load_problem, read_json
from matcher.model import (
    DEFAULT_MAX_TRAVEL_KM,
    DEFAULT_RATING,
    DEFAULT_VENUE_MAX_DISTANCE_KM,
    InputError,
    parse_plan,
    parse_problem,
)

# Verbatim from SPEC.md, "Problem document (JSON)".
SPEC_PROBLEM = r"""
{
  "version": 1,
  "name": "tiny",
  "currency": "CNY",
  "volunteers": [
    {"id": "v1", "location": {"lat": 32.689, "lon": 119.004},
     "skills": ["teaching", "first_aid"],
     "availability": [{"start": "2026-12-05T08:00:00+08:00", "end": "2026-12-05T18:00:00+08:00"}],
     "max_hours": 8, "max_travel_km": 10}
  ],
  "venues": [
    {"id": "u1", "name": "Youth Home, Qianqiu St.", "location": {"lat": 32.691, "lon": 119.010},
     "capacity": 40, "features": ["classroom"],
     "availability": [{"start": "2026-12-05T08:00:00+08:00", "end": "2026-12-05T21:00:00+08:00"}],
     "rating": 4.5}
  ],
  "funds": [
    {"id": "f1", "donor": "Youth Entrepreneurs Association", "amount": 9900000,
     "categories": ["student_aid"], "regions": ["341181"], "expires": "2026-12-31T23:59:59+08:00"}
  ],
  "needs": [
    {"id": "n1", "title": "After-school class", "category": "after_school_class",
     "region": "341181/001/003", "location": {"lat": 32.690, "lon": 119.007},
     "start": "2026-12-05T16:30:00+08:00", "end": "2026-12-05T18:00:00+08:00",
     "priority": 3,
     "roles": [{"skill": "teaching", "count": 2, "min_count": 1}],
     "venue": {"capacity": 30, "features": ["classroom"], "max_distance_km": 3},
     "funding": 0}
  ],
  "pins": [{"need": "n1", "volunteer": "v1"}],
  "forbid": [{"need": "n1", "fund": "f1"}],
  "objective": {"priority_weights": [1, 2, 4, 8, 16], "fairness": null}
}
"""

# Verbatim from SPEC.md, "Plan document (JSON)".
SPEC_PLAN = r"""
{
  "problem": "tiny",
  "status": "optimal",
  "objective": {"coverage": 4, "fill": 0, "travel_m": 604},
  "bound": {"coverage": 4},
  "met": ["n1"],
  "assignments": [{"need": "n1", "skill": "teaching", "volunteer": "v1", "distance_m": 302}],
  "bookings": [{"need": "n1", "venue": "u1", "distance_m": 302}],
  "grants": [],
  "unmet": [{"need": "n2", "reasons": ["no volunteer with skill 'counselling' within reach is free 2026-12-05 14:00-16:00"]}],
  "stats": {"seconds": 0.03}
}
"""  # noqa: E501


def test_spec_example_problem_parses() -> None:
    p = parse_problem(json.loads(SPEC_PROBLEM), "SPEC.md")
    assert p.name == "tiny" and p.currency == "CNY"
    v, u, f, n = p.volunteers[0], p.venues[0], p.funds[0], p.needs[0]
    assert v.skills == ["teaching", "first_aid"] and v.max_hours == 8
    assert v.availability is not None and len(v.availability) == 1
    assert u.capacity == 40 and u.rating == 4.5
    assert f.amount == 9900000 and f.regions == ["341181"] and f.expires is not None
    assert n.roles[0].minimum == 1 and n.venue is not None and n.venue.max_distance_km == 3
    assert (n.end - n.start).total_seconds() == 90 * 60
    assert p.weight(n) == 4
    assert p.pins[0].volunteer == "v1" and p.forbid[0].fund == "f1"
    assert p.objective.fairness is None


def test_spec_example_plan_parses() -> None:
    plan = parse_plan(json.loads(SPEC_PLAN), source="SPEC.md")
    assert plan.status == "optimal"
    assert plan.objective.coverage == 4 and plan.objective.travel_m == 604
    assert plan.bound.coverage == 4
    assert plan.assignments[0].distance_m == 302 and plan.bookings[0].distance_m == 302
    assert plan.unmet[0].need == "n2" and plan.unmet[0].reasons
    # Against SPEC's problem, n2 does not exist: a dangling reference is bad input.
    problem = parse_problem(json.loads(SPEC_PROBLEM))
    with pytest.raises(InputError) as e:
        parse_plan(json.loads(SPEC_PLAN), problem, "plan.json")
    assert e.value.path == "unmet[0].need" and "'n2'" in e.value.message


def test_tiny_problem_fixture_matches_spec_example() -> None:
    assert parse_problem(tiny_problem()) == parse_problem(json.loads(SPEC_PROBLEM))


def test_defaults() -> None:
    doc = {
        "volunteers": [{"id": "v", "location": {"lat": 0, "lon": 0}}],
        "venues": [{"id": "u", "location": {"lat": 0, "lon": 0}, "capacity": 1}],
        "funds": [{"id": "f", "amount": 1}],
        "needs": [{"id": "n", "location": {"lat": 0, "lon": 0},
                   "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00+00:00",
                   "priority": 1, "roles": [{"skill": "s", "count": 3}],
                   "venue": {"capacity": 2}}],
    }
    p = parse_problem(doc)
    v, u, f, n = p.volunteers[0], p.venues[0], p.funds[0], p.needs[0]
    assert v.availability is None and v.max_hours is None
    assert v.max_travel_km == DEFAULT_MAX_TRAVEL_KM == 10
    assert u.rating == DEFAULT_RATING == 3 and u.features == [] and u.availability is None
    assert f.categories == [] and f.regions == [] and f.expires is None
    assert n.region == "" and n.category == "" and n.funding == 0 and n.weight is None
    assert n.roles[0].min_count is None and n.roles[0].minimum == 3
    assert n.venue is not None and n.venue.max_distance_km == DEFAULT_VENUE_MAX_DISTANCE_KM == 5
    assert p.objective.priority_weights == [1, 2, 4, 8, 16] and p.objective.fairness is None
    assert p.pins == [] and p.forbid == []
    assert p.weight(n) == 1


def test_empty_availability_means_never_not_absent() -> None:
    doc = tiny_problem()
    doc["volunteers"][0]["availability"] = []
    assert parse_problem(doc).volunteers[0].availability == []


def test_unknown_fields_are_allowed() -> None:
    doc = tiny_problem()
    doc["volunteers"][0]["phone"] = "123"
    doc["extra"] = {"x": 1}
    parse_problem(doc)


def test_need_may_ask_only_for_funding_or_only_for_a_venue() -> None:
    doc = tiny_problem()
    doc["needs"][0].update(roles=[], venue=None, funding=1)
    doc["pins"] = []
    parse_problem(doc)
    doc["needs"][0].update(funding=0, venue={"capacity": 1})
    parse_problem(doc)


def test_whole_float_accepted_as_integer() -> None:
    doc = tiny_problem()
    doc["venues"][0]["capacity"] = 40.0
    assert parse_problem(doc).venues[0].capacity == 40


@pytest.mark.parametrize("name", CONFORMANCE_NAMES)
def test_conformance_documents_parse(name: str) -> None:
    problem_path, plan_path = conformance_pair(name)
    problem = load_problem(problem_path)
    assert problem.needs
    load_plan(plan_path, problem)


# --- bad problem documents ----------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], Any]


def _v(d: dict[str, Any]) -> dict[str, Any]:
    return d["volunteers"][0]  # type: ignore[no-any-return]


def _n(d: dict[str, Any]) -> dict[str, Any]:
    return d["needs"][0]  # type: ignore[no-any-return]


BAD: list[Any] = [
    # missing required fields
    pytest.param(lambda d: _v(d).pop("location"), "volunteers[0].location",
                 "required field is missing", id="missing-location"),
    pytest.param(lambda d: _v(d).pop("id"), "volunteers[0].id", "required field is missing",
                 id="missing-id"),
    pytest.param(lambda d: _n(d).pop("priority"), "needs[0].priority",
                 "required field is missing", id="missing-priority"),
    pytest.param(lambda d: _n(d).pop("location"), "needs[0].location",
                 "required field is missing", id="missing-need-location"),
    pytest.param(lambda d: d["venues"][0].pop("capacity"), "venues[0].capacity",
                 "required field is missing", id="missing-capacity"),
    pytest.param(lambda d: _n(d)["roles"][0].pop("count"), "needs[0].roles[0].count",
                 "required field is missing", id="missing-role-count"),
    # wrong types
    pytest.param(lambda d: _v(d)["location"].update(lat="32.6"), "volunteers[0].location.lat",
                 "must be a number", id="lat-string"),
    pytest.param(lambda d: _v(d)["location"].update(lat=True), "volunteers[0].location.lat",
                 "must be a number", id="lat-bool"),
    pytest.param(lambda d: _v(d).update(id=5), "volunteers[0].id", "must be a string",
                 id="id-number"),
    pytest.param(lambda d: _v(d).update(skills="teaching"), "volunteers[0].skills",
                 "list", id="skills-not-list"),
    pytest.param(lambda d: d["venues"][0].update(capacity=40.5), "venues[0].capacity",
                 "must be an integer", id="capacity-fraction"),
    pytest.param(lambda d: d["funds"][0].update(amount="100"), "funds[0].amount",
                 "must be an integer", id="amount-string"),
    pytest.param(lambda d: _n(d).update(priority=2.5), "needs[0].priority",
                 "must be an integer", id="priority-fraction"),
    pytest.param(lambda d: d.update(needs={"n1": {}}), "needs", "list", id="needs-object"),
    pytest.param(lambda d: _n(d).update(venue="big"), "needs[0].venue", "VenueRequest",
                 id="venue-string"),
    pytest.param(lambda d: _n(d).update(start=1796459400), "needs[0].start", "ISO 8601",
                 id="time-number"),
    pytest.param(lambda d: _n(d).update(start="next Thursday"), "needs[0].start",
                 "not an ISO 8601 time", id="time-garbage"),
    pytest.param(lambda d: d.update(version=2), "version", "must be 1", id="version-2"),
    # out of range
    pytest.param(lambda d: _v(d)["location"].update(lat=91), "volunteers[0].location.lat",
                 "less than or equal to 90", id="lat-91"),
    pytest.param(lambda d: _v(d)["location"].update(lon=-180.5), "volunteers[0].location.lon",
                 "greater than or equal to -180", id="lon-minus-180.5"),
    pytest.param(lambda d: _n(d).update(priority=6), "needs[0].priority",
                 "less than or equal to 5", id="priority-6"),
    pytest.param(lambda d: _n(d).update(priority=0), "needs[0].priority",
                 "greater than or equal to 1", id="priority-0"),
    pytest.param(lambda d: d["venues"][0].update(rating=6), "venues[0].rating",
                 "less than or equal to 5", id="rating-6"),
    pytest.param(lambda d: d["venues"][0].update(capacity=0), "venues[0].capacity",
                 "greater than or equal to 1", id="capacity-0"),
    pytest.param(lambda d: _n(d)["venue"].update(capacity=0), "needs[0].venue.capacity",
                 "greater than or equal to 1", id="need-venue-capacity-0"),
    pytest.param(lambda d: d["funds"][0].update(amount=0), "funds[0].amount",
                 "greater than 0", id="amount-0"),
    pytest.param(lambda d: _n(d).update(funding=-1), "needs[0].funding",
                 "greater than or equal to 0", id="funding-minus-1"),
    pytest.param(lambda d: _v(d).update(max_hours=-1), "volunteers[0].max_hours",
                 "greater than or equal to 0", id="max-hours-minus-1"),
    pytest.param(lambda d: _v(d).update(max_travel_km=-0.5), "volunteers[0].max_travel_km",
                 "greater than or equal to 0", id="max-travel-negative"),
    pytest.param(lambda d: _n(d).update(weight=0), "needs[0].weight",
                 "greater than or equal to 1", id="weight-0"),
    pytest.param(lambda d: _n(d)["roles"][0].update(count=0, min_count=None),
                 "needs[0].roles[0].count", "greater than or equal to 1", id="count-0"),
    pytest.param(lambda d: _n(d)["roles"][0].update(min_count=0),
                 "needs[0].roles[0].min_count", "greater than or equal to 1", id="min-count-0"),
    pytest.param(lambda d: d["objective"].update(fairness={"region_depth": -1}),
                 "objective.fairness.region_depth", "greater than or equal to 0",
                 id="region-depth-negative"),
    pytest.param(lambda d: _v(d).update(id=""), "volunteers[0].id", "at least 1",
                 id="id-empty"),
    # times
    pytest.param(lambda d: _n(d).update(start="2026-12-05T16:30:00"), "needs[0].start",
                 "no UTC offset", id="need-start-without-offset"),
    pytest.param(lambda d: _v(d)["availability"][0].update(end="2026-12-05T18:00:00"),
                 "volunteers[0].availability[0].end", "no UTC offset",
                 id="window-end-without-offset"),
    pytest.param(lambda d: d["funds"][0].update(expires="2026-12-31"), "funds[0].expires",
                 "no UTC offset", id="expires-date-only"),
    pytest.param(lambda d: _n(d).update(end=_n(d)["start"]), "needs[0].end",
                 "must be after start", id="need-end-equals-start"),
    pytest.param(lambda d: _n(d).update(end="2026-12-05T08:29:59+00:00"), "needs[0].end",
                 "must be after start", id="need-end-before-start-other-offset"),
    pytest.param(lambda d: d["venues"][0]["availability"][0].update(
        end="2026-12-05T07:00:00+08:00"), "venues[0].availability[0].end",
        "must be after start", id="window-end-before-start"),
    # roles and needs
    pytest.param(lambda d: _n(d)["roles"][0].update(min_count=3),
                 "needs[0].roles[0].min_count", "must be <= count (2)", id="min-count-above-count"),
    pytest.param(lambda d: _n(d)["roles"].append({"skill": "teaching", "count": 1}),
                 "needs[0].roles[1].skill", "'teaching' appears twice", id="duplicate-skill"),
    pytest.param(lambda d: _n(d).update(roles=[], venue=None, funding=0), "needs[0]",
                 "must ask for something", id="need-asks-for-nothing"),
    # duplicate ids
    pytest.param(lambda d: d["volunteers"].append(dict(_v(d))), "volunteers[1].id",
                 "duplicate id 'v1' (first at volunteers[0])", id="duplicate-volunteer"),
    pytest.param(lambda d: d["needs"].append(dict(_n(d))), "needs[1].id",
                 "duplicate id 'n1'", id="duplicate-need"),
    pytest.param(lambda d: d["funds"].append(dict(d["funds"][0])), "funds[1].id",
                 "duplicate id 'f1'", id="duplicate-fund"),
    pytest.param(lambda d: d["venues"].append(dict(d["venues"][0])), "venues[1].id",
                 "duplicate id 'u1'", id="duplicate-venue"),
    # pins and forbids
    pytest.param(lambda d: d["pins"][0].update(venue="u1"), "pins[0]",
                 "exactly one of volunteer, venue or fund", id="pin-two-targets"),
    pytest.param(lambda d: d["pins"].append({"need": "n1"}), "pins[1]",
                 "exactly one", id="pin-no-target"),
    pytest.param(lambda d: d["pins"].append({"need": "n1", "fund": "f1"}), "pins[1]",
                 "a fund pin needs an amount", id="fund-pin-without-amount"),
    pytest.param(lambda d: d["pins"].append({"need": "n1", "fund": "f1", "amount": 0}),
                 "pins[1].amount", "greater than 0", id="fund-pin-amount-0"),
    pytest.param(lambda d: d["pins"][0].update(amount=5), "pins[0]",
                 "only a fund pin has an amount", id="volunteer-pin-with-amount"),
    pytest.param(lambda d: d["forbid"][0].update(volunteer="v1"), "forbid[0]",
                 "exactly one of volunteer, venue or fund", id="forbid-two-targets"),
    pytest.param(lambda d: d["pins"][0].update(need="n9"), "pins[0].need",
                 "no need with id 'n9'", id="pin-dangling-need"),
    pytest.param(lambda d: d["pins"][0].update(volunteer="v9"), "pins[0].volunteer",
                 "no volunteer with id 'v9'", id="pin-dangling-volunteer"),
    pytest.param(lambda d: d["pins"].append({"need": "n1", "venue": "u9"}), "pins[1].venue",
                 "no venue with id 'u9'", id="pin-dangling-venue"),
    pytest.param(lambda d: d["pins"].append({"need": "n1", "fund": "f9", "amount": 1}),
                 "pins[1].fund", "no fund with id 'f9'", id="pin-dangling-fund"),
    pytest.param(lambda d: d["forbid"][0].update(need="n9"), "forbid[0].need",
                 "no need with id 'n9'", id="forbid-dangling-need"),
    pytest.param(lambda d: d["forbid"][0].update(fund="f9"), "forbid[0].fund",
                 "no fund with id 'f9'", id="forbid-dangling-fund"),
    # objective
    pytest.param(lambda d: d["objective"].update(priority_weights=[1, 2, 4, 8]),
                 "objective.priority_weights", "five positive integers", id="weights-four"),
    pytest.param(lambda d: d["objective"].update(priority_weights=[1, 2, 4, 8, 16, 32]),
                 "objective.priority_weights", "five positive integers", id="weights-six"),
    pytest.param(lambda d: d["objective"].update(priority_weights=[1, 2, 0, 8, 16]),
                 "objective.priority_weights", "five positive integers", id="weights-zero"),
]


@pytest.mark.parametrize(("edit", "path", "phrase"), BAD)
def test_bad_problem(edit: Edit, path: str, phrase: str) -> None:
    doc = tiny_problem()
    edit(doc)
    with pytest.raises(InputError) as e:
        parse_problem(doc, "p.json")
    err = e.value
    assert err.path == path
    assert phrase in err.message
    assert err.source == "p.json"
    assert str(err).startswith(f"p.json: {path}: ")


def test_min_count_message_exactly() -> None:
    doc = tiny_problem()
    doc["needs"][0]["roles"][0]["min_count"] = 3
    with pytest.raises(InputError) as e:
        parse_problem(doc, "p.json")
    assert str(e.value).startswith("p.json: needs[0].roles[0].min_count: must be <= count (2)")
    assert e.value.message.startswith("must be <= count (2)")


def test_end_before_start_path_for_later_need() -> None:
    doc = tiny_problem()
    second = dict(doc["needs"][0], id="n2", end="2026-12-05T16:00:00+08:00")
    doc["needs"].append(second)
    with pytest.raises(InputError) as e:
        parse_problem(doc)
    assert e.value.path == "needs[1].end"
    assert str(e.value) == f"needs[1].end: {e.value.message}"


def test_several_errors_are_counted() -> None:
    doc = tiny_problem()
    doc["needs"][0]["priority"] = 9
    doc["venues"][0]["capacity"] = 0
    with pytest.raises(InputError) as e:
        parse_problem(doc)
    assert e.value.more == 1 and "(and 1 more error(s))" in str(e.value)


@pytest.mark.parametrize("doc", [[], "x", 3, None], ids=["list", "string", "number", "null"])
def test_non_object_top_level(doc: Any) -> None:
    with pytest.raises(InputError) as e:
        parse_problem(doc, "p.json")
    assert e.value.path == "" and "must be a JSON object" in e.value.message
    assert str(e.value) == "p.json: (document): a problem document must be a JSON object"
    with pytest.raises(InputError) as e:
        parse_plan(doc, None, "plan.json")
    assert "a plan document must be a JSON object" in str(e.value)


# --- decoding and reading -----------------------------------------------------------------------


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(InputError) as e:
        decode_json('{\n  "a": 1,\n  "b": }', "p.json")
    assert e.value.source == "p.json" and e.value.path == ""
    assert "malformed JSON at line 3 column 8" in e.value.message


@pytest.mark.parametrize("const", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_json_rejected(const: str) -> None:
    with pytest.raises(InputError) as e:
        decode_json(f'{{"lat": {const}}}', "p.json")
    assert const in e.value.message and "not valid JSON" in e.value.message


def test_huge_number_is_rejected_with_its_path() -> None:
    with pytest.raises(InputError) as e:
        decode_json('{"volunteers": [{"location": {"lat": 1e400}}]}', "p.json")
    assert e.value.path == "volunteers[0].location.lat" and "out of range" in e.value.message
    doc = tiny_problem()
    doc["volunteers"][0]["location"]["lat"] = float("inf")  # decoded by another reader
    with pytest.raises(InputError) as e:
        parse_problem(doc)
    assert e.value.path == "volunteers[0].location.lat" and "finite" in e.value.message


def test_invalid_utf8_rejected() -> None:
    with pytest.raises(InputError) as e:
        decode_json(b'{"name": "\xff"}', "p.json")
    assert "malformed JSON" in e.value.message


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError) as e:
        read_json(missing)
    assert e.value.source == str(missing) and "cannot read file" in e.value.message
    with pytest.raises(InputError) as e:
        load_problem(tmp_path)  # a directory
    assert "cannot read file" in e.value.message


def test_load_problem_names_file_and_path(tmp_path: Path) -> None:
    doc = tiny_problem()
    doc["needs"][0]["priority"] = 6
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        load_problem(path)
    assert str(e.value).startswith(f"{path}: needs[0].priority: ")


# --- plan documents -----------------------------------------------------------------------------


def _plan() -> dict[str, Any]:
    return json.loads(SPEC_PLAN)  # type: ignore[no-any-return]


def _problem() -> Any:
    return parse_problem(tiny_problem())


@pytest.mark.parametrize(
    ("edit", "path", "phrase"),
    [
        pytest.param(lambda q: q["met"].append("n9"), "met[1]", "no need with id 'n9'",
                     id="met-dangling"),
        pytest.param(lambda q: q["assignments"][0].update(volunteer="v9"),
                     "assignments[0].volunteer", "no volunteer with id 'v9'",
                     id="assignment-volunteer"),
        pytest.param(lambda q: q["assignments"][0].update(need="n9"), "assignments[0].need",
                     "no need with id 'n9'", id="assignment-need"),
        pytest.param(lambda q: q["bookings"][0].update(venue="u9"), "bookings[0].venue",
                     "no venue with id 'u9'", id="booking-venue"),
        pytest.param(lambda q: q.update(grants=[{"need": "n1", "fund": "f9", "amount": 1}]),
                     "grants[0].fund", "no fund with id 'f9'", id="grant-fund"),
        pytest.param(lambda q: q["unmet"].append({"need": "n9", "reasons": ["x"]}),
                     "unmet[0].need",
                     "no need with id 'n9'", id="unmet-need"),
    ],
)
def test_plan_dangling_ids(edit: Edit, path: str, phrase: str) -> None:
    q = _plan()
    q["unmet"] = []
    edit(q)
    with pytest.raises(InputError) as e:
        parse_plan(q, _problem(), "plan.json")
    assert e.value.path == path and phrase in e.value.message
    assert str(e.value).startswith(f"plan.json: {path}: ")


@pytest.mark.parametrize(
    ("edit", "path", "phrase"),
    [
        pytest.param(lambda q: q.pop("status"), "status", "required field is missing",
                     id="missing-status"),
        pytest.param(lambda q: q.update(status="invalid"), "status", "optimal",
                     id="status-invalid"),
        pytest.param(lambda q: q["assignments"][0].pop("skill"), "assignments[0].skill",
                     "required field is missing", id="assignment-without-skill"),
        pytest.param(lambda q: q["grants"].append({"need": "n1", "fund": "f1", "amount": 1.5}),
                     "grants[0].amount", "must be an integer", id="grant-fraction"),
        pytest.param(lambda q: q["objective"].update(coverage="4"), "objective.coverage",
                     "must be an integer", id="coverage-string"),
    ],
)
def test_bad_plan(edit: Edit, path: str, phrase: str) -> None:
    q = _plan()
    edit(q)
    with pytest.raises(InputError) as e:
        parse_plan(q, None, "plan.json")
    assert e.value.path == path and phrase in e.value.message


def test_plan_round_trips_through_json_dict() -> None:
    q = _plan()
    q["unmet"] = []
    plan = parse_plan(q, _problem())
    doc = plan.to_json_dict()
    assert "fairness" not in doc["objective"]
    assert parse_plan(doc, _problem()) == plan


@pytest.mark.parametrize(
    ("mutate", "path", "phrase"),
    [
        (lambda d: d["funds"][0].__setitem__("amount", 2**63), "funds[0].amount", "less than"),
        (lambda d: d["needs"][0].__setitem__("weight", 10**7), "needs[0].weight", "less than"),
        (lambda d: d["objective"].__setitem__("priority_weights", [1, 2, 4, 8, 10**7]),
         "objective.priority_weights", "at most"),
    ],
    ids=["amount-2^63", "weight-too-big", "priority-weight-too-big"],
)
def test_numbers_beyond_the_documented_limits_are_rejected(mutate, path, phrase):
    """Numbers that would overflow 64-bit sums in the solver are bad input, not a crash."""
    doc = tiny_problem()
    mutate(doc)
    with pytest.raises(InputError) as err:
        parse_problem(doc, "p.json")
    assert err.value.path == path
    assert phrase in err.value.message


def test_version_true_is_not_version_one() -> None:
    """JSON `true` is no integer, although Python treats it as 1."""
    doc = tiny_problem()
    doc["version"] = True
    with pytest.raises(InputError) as err:
        parse_problem(doc, "p.json")
    assert err.value.path == "version"
