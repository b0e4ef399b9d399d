"""Shared fixtures: SPEC's tiny example, a hand-made problem for the 14 rules, conformance paths.

The conformance set is copied into ``tests/data/conformance`` (from the contract's
``shared/conformance``) so that a plain clone passes on its own.  When it is missing, the
conformance tests fail: they never skip.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import matcher.solver.core
from matcher.model import Plan, Problem, parse_plan, parse_problem

# A plan that fails the solver's own final check is a bug: in the test suite it raises
# (`PlanCheckError`) instead of falling back quietly to a greedy plan.
matcher.solver.core.STRICT = True

REPO = Path(__file__).parents[1]
CONFORMANCE_DIR = Path(__file__).parent / "data" / "conformance"
CONFORMANCE_NAMES = [f"c{i:02d}" for i in range(1, 7)]

DAY = "2026-12-05"


def t(hhmm: str, day: str = DAY, offset: str = "+08:00") -> str:
    """An ISO time on the test day: t("14:00") -> 2026-12-05T14:00:00+08:00."""
    return f"{day}T{hhmm}:00{offset}"


def window(start: str, end: str) -> dict[str, str]:
    return {"start": t(start), "end": t(end)}


def loc(lat: float, lon: float) -> dict[str, float]:
    return {"lat": lat, "lon": lon}


# --- the API's database ---------------------------------------------------------------------

TEST_DATABASE_ENV = "MATCHER_TEST_DATABASE_URL"
_PG_SCHEMAS: dict[Path, str] = {}


def database_url_for(tmp_path: Path) -> str:
    """The database for one test's API: a SQLite file in `tmp_path`, or, when
    MATCHER_TEST_DATABASE_URL names a PostgreSQL database, a fresh schema of it of its own
    (the same one for every call with the same `tmp_path`, as a restart needs)."""
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        return f"sqlite:///{tmp_path / 'api.db'}"
    from sqlalchemy import create_engine, make_url, text

    url = make_url(base)
    if url.get_backend_name() != "postgresql":
        pytest.fail(f"{TEST_DATABASE_ENV}={base!r}: only postgresql URLs are supported")
    schema = _PG_SCHEMAS.get(tmp_path)
    if schema is None:
        schema = _PG_SCHEMAS[tmp_path] = f"t_{uuid.uuid4().hex[:16]}"
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    """The PostgreSQL schemas the tests made are dropped at the end of the run."""
    yield
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base or not _PG_SCHEMAS:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        for schema in _PG_SCHEMAS.values():
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


# --- SPEC's example ---------------------------------------------------------------------------


def tiny_problem() -> dict[str, Any]:
    """A problem dict shaped like SPEC's example (one of each entry), fresh on every call."""
    return {
        "version": 1,
        "name": "tiny",
        "currency": "CNY",
        "volunteers": [
            {"id": "v1", "location": loc(32.689, 119.004), "skills": ["teaching", "first_aid"],
             "availability": [window("08:00", "18:00")], "max_hours": 8, "max_travel_km": 10},
        ],
        "venues": [
            {"id": "u1", "name": "Youth Home, Qianqiu St.", "location": loc(32.691, 119.010),
             "capacity": 40, "features": ["classroom"],
             "availability": [window("08:00", "21:00")], "rating": 4.5},
        ],
        "funds": [
            {"id": "f1", "donor": "Youth Entrepreneurs Association", "amount": 9900000,
             "categories": ["student_aid"], "regions": ["341181"],
             "expires": "2026-12-31T23:59:59+08:00"},
        ],
        "needs": [
            {"id": "n1", "title": "After-school class", "category": "after_school_class",
             "region": "341181/001/003", "location": loc(32.690, 119.007),
             "start": t("16:30"), "end": t("18:00"), "priority": 3,
             "roles": [{"skill": "teaching", "count": 2, "min_count": 1}],
             "venue": {"capacity": 30, "features": ["classroom"], "max_distance_km": 3},
             "funding": 0},
        ],
        "pins": [{"need": "n1", "volunteer": "v1"}],
        "forbid": [{"need": "n1", "fund": "f1"}],
        "objective": {"priority_weights": [1, 2, 4, 8, 16], "fairness": None},
    }


# --- a hand-made problem exercising every rule ------------------------------------------------

# Every need sits at C; distances below are SPEC metres from C (checked in test_derived).
C = loc(32.690, 119.007)


