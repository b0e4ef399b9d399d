"""Replanning (SPEC "Replanning"): coverage first, then the fewest changes from the plan that
is out, then fill and travel; what changed is listed exactly.

Small hand-made problems each show one behaviour (a free stand-in, a swap two needs deep, a
grant whose amount changes, a new need, a new pin, a changed need, a loss that cannot be
avoided, fairness); the Tianchang scenario checks the count and the diff agree at size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcher.cli import main
from matcher.model import Plan, Problem, parse_plan, parse_problem
from matcher.replan import apply_changes, changed_ids, diff_plans, parse_changes
from matcher.solver import SolveParams, solve
from matcher.validate import validate

REPO = Path(__file__).parents[1]
DAY = "2026-12-05"


def t(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00+08:00"


def vol(vid: str, skills: list[str], lon: float = 119.0, **kw: Any) -> dict[str, Any]:
    return {"id": vid, "location": {"lat": 32.69, "lon": lon}, "skills": skills, **kw}


def need(nid: str, start: str, end: str, roles: list[dict[str, Any]] | None = None,
         priority: int = 3, **kw: Any) -> dict[str, Any]:
    return {"id": nid, "location": {"lat": 32.69, "lon": 119.0}, "start": t(start),
            "end": t(end), "priority": priority, "roles": roles or [], **kw}


def role(skill: str, count: int = 1) -> dict[str, Any]:
    return {"skill": skill, "count": count}


def plan_of(problem: Problem, assignments: list[tuple[str, str, str]] = (),  # type: ignore
            grants: list[tuple[str, str, int]] = ()) -> Plan:  # type: ignore
    """The plan that is out: needs given anything are met (checked valid)."""
    from matcher.validate import plan_values

    met = sorted({n for n, _, _ in assignments} | {n for n, _, _ in grants})
    doc: dict[str, Any] = {
        "status": "feasible", "met": met,
        "assignments": [{"need": n, "skill": s, "volunteer": v} for n, s, v in assignments],
        "grants": [{"need": n, "fund": f, "amount": a} for n, f, a in grants],
        "unmet": [{"need": n.id, "reasons": ["left out"]} for n in problem.needs
                  if n.id not in met],
    }
    vals = plan_values(problem, parse_plan(doc, problem))
    doc["objective"] = {"coverage": vals.coverage, "fill": vals.fill, "travel_m": vals.travel_m}
    if vals.fairness is not None:
        doc["objective"]["fairness"] = float(vals.fairness)
    plan = parse_plan(doc, problem)
    assert validate(problem, plan) == []
    return plan


def replan(doc: dict[str, Any], plan: Plan, changes: list[dict[str, Any]],
           seconds: float = 10.0) -> tuple[Problem, Plan, dict[str, Any]]:
    """Apply the changes and replan; the new plan is valid and its count agrees with the
    diff."""
    old = parse_problem(doc)
    parsed = parse_changes({"changes": changes})
    new_doc, dropped = apply_changes(doc, parsed)
    problem = parse_problem(new_doc)
    res = solve(problem, SolveParams(time_limit=seconds, reference=plan, reference_problem=old,
                                     changed=changed_ids(parsed)))
    new = res.plan
    assert validate(problem, new) == []
    diff = diff_plans(plan, new, old, problem, dropped)
    assert new.objective.changes == diff["total"]  # type: ignore[attr-defined]
    stages = {s["name"]: s["value"] for s in new.stats["stages"]}
    assert stages["coverage"] == new.objective.coverage
    assert stages["changes"] == diff["total"]
    return problem, new, diff


def pairs(plan: Plan) -> set[tuple[str, str]]:
    return {(a.need, a.volunteer) for a in plan.assignments}


@pytest.fixture
def staffed() -> dict[str, Any]:
    """Five classes at different times, each staffed; v9 is free and can teach."""
    return {
        "volunteers": [vol(f"v{i}", ["teaching"]) for i in range(1, 6)] + [
            vol("v9", ["teaching"], lon=119.01)],
        "needs": [need(f"n{i}", f"{8 + 2 * i:02d}:00", f"{9 + 2 * i:02d}:00",
                       [role("teaching")]) for i in range(1, 6)],
    }


def test_a_withdrawn_volunteer_is_replaced_by_a_free_one_and_nothing_else_moves(
        staffed: dict[str, Any]) -> None:
    p = parse_problem(staffed)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)])
    _, new, diff = replan(staffed, plan, [{"op": "withdraw_volunteer", "volunteer": "v3"}])
    assert new.objective.coverage == plan.objective.coverage
    # v5 is free then too and lives nearer than v9: the least travel among 2-change plans.
    assert pairs(new) == pairs(plan) - {("n3", "v3")} | {("n3", "v5")}
    assert new.objective.changes == 2  # type: ignore[attr-defined]
    assert diff["assignments_removed"] == [{"need": "n3", "skill": "teaching",
                                            "volunteer": "v3"}]
    assert diff["assignments_added"] == [{"need": "n3", "skill": "teaching",
                                          "volunteer": "v5"}]
    assert diff["no_longer_met"] == [] and diff["newly_met"] == []


def test_a_change_that_touches_nothing_changes_nothing(staffed: dict[str, Any]) -> None:
    p = parse_problem(staffed)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)])
    _, new, diff = replan(staffed, plan, [{"op": "withdraw_volunteer", "volunteer": "v9"}])
    assert pairs(new) == pairs(plan)
    assert diff["total"] == 0


def test_a_swap_two_needs_deep_keeps_coverage() -> None:
    """Only vb can counsel once vc withdraws; vb's class then goes to va (free, teacher)."""
    doc = {
        "volunteers": [vol("va", ["teaching"]), vol("vb", ["teaching", "counselling"]),
                       vol("vc", ["counselling"])],
        "needs": [need("n1", "10:00", "11:00", [role("counselling")]),
                  need("n2", "10:00", "11:00", [role("teaching")])],
    }
    p = parse_problem(doc)
    plan = plan_of(p, [("n1", "counselling", "vc"), ("n2", "teaching", "vb")])
    _, new, diff = replan(doc, plan, [{"op": "withdraw_volunteer", "volunteer": "vc"}])
    assert new.met == ["n1", "n2"]
    assert pairs(new) == {("n1", "vb"), ("n2", "va")}
    assert diff["total"] == 4


