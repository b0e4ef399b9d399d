"""`SolveParams.start`: a solve that starts from an earlier plan of the same problem (a
resumed job) never ends behind it, and a start plan that no longer fits is repaired, not
trusted.

Conformance c04 is the instance: its greedy start meets coverage 78 where the optimum is 80,
so a solve stopped before its stages begin returns the greedy's plan unless it really starts
from the plan it was given.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from matcher.model import Plan, parse_problem
from matcher.solver import SolveParams, solve
from matcher.validate import validate

C04 = Path(__file__).parent / "data" / "conformance" / "c04.problem.json"


def stopped() -> threading.Event:
    """A stop flag set from the start: each subproblem ends with its starting solution."""
    flag = threading.Event()
    flag.set()
    return flag


def key(plan: Plan) -> tuple[int, int, int]:
    o = plan.objective
    return (o.coverage, o.fill, -o.travel_m)


def test_a_solve_from_a_plan_never_ends_behind_it() -> None:
    problem = parse_problem(json.loads(C04.read_text()))
    best = solve(problem, SolveParams(time_limit=10)).plan
    assert best.status == "optimal"
    greedy_only = solve(problem, SolveParams(time_limit=5), stop=stopped()).plan
    assert key(greedy_only) < key(best)  # what a solve without the start would end with
    resumed = solve(problem, SolveParams(time_limit=5, start=best), stop=stopped()).plan
    assert validate(problem, resumed) == []
    assert key(resumed) >= key(best)
    assert resumed.stats["start"] == {"coverage": best.objective.coverage,
                                      "met": len(best.met), "dropped": 0}
    # With time for its stages it still holds it (CP-SAT starts from it as its hint).
    again = solve(problem, SolveParams(time_limit=5, start=best, seed=4)).plan
    assert validate(problem, again) == [] and key(again) >= key(best)


def test_a_start_plan_that_no_longer_fits_is_repaired() -> None:
    doc = json.loads(C04.read_text())
    problem = parse_problem(doc)
    best = solve(problem, SolveParams(time_limit=10)).plan
    gone = best.assignments[0].volunteer
    changed = copy.deepcopy(doc)
    changed["volunteers"] = [v for v in doc["volunteers"] if v["id"] != gone]
    changed["pins"] = [p for p in doc.get("pins", []) if p.get("volunteer") != gone]
    changed["forbid"] = [f for f in doc.get("forbid", []) if f.get("volunteer") != gone]
    problem2 = parse_problem(changed)
    resumed = solve(problem2, SolveParams(time_limit=5, start=best),
                    stop=stopped()).plan
    assert validate(problem2, resumed) == []
    start = resumed.stats["start"]
    assert start["dropped"] >= 1 and start["met"] < len(best.met)
    assert resumed.objective.coverage >= start["coverage"]