def rules_problem() -> dict[str, Any]:
    """A small problem with an entry for each way of keeping or breaking SPEC's rules.

    Weights (default priority_weights): n1 4, n2 8, n3 2, n4 1, n5 5 (override of 16).
    """
    return {
        "version": 1,
        "name": "rules",
        "volunteers": [
            # 302 m from C; free 08-18; 3 h at most; 5 km at most.
            {"id": "v1", "location": loc(32.689, 119.004), "skills": ["teaching", "first_aid"],
             "availability": [window("08:00", "18:00")], "max_hours": 3, "max_travel_km": 5},
            {"id": "v2", "location": loc(32.700, 119.007), "skills": ["teaching"]},
            # 56 km from C: beyond the default 10 km.
            {"id": "v3", "location": loc(32.690, 119.607), "skills": ["teaching", "counselling"]},
            {"id": "v4", "location": loc(32.691, 119.007), "skills": ["teaching"],
             "availability": [window("08:00", "12:00")]},
            {"id": "v5", "location": loc(32.689, 119.006), "skills": ["teaching"]},
            {"id": "v6", "location": loc(32.691, 119.008), "skills": ["teaching"]},
            {"id": "v7", "location": loc(32.690, 119.008), "skills": ["counselling"]},
            {"id": "v8", "location": loc(32.690, 119.008), "skills": ["teaching"]},
        ],
        "venues": [
            {"id": "u1", "location": loc(32.691, 119.010), "capacity": 40,
             "features": ["classroom"], "availability": [window("08:00", "21:00")]},
            {"id": "u2", "location": loc(32.691, 119.008), "capacity": 40, "features": ["gym"]},
            # 10 km from C.
            {"id": "u3", "location": loc(32.780, 119.007), "capacity": 40,
             "features": ["classroom"]},
            {"id": "u4", "location": loc(32.690, 119.008), "capacity": 40,
             "features": ["classroom"], "availability": [window("08:00", "12:00")]},
            {"id": "u5", "location": loc(32.690, 119.008), "capacity": 29,
             "features": ["classroom", "projector"]},
            {"id": "u6", "location": loc(32.691, 119.007), "capacity": 40,
             "features": ["classroom"]},
        ],
        "funds": [
            {"id": "f1", "amount": 1000, "categories": ["student_aid"], "regions": ["341181"]},
            # Expired one second before n2 starts (written in UTC).
            {"id": "f2", "amount": 500, "expires": "2026-12-05T00:59:59+00:00"},
            # '34' is not a prefix region of '341181/...': only '34/...' lies in '34'.
            {"id": "f3", "amount": 300, "regions": ["34"]},
            {"id": "f4", "amount": 500},
            {"id": "f5", "amount": 100},
        ],
        "needs": [
            {"id": "n1", "title": "After-school class", "category": "after_school_class",
             "region": "341181/001/003", "location": C, "start": t("14:00"), "end": t("16:00"),
             "priority": 3, "roles": [{"skill": "teaching", "count": 2, "min_count": 1}],
             "venue": {"capacity": 30, "features": ["classroom"], "max_distance_km": 3}},
            {"id": "n2", "title": "Student aid", "category": "student_aid",
             "region": "341181/002", "location": C, "start": t("09:00"), "end": t("10:00"),
             "priority": 4, "funding": 1200},
            {"id": "n3", "title": "Evening class", "category": "after_school_class",
             "region": "341181/001", "location": C, "start": t("15:00"), "end": t("17:00"),
             "priority": 2, "roles": [{"skill": "teaching", "count": 1}], "funding": 100},
            {"id": "n4", "title": "Touching class", "category": "after_school_class",
             "region": "341181/001/003", "location": C, "start": t("16:00"), "end": t("17:00"),
             "priority": 1, "roles": [{"skill": "teaching", "count": 1}],
             "venue": {"capacity": 10, "features": ["classroom"]}},
            {"id": "n5", "title": "First aid and teaching", "location": C,
             "start": t("10:00"), "end": t("11:00"), "priority": 5, "weight": 5,
             "roles": [{"skill": "teaching", "count": 1}, {"skill": "first_aid", "count": 1}]},
        ],
        "pins": [
            {"need": "n1", "volunteer": "v1"},
            {"need": "n2", "fund": "f1", "amount": 800},
        ],
        "forbid": [
            {"need": "n1", "volunteer": "v8"},
            {"need": "n1", "venue": "u6"},
            {"need": "n3", "fund": "f5"},
        ],
    }


def rules_plan() -> dict[str, Any]:
    """A valid plan for `rules_problem` (objective values filled in by `finish`)."""
    return {
        "problem": "rules",
        "status": "feasible",
        "met": ["n1", "n2", "n3"],
        "assignments": [
            {"need": "n1", "skill": "teaching", "volunteer": "v1"},
            {"need": "n1", "skill": "teaching", "volunteer": "v2"},
            {"need": "n3", "skill": "teaching", "volunteer": "v5"},
        ],
        "bookings": [{"need": "n1", "venue": "u1"}],
        "grants": [
            {"need": "n2", "fund": "f1", "amount": 800},
            {"need": "n2", "fund": "f4", "amount": 400},
            {"need": "n3", "fund": "f4", "amount": 100},
        ],
    }


def finish(problem_doc: dict[str, Any], plan_doc: dict[str, Any]) -> tuple[Problem, Plan]:
    """Parse both documents; list every need not in `met` as unmet and fill in the objective.

    The objective values come from `plan_values`, which test_validate checks by hand on the
    base plan, so that a rule test sees only the rule it is about.
    """
    from matcher.validate import plan_values

    problem = parse_problem(copy.deepcopy(problem_doc), "problem")
    plan_doc = copy.deepcopy(plan_doc)
    met = set(plan_doc.get("met", []))
    plan_doc["unmet"] = [
        {"need": n.id, "reasons": ["not chosen"]} for n in problem.needs if n.id not in met
    ]
    plan_doc.pop("objective", None)
    vals = plan_values(problem, parse_plan(plan_doc, problem))
    plan_doc["objective"] = {"coverage": vals.coverage, "fill": vals.fill,
                             "travel_m": vals.travel_m}
    if vals.fairness is not None:
        plan_doc["objective"]["fairness"] = float(vals.fairness)
    return problem, parse_plan(plan_doc, problem, "plan")


def conformance_pair(name: str) -> tuple[Path, Path]:
    """Paths of one conformance problem and its expected plan; fails if they are missing."""
    problem = CONFORMANCE_DIR / f"{name}.problem.json"
    plan = CONFORMANCE_DIR / f"{name}.expected-plan.json"
    if not (problem.is_file() and plan.is_file()):
        pytest.fail(f"conformance files missing: {problem} / {plan} (tests/data/conformance "
                    "is part of the repository)")
    return problem, plan


@pytest.fixture(params=CONFORMANCE_NAMES)
def conformance(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    return conformance_pair(request.param)