def test_a_loss_that_cannot_be_avoided_loses_only_that_need(staffed: dict[str, Any]) -> None:
    doc = {**staffed, "needs": staffed["needs"] + [
        need("n6", "10:00", "11:00", [role("first_aid")], priority=1)],
        "volunteers": staffed["volunteers"] + [vol("vf", ["first_aid"])]}
    p = parse_problem(doc)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)]
                   + [("n6", "first_aid", "vf")])
    _, new, diff = replan(doc, plan, [{"op": "withdraw_volunteer", "volunteer": "vf"}])
    assert diff["no_longer_met"] == ["n6"]
    assert pairs(new) == pairs(plan) - {("n6", "vf")}
    assert new.objective.changes == 1  # type: ignore[attr-defined]
    unmet = {u.need: u.reasons for u in new.unmet}
    assert "first_aid" in " ".join(unmet["n6"])


def test_a_new_need_is_met_from_free_resources_without_counting_as_a_change(
        staffed: dict[str, Any]) -> None:
    p = parse_problem(staffed)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)])
    extra = need("n7", "10:00", "11:00", [role("teaching")])
    _, new, diff = replan(staffed, plan, [{"op": "add_need", "need": extra}])
    assert "n7" in new.met and diff["added_needs_met"] == ["n7"]
    assert new.objective.changes == 0  # type: ignore[attr-defined]
    assert pairs(plan) <= pairs(new)


