"""What a plan reports about its stages: one line per stage that agrees with the plan.

Subproblems each run the stages; their own results (kept as `stats.subproblem_stages`) hold
values of their part, or nothing when a stop came first. The plan's `stats.stages` has one
entry per stage with the plan's own value (as `objective` gives it), the plan's bound where
it has one, and `optimal` only when every subproblem proved that stage.
"""

from __future__ import annotations

from typing import Any

from matcher.model import Plan

OBJECTIVE_KEY = {"fairness": "fairness", "coverage": "coverage", "changes": "changes",
                 "fill": "fill", "travel": "travel_m"}


def whole(x: Any) -> Any:
    """Integers stay integers: 76.0 reads 76."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def stage_lines(plan: Plan, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per stage (in the order they ran) agreeing with the plan's objective."""
    objective = plan.objective.model_dump()
    names: list[str] = []
    for r in results:
        if r["name"] in OBJECTIVE_KEY and r["name"] not in names:
            names.append(r["name"])
    out: list[dict[str, Any]] = []
    for name in names:
        mine = [r for r in results if r["name"] == name]
        proven = plan.status == "optimal" or all(r["status"] == "optimal" for r in mine)
        value = objective.get(OBJECTIVE_KEY[name])
        if name == "coverage":
            bound = plan.bound.coverage
        elif name == "fairness":
            bound = plan.bound.fairness
        else:
            bound = value if proven else None
        out.append({"name": name, "status": "optimal" if proven else "feasible",
                    "value": whole(value), "bound": whole(bound),
                    "seconds": round(sum(float(r.get("seconds") or 0.0) for r in mine), 3)})
    return out
