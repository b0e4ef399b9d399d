"""Candidate generation against SPEC's per-pair rules checked naively, pair by pair.

`matcher.solver.candidates.generate` is vectorised (KD-tree on unit vectors, sorted window
keys, feature matrices); here every volunteer x need x role, venue x need and fund x need
pair is checked on its own with `matcher.derived` scalars, and the two sets must be equal,
distances and fund caps included.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from problem_factory import (
    CENTRE,
    Sizes,
    boundary_problems,
    iso,
    naive_pairs,
    problems,
)

from matcher.derived import epoch, fits, windows
from matcher.model import Interval, parse_problem
from matcher.solver import SolveParams, solve
from matcher.solver.candidates import Candidates, Windows, generate
from matcher.validate import validate

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _solver_pairs(cand: Candidates) -> tuple[list[tuple], list[tuple], list[tuple]]:
    p = cand.compiled.problem
    vols = [(p.volunteers[int(v)].id, p.needs[int(n)].id, int(r), int(d))
            for v, n, r, d in zip(cand.v_vol, cand.v_need, cand.v_role, cand.v_dist,
                                  strict=True)]
    venues = [(p.venues[int(u)].id, p.needs[int(n)].id, int(d))
              for u, n, d in zip(cand.u_venue, cand.u_need, cand.u_dist, strict=True)]
    funds = [(p.funds[int(f)].id, p.needs[int(n)].id, int(c))
             for f, n, c in zip(cand.f_fund, cand.f_need, cand.f_cap, strict=True)]
    return vols, venues, funds


def _check(doc: dict) -> None:
    problem = parse_problem(doc)
    cand = generate(problem)
    vols, venues, funds = _solver_pairs(cand)
    want = naive_pairs(problem)
    # No pair twice, and exactly the naive sets (distances and caps included).
    assert len(vols) == len(set(vols))
    assert len(venues) == len(set(venues))
    assert len(funds) == len(set(funds))
    assert set(vols) == want.volunteers
    assert set(venues) == want.venues
    assert set(funds) == want.funds
    # Pairs are sorted by need (the solver relies on it).
    for arr in (cand.v_need, cand.u_need, cand.f_need):
        assert list(arr) == sorted(arr)
    # The per-requirement counts that explanations use agree with the pairs.
    per_role = Counter((n, j) for _, n, j, _ in want.volunteers)
    for i, need in enumerate(problem.needs):
        for j in range(len(need.roles)):
            assert cand.role_diag[(i, j)].final == per_role[(need.id, j)]
        if need.venue is not None:
            assert cand.venue_diag[i].final == sum(1 for _, n, _ in want.venues if n == need.id)
        assert int(cand.fund_total[i]) == sum(c for _, n, c in want.funds if n == need.id)
        assert int(cand.fund_count[i]) == sum(1 for _, n, _ in want.funds if n == need.id)


@SETTINGS
@given(problems(Sizes(volunteers=8, venues=4, funds=4, needs=8, pins=0, forbids=4)))
def test_candidates_equal_naive_pairs(doc: dict) -> None:
    _check(doc)


@SETTINGS
@given(boundary_problems(Sizes(volunteers=6, venues=4, funds=3, needs=6, pins=0, forbids=2)))
def test_candidates_equal_naive_pairs_on_exact_limits(doc: dict) -> None:
    _check(doc)


def _loc(dlat: float = 0.0, dlon: float = 0.0) -> dict:
    return {"lat": CENTRE[0] + dlat, "lon": CENTRE[1] + dlon}


def test_boundaries_by_hand() -> None:
    """Exact boundaries, each kept and broken once: travel limit, window ends, expiry."""
    need = {"id": "n1", "location": _loc(), "start": iso(14 * 60), "end": iso(16 * 60),
            "priority": 3, "roles": [{"skill": "teaching", "count": 3}], "funding": 100,
            "category": "wish", "region": "341181/001"}
    doc = {
        "volunteers": [
            {"id": "same_place_zero_km", "location": _loc(), "skills": ["teaching"],
             "max_travel_km": 0},
            {"id": "window_exact", "location": _loc(), "skills": ["teaching"],
             "availability": [{"start": iso(14 * 60), "end": iso(16 * 60)}]},
            {"id": "window_one_minute_short", "location": _loc(), "skills": ["teaching"],
             "availability": [{"start": iso(14 * 60), "end": iso(16 * 60 - 1)}]},
            {"id": "two_windows_touching", "location": _loc(), "skills": ["teaching"],
             "availability": [{"start": iso(13 * 60), "end": iso(15 * 60)},
                              {"start": iso(15 * 60), "end": iso(17 * 60)}]},
            {"id": "hours_exact", "location": _loc(), "skills": ["teaching"], "max_hours": 2},
            {"id": "hours_short", "location": _loc(), "skills": ["teaching"],
             "max_hours": 1.99},
            {"id": "utc_window", "location": _loc(), "skills": ["teaching"],
             "availability": [{"start": "2026-12-05T06:00:00+00:00",
                               "end": "2026-12-05T08:00:00+00:00"}]},
        ],
        "funds": [
            {"id": "expires_at_start", "amount": 50, "expires": iso(14 * 60)},
            {"id": "expired_second_before", "amount": 50,
             "expires": "2026-12-05T13:59:59+08:00"},
            {"id": "region_prefix", "amount": 500, "regions": ["341181"]},
            {"id": "region_not_prefix", "amount": 500, "regions": ["34118"]},
        ],
        "needs": [need],
    }
    problem = parse_problem(doc)
    vols, _, funds = _solver_pairs(generate(problem))
    got = {v for v, *_ in vols}
    # Two windows that touch do not make one window (SPEC: one window must contain it).
    assert got == {"same_place_zero_km", "window_exact", "hours_exact", "utc_window"}
    assert {f for f, *_ in funds} == {"expires_at_start", "region_prefix"}
    assert ("region_prefix", "n1", 100) in funds  # capped at the need's funding
    want = naive_pairs(problem)
    assert set(vols) == want.volunteers and set(funds) == want.funds


# --- times anywhere in SPEC's range (years 1 to 9999) --------------------------------------

# Whole seconds from 0001-01-01 to 9999-12-31 (UTC): the keys of the window lookup once
# overflowed their 2^36-second slot per owner, so times far apart broke it.
_FIRST = -62_135_596_800
_LAST = 253_402_300_799


def _interval(a: int, b: int) -> Interval:
    return Interval(start=datetime.fromtimestamp(a, UTC), end=datetime.fromtimestamp(b, UTC))


@st.composite
def _far_windows(draw: Any) -> tuple[list[list[Interval] | None], list[tuple[int, int, int]]]:
    # An anchor, plus up to 10^9 s, plus a window of up to 10^8 s, stays within year 9999.
    anchors = draw(st.lists(st.integers(_FIRST, _LAST - 2 * 10**9), min_size=1, max_size=4))

    def time(near: int) -> int:
        return near + draw(st.integers(0, 10**9))

    lists: list[list[Interval] | None] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 5)) == 0:
            lists.append(None)
            continue
        owner = []
        for _ in range(draw(st.integers(0, 3))):
            a = time(draw(st.sampled_from(anchors)))
            owner.append(_interval(a, a + draw(st.integers(1, 10**8))))
        lists.append(owner)
    queries = []
    for _ in range(draw(st.integers(1, 12))):
        o = draw(st.integers(0, len(lists) - 1))
        own = lists[o]
        if own and draw(st.booleans()):
            w = draw(st.sampled_from(own))  # often inside or at the edge of a window
            s, e = epoch(w.start), epoch(w.end)
            a = draw(st.integers(s - 5, e))
            b = draw(st.integers(a + 1, e + 5))
        else:
            a = time(draw(st.sampled_from(anchors)))
            b = a + draw(st.integers(1, 10**8))
        queries.append((o, a, b))
    return lists, queries


@SETTINGS
@given(_far_windows())
def test_window_lookup_equals_naive_fit_over_all_years(case: tuple) -> None:
    lists, queries = case
    w = Windows.build(lists)
    owner = np.array([q[0] for q in queries], dtype=np.int64)
    start = np.array([q[1] for q in queries], dtype=np.int64)
    end = np.array([q[2] for q in queries], dtype=np.int64)
    got = w.fits(owner, start, end)
    for k, (o, a, b) in enumerate(queries):
        assert bool(got[k]) == bool(fits([a], [b], windows(lists[o]))[0]), (o, a, b)


def test_volunteer_free_in_year_5000_serves_a_need_then() -> None:
    """The issue's case: 'optimal' with coverage 8 missing, because a volunteer whose window
    lies thousands of years after the earliest need was never a candidate."""
    loc = {"lat": 0.0, "lon": 0.0}
    doc = {
        "volunteers": [
            {"id": "far_future", "location": loc, "skills": ["t"],
             "availability": [{"start": "4999-01-01T00:00:00+00:00",
                               "end": "5001-01-01T00:00:00+00:00"}]},
            {"id": "early", "location": loc, "skills": ["t"],
             "availability": [{"start": "0001-01-02T00:00:00+00:00",
                               "end": "4000-01-01T00:00:00+00:00"}]},
        ],
        "needs": [
            {"id": "n_year1", "location": loc, "start": "0001-01-02T00:00:00+00:00",
             "end": "0001-01-02T01:00:00+00:00", "priority": 3,
             "roles": [{"skill": "t", "count": 1}]},
            {"id": "n_year3500", "location": loc, "start": "3500-06-01T00:00:00+00:00",
             "end": "3500-06-01T01:00:00+00:00", "priority": 4,
             "roles": [{"skill": "t", "count": 1}]},
            {"id": "n_year5000", "location": loc, "start": "5000-06-01T00:00:00+00:00",
             "end": "5000-06-01T01:00:00+00:00", "priority": 4,
             "roles": [{"skill": "t", "count": 1}]},
        ],
    }
    problem = parse_problem(doc)
    vols, _, _ = _solver_pairs(generate(problem))
    assert {(v, n) for v, n, *_ in vols} == {
        ("early", "n_year1"), ("early", "n_year3500"), ("far_future", "n_year5000")}
    assert set(vols) == naive_pairs(problem).volunteers
    plan = solve(problem, SolveParams(time_limit=10, workers=1)).plan
    assert plan.objective.coverage == 4 + 8 + 8
    assert plan.status == "optimal"
    assert validate(problem, plan) == []