def test_a_new_pin_moves_only_what_it_must(staffed: dict[str, Any]) -> None:
    p = parse_problem(staffed)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)])
    _, new, diff = replan(staffed, plan, [
        {"op": "add_pin", "pin": {"need": "n2", "volunteer": "v9"}}])
    assert ("n2", "v9") in pairs(new) and new.objective.coverage == plan.objective.coverage
    assert diff["total"] == 2


def test_a_changed_need_is_restaffed() -> None:
    """n1 moves to the evening, when v1 is no longer free; v2 is."""
    doc = {
        "volunteers": [vol("v1", ["teaching"], availability=[
            {"start": t("08:00"), "end": t("12:00")}]), vol("v2", ["teaching"])],
        "needs": [need("n1", "09:00", "10:00", [role("teaching")])],
    }
    p = parse_problem(doc)
    plan = plan_of(p, [("n1", "teaching", "v1")])
    moved = need("n1", "19:00", "20:00", [role("teaching")])
    _, new, diff = replan(doc, plan, [{"op": "change_need", "need": moved}])
    assert pairs(new) == {("n1", "v2")} and diff["total"] == 2


def test_a_grant_whose_amount_changes_counts_once() -> None:
    """n1's funding drops: the grant from f1 shrinks (one change, not two)."""
    doc = {
        "funds": [{"id": "f1", "amount": 1000}],
        "needs": [need("n1", "09:00", "10:00", funding=600),
                  need("n2", "09:00", "10:00", funding=400)],
    }
    p = parse_problem(doc)
    plan = plan_of(p, grants=[("n1", "f1", 600), ("n2", "f1", 400)])
    cheaper = need("n1", "09:00", "10:00", funding=500)
    _, new, diff = replan(doc, plan, [{"op": "change_need", "need": cheaper}])
    assert new.met == ["n1", "n2"]
    assert diff["grants_changed"] == [{"need": "n1", "fund": "f1", "old_amount": 600,
                                       "amount": 500}]
    assert diff["total"] == 1


def test_fairness_is_kept_first() -> None:
    """Two regions; the withdrawal must not leave region b with nothing when a volunteer
    could move from region a's lighter need."""
    doc = {
        "volunteers": [vol("v1", ["teaching"]), vol("v2", ["teaching"]), vol("v3", ["teaching"])],
        "needs": [need("a1", "10:00", "11:00", [role("teaching")], region="a", priority=5),
                  need("a2", "10:00", "11:00", [role("teaching")], region="a", priority=5),
                  need("b1", "10:00", "11:00", [role("teaching")], region="b", priority=1)],
        "objective": {"fairness": {"region_depth": 1}},
    }
    p = parse_problem(doc)
    plan = plan_of(p, [("a1", "teaching", "v1"), ("a2", "teaching", "v2"),
                       ("b1", "teaching", "v3")])
    _, new, _ = replan(doc, plan, [{"op": "withdraw_volunteer", "volunteer": "v3"}])
    assert "b1" in new.met and new.objective.fairness == pytest.approx(0.5)


def test_tianchang_withdrawal_keeps_coverage_and_lists_every_change() -> None:
    doc = json.loads((REPO / "scenarios" / "tianchang.json").read_text())
    p = parse_problem(doc)
    full = solve(p, SolveParams(time_limit=30)).plan
    own: dict[str, int] = {}
    for a in full.assignments:
        own[a.volunteer] = own.get(a.volunteer, 0) + 1
    vid = max(sorted(own), key=lambda v: own[v] if own[v] <= 4 else 0)
    _, new, diff = replan(doc, full, [{"op": "withdraw_volunteer", "volunteer": vid},
                                      {"op": "cancel_need", "need": full.unmet[0].need}])
    assert len([a for a in diff["assignments_removed"] if a["volunteer"] == vid]) == own[vid]
    assert diff["total"] <= 6 * own[vid]
    assert new.objective.coverage >= full.objective.coverage - 16 * own[vid]


