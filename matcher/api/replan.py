"""Replan requests: the changed problem, the solver's parameters, and what changed.

The solver does the re-solve (`SolveParams.reference`, `matcher.solver.replan`); the changes
themselves and the diff live in `matcher.replan`, shared with the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matcher.api.errors import raise_input_error
from matcher.api.store import JobRow
from matcher.model import InputError, Plan, Problem, parse_plan, parse_problem
from matcher.replan import apply_changes, changed_ids, diff_plans
from matcher.solver import SolveParams


@dataclass
class Replan:
    """A replan request made concrete: the old and new problem and the reference plan."""

    old_problem: Problem
    old_plan: Plan
    problem: Problem
    doc: dict[str, Any]
    dropped: int
    changed: frozenset[str]

    def params(self, seconds: float, seed: int, workers: int) -> SolveParams:
        return SolveParams(time_limit=seconds, seed=seed, workers=workers,
                           reference=self.old_plan, reference_problem=self.old_problem,
                           changed=self.changed, progress_plans=True)


def prepare(job: JobRow, changes: list[Any]) -> Replan:
    """The changes applied to a finished job's problem (a 422 naming the change that does
    not fit, e.g. ``changes[2].volunteer``)."""
    old_doc = job.plan
    assert old_doc is not None
    old_problem = parse_problem(job.problem)
    old_plan = parse_plan(old_doc, old_problem)
    try:
        doc, dropped = apply_changes(job.problem, changes)
        problem = parse_problem(doc)
    except InputError as err:
        path = err.path if err.path.startswith("changes") else "changes"
        msg = err.message if path != "changes" else f"after the changes, {err}"
        raise_input_error(path, msg)
    return Replan(old_problem, old_plan, problem, doc, dropped, changed_ids(changes))


def diff_against_parent(parent: JobRow, child: JobRow) -> dict[str, Any] | None:
    """What a replan job's plan changed against its parent's plan (None without plans)."""
    if parent.plan_json is None or child.plan_json is None:
        return None
    old_problem = parse_problem(parent.problem)
    problem = parse_problem(child.problem)
    dropped = 0
    if child.changes_json is not None:
        import json

        from matcher.replan import parse_changes

        _, dropped = apply_changes(parent.problem, parse_changes(json.loads(child.changes_json)))
    return diff_plans(parse_plan(parent.plan, old_problem), parse_plan(child.plan, problem),
                      old_problem, problem, dropped)
