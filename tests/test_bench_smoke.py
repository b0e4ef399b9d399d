"""Smoke benchmark for CI: every method on the conformance problems and on scenarios/runzhou.json
with a short time limit. It asserts only that every plan validates (and, where matcher proves
its plan optimal, that greedy does not beat it); it never asserts on time.

matcher, the greedy and the monolithic CP-SAT baselines run in-process. The HiGHS baseline runs
in one subprocess for all problems (`benchmarks/worker.py`), because `highspy` and `ortools`
ship clashing copies of the HiGHS shared library and cannot both be loaded in one process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matcher.io import load_problem
from matcher.model import Plan, Problem
from matcher.validate import validate

REPO = Path(__file__).parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from conftest import CONFORMANCE_NAMES, conformance_pair  # noqa: E402

from benchmarks.baselines import greedy, monolithic_cpsat  # noqa: E402

TIME_LIMIT = 2.0
RUNZHOU = REPO / "scenarios" / "runzhou.json"
NAMES = [*CONFORMANCE_NAMES, "runzhou"]


def _path(name: str) -> Path:
    if name == "runzhou":
        if not RUNZHOU.is_file():
            pytest.fail(f"{RUNZHOU} is missing (python scenarios/generate.py writes it)")
        return RUNZHOU
    return conformance_pair(name)[0]


def _check(problem: Problem, plan: Plan, who: str) -> None:
    if plan.stats.get("found") is False and problem.pins:
        # No solution in time: the all-unmet fallback cannot hold the pins; nothing to check.
        return
    violations = validate(problem, plan)
    assert not violations, f"{who}: " + "; ".join(str(v) for v in violations[:5])


def _key(plan: Plan) -> tuple[float, int]:
    """SPEC's first stages: fairness (when asked for), then coverage."""
    fair = plan.objective.fairness
    return (-1.0 if fair is None else fair, plan.objective.coverage)


@pytest.fixture(scope="module")
def highs_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The HiGHS baseline on every smoke problem, in one subprocess."""
    out = tmp_path_factory.mktemp("highs")
    paths = {name: _path(name) for name in NAMES}
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from benchmarks.baselines import highs_mip\n"
        "from matcher.io import load_problem\n"
        "from matcher.validate import validate\n"
        f"paths = {json.dumps({k: str(v) for k, v in paths.items()})}\n"
        "res = {}\n"
        "for name, path in paths.items():\n"
        "    p = load_problem(path)\n"
        f"    plan, _ = highs_mip.solve(p, {TIME_LIMIT})\n"
        "    skip = plan.stats.get('found') is False and bool(p.pins)\n"
        "    res[name] = {'violations': [] if skip else [str(v) for v in validate(p, plan)],\n"
        "                 'status': plan.status}\n"
        f"open({str(out / 'highs.json')!r}, 'w').write(json.dumps(res))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=300)
    return json.loads((out / "highs.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_every_method_gives_a_valid_plan(
    name: str, highs_results: dict[str, dict[str, Any]]
) -> None:
    from matcher.solver import SolveParams, solve

    problem = load_problem(_path(name))
    res = solve(problem, SolveParams(time_limit=TIME_LIMIT, seed=0, workers=2))
    _check(problem, res.plan, f"matcher on {name}")
    g_plan, _ = greedy.solve(problem, TIME_LIMIT)
    _check(problem, g_plan, f"greedy on {name}")
    c_plan, _ = monolithic_cpsat.solve(problem, TIME_LIMIT)
    _check(problem, c_plan, f"monolithic CP-SAT on {name}")
    h = highs_results[name]
    assert not h["violations"], f"HiGHS MIP on {name}: " + "; ".join(h["violations"][:5])
    if res.plan.status == "optimal" and g_plan.status != "infeasible":
        # An exact solver that proved its plan optimal cannot be beaten on its first stages.
        assert _key(res.plan) >= _key(g_plan), (name, _key(res.plan), _key(g_plan))