# --- changes documents -------------------------------------------------------------------------


def test_bad_changes_name_their_path(staffed: dict[str, Any]) -> None:
    cases = [
        ({"changes": [{"op": "withdraw_volunteer", "volunteer": "nobody"}]},
         "changes[0].volunteer"),
        ({"changes": [{"op": "explode"}]}, "changes[0]"),
        ({"changes": [{"op": "add_need", "need": {**need("n1", "09:00", "10:00",
                                                          [role("teaching")])}}]},
         "changes[0].need.id"),
        ({"changes": [{"op": "add_pin", "pin": {"need": "n1", "volunteer": "zz"}}]},
         "changes[0].pin.volunteer"),
        ({"changes": [{"op": "grow_fund", "fund": "f", "amount": 0}]}, "changes[0].amount"),
        ({"changes": []}, "changes"),
    ]
    from matcher.model import InputError

    for data, path in cases:
        with pytest.raises(InputError) as err:
            apply_changes(staffed, parse_changes(data))
        assert err.value.path == path, (data, err.value)


def test_cli_replan_writes_the_plan_and_exits_2_on_a_bad_change(
        tmp_path: Path, staffed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    p = parse_problem(staffed)
    plan = plan_of(p, [(f"n{i}", "teaching", f"v{i}") for i in range(1, 6)])
    (tmp_path / "p.json").write_text(json.dumps(staffed))
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_json_dict()))
    (tmp_path / "c.json").write_text(json.dumps(
        {"changes": [{"op": "withdraw_volunteer", "volunteer": "v3"}]}))
    args = [str(tmp_path / x) for x in ("p.json", "plan.json", "c.json")]
    code = main(["replan", *args, "--out", str(tmp_path / "new.json"),
                 "--problem-out", str(tmp_path / "np.json"), "--diff", str(tmp_path / "d.json")])
    assert code == 0
    err = capsys.readouterr().err
    assert "- v3 off n3 (teaching)" in err and "+ v5 to n3 (teaching)" in err
    assert main(["validate", str(tmp_path / "np.json"), str(tmp_path / "new.json")]) == 0
    assert json.loads((tmp_path / "new.json").read_text())["objective"]["changes"] == 2
    assert json.loads((tmp_path / "d.json").read_text())["total"] == 2

    (tmp_path / "bad.json").write_text(json.dumps(
        {"changes": [{"op": "cancel_need", "need": "n99"}]}))
    code = main(["replan", args[0], args[1], str(tmp_path / "bad.json"),
                 "--out", str(tmp_path / "never.json")])
    assert code == 2
    assert "bad.json: changes[0].need: no need with id 'n99'" in capsys.readouterr().err
    assert not (tmp_path / "never.json").exists()


def test_a_pin_the_neighbourhood_cannot_hold_falls_back_to_a_whole_solve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new pin gives a busy volunteer to an unmet need that overlaps the need it serves.
    With the search held to its first ring (the touched need and free resources only), no
    neighbourhood plan holds the pin: the replan must still answer with a valid plan that keeps
    it (it used to raise 'replan produced an invalid plan: rule 14'), changes counted."""
    from matcher.solver import replan as replan_solver

    monkeypatch.setattr(replan_solver, "MAX_RINGS", 1)
    doc = {
        "volunteers": [vol("v1", ["teaching"])],
        "needs": [need("n1", "10:00", "11:00", [role("teaching")], priority=4),
                  need("n2", "10:30", "11:30", [role("teaching")], priority=2)],
    }
    plan = plan_of(parse_problem(doc), [("n1", "teaching", "v1")])
    _, new, diff = replan(doc, plan, [
        {"op": "add_pin", "pin": {"need": "n2", "volunteer": "v1"}}])
    assert pairs(new) == {("n2", "v1")}
    assert diff["total"] == 2
    assert "fallback" in new.stats["replan"]
