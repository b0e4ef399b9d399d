"""Recommendations always answer: options (displacing others or, in mode `free`, from free
resources only), or a reason per requirement that cannot be given, agreeing with the plan's
own reasons; and the inverse question, which unmet needs a resource could make met."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_recommend import check, make_plan, need, teach, vol

from matcher.model import parse_plan, parse_problem
from matcher.recommend_why import could_meet, recommend_or_explain
from matcher.solver import SolveParams, solve

REPO = Path(__file__).parents[1]


def test_free_mode_gives_only_free_resources_and_says_who_holds_the_rest() -> None:
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach()),
                  need("n2", "11:00", "13:00", priority=5, roles=teach())],
    })
    plan = make_plan(p, [("n1", "v1")])
    displace = recommend_or_explain(p, plan, "n2")
    assert displace.options and displace.options[0].displaced == ("n1",)
    assert displace.options[0].coverage_change == 16 - 1
    free = recommend_or_explain(p, plan, "n2", mode="free")
    assert free.options == []
    assert [r.requirement for r in free.reasons] == ["role 'teaching'"]
    assert "n1 (weight 1)" in free.reasons[0].reason


def test_three_needs_displaced_when_one_or_two_are_not_enough() -> None:
    """n4 needs three teachers, each busy on a need of its own at that time."""
    p = parse_problem({
        "volunteers": [vol(f"v{i}", 119.0 + i / 1000, ["teaching"]) for i in range(1, 4)],
        "needs": [need(f"n{i}", "10:00", "12:00", roles=teach()) for i in range(1, 4)]
        + [need("n4", "10:00", "12:00", priority=5, roles=teach(3))],
    })
    plan = make_plan(p, [(f"n{i}", f"v{i}") for i in range(1, 4)])
    ans = recommend_or_explain(p, plan, "n4")
    assert len(ans.options) == 1 and ans.options[0].displaced == ("n1", "n2", "n3")
    assert ans.options[0].coverage_change == 16 - 3
    check(p, plan, ans.options[0])


def test_a_pinned_holder_gives_a_reason_that_agrees_with_the_plan() -> None:
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach()),
                  need("n2", "11:00", "13:00", priority=5, roles=teach()),
                  need("n3", "11:00", "13:00", roles=[{"skill": "juggling", "count": 1}])],
        "pins": [{"need": "n1", "volunteer": "v1"}],
    })
    plan = solve(p, SolveParams(time_limit=5)).plan
    ans = recommend_or_explain(p, plan, "n2")
    assert ans.options == [] and ans.plan_reasons
    assert "pinned" in ans.reasons[0].reason and "n1" in ans.reasons[0].reason
    assert any("n1" in r and "pinned" in r for r in ans.plan_reasons)
    none = recommend_or_explain(p, plan, "n3")
    assert none.options == [] and "juggling" in none.reasons[0].reason


def test_which_unmet_needs_a_volunteer_could_meet() -> None:
    p = parse_problem({
        "volunteers": [vol("v1", 119.001, ["teaching"]), vol("v2", 119.001, ["cooking"])],
        "needs": [need("n1", "10:00", "12:00", roles=teach()),
                  need("n2", "14:00", "15:00", priority=4, roles=teach())],
    })
    plan = make_plan(p, [])
    found = could_meet(p, plan, "volunteer", "v1")
    assert [n for n, _, _ in found] == ["n2", "n1"]  # heaviest first
    assert all(o.volunteers[0].volunteer == "v1" for _, _, o in found)
    assert could_meet(p, plan, "volunteer", "v2") == []
    with pytest.raises(ValueError):
        could_meet(p, plan, "volunteer", "nobody")


def test_every_unmet_need_of_tianchang_gets_options_or_reasons() -> None:
    doc = json.loads((REPO / "scenarios" / "tianchang.json").read_text())
    p = parse_problem(doc)
    plan = parse_plan(solve(p, SolveParams(time_limit=30)).plan.to_json_dict(), p)
    for mode in ("displace", "free"):
        for u in plan.unmet:
            ans = recommend_or_explain(p, plan, u.need, mode=mode)
            assert ans.options or ans.reasons, (mode, u.need)
            for opt in ans.options[:1]:
                check(p, plan, opt)
