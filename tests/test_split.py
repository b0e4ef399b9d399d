"""A huge component split into nearly independent parts (matcher/solver/split.py): the
parts share no volunteer or venue and no more than each fund's amount, keep every pin, and
solved (in-process or as tasks on a real Dask cluster) give a valid plan whose bound is
still a bound; the same seed gives the same plan both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dask_cluster
import numpy as np
import pytest
from solver_instances import pinned_city

from matcher.engine import Engine
from matcher.model import Problem, parse_problem
from matcher.solver import SolveParams, core, solve, split
from matcher.solver.candidates import Compiled, generate
from matcher.validate import validate


def _counties(seed: int, pins: bool, n: int = 3) -> Problem:
    """`n` cities about 90 km apart as a province's top-level regions, one component: their
    funds pay for needs anywhere, and a few volunteers of each city live next door (their
    pairs to the neighbour are the ones a split drops)."""
    doc: dict[str, Any] = {"version": 1, "name": "counties", "volunteers": [], "venues": [],
                           "funds": [], "needs": [], "pins": [], "forbid": []}
    for c in range(n):
        city = pinned_city(90, 70, days=3, pin_share=0.08 if pins else 0.0,
                           forbid_share=0.0, seed=seed * 10 + c, towns=4)
        pinned = {p["need"] for p in city["pins"]}
        for kind in ("volunteers", "venues", "funds", "needs"):
            for item in city[kind]:
                item["id"] = f"c{c}{item['id']}"
                if "location" in item:
                    item["location"]["lon"] = round(item["location"]["lon"] + 0.9 * c, 5)
                if kind == "funds":
                    item["regions"] = []
                if kind == "needs":
                    item["region"] = f"c{c}/" + item["region"].split("/", 1)[1]
                    if item["id"][len(f"c{c}"):] in pinned:
                        item["funding"] = 0  # a pinned need with funding keeps it whole
                doc[kind].append(item)
        doc["pins"] += [{k: f"c{c}{v}" for k, v in p.items()} for p in city["pins"]
                        if "fund" not in p]  # a fund pin keeps the component whole
        if c:
            # Three of this city's volunteers live in the previous one, near its centre.
            prev = doc["needs"][-71]["location"]
            for v in doc["volunteers"][-3:]:
                v["location"] = {"lat": prev["lat"], "lon": prev["lon"]}
    return parse_problem(doc)


def _component(problem: Problem) -> tuple[core.SubProblem, list[str]]:
    cand = generate(problem, Compiled.build(problem))
    possible = cand.possible()
    keep = np.flatnonzero(possible)
    pins = core._map_pins(problem, cand, possible)
    sp, *_ = core._subproblem(cand, keep, pins, SolveParams(), None)
    return sp, [problem.needs[int(i)].region for i in sp.needs]


@pytest.fixture
def split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split components of any size (the threshold is for provinces)."""
    monkeypatch.setattr(split, "SPLIT_MIN_PAIRS", 0)


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_parts_share_nothing_and_keep_every_pin(split_small: None, seed: int) -> None:
    sp, regions = _component(_counties(seed, pins=True))
    parts = split.split(sp, regions)
    assert parts is not None and len(parts) >= 2
    # Every need in exactly one part, each volunteer and venue in at most one.
    needs = np.concatenate([p.sp.needs for p in parts])
    assert sorted(needs.tolist()) == sorted(sp.needs.tolist())
    for attr in ("v_vol", "u_venue"):
        seen: dict[int, int] = {}
        for k, p in enumerate(parts):
            for o in set(getattr(p.sp, attr).tolist()):
                assert seen.setdefault(o, k) == k, f"{attr} {o} in two parts"
    # A part's pairs are the component's pairs; a volunteer keeps all its hours.
    for p in parts:
        assert np.array_equal(p.sp.v_vol, sp.v_vol[p.vk])
        assert np.array_equal(p.sp.v_dist, sp.v_dist[p.vk])
        assert all(p.sp.vol_max_s[v] == sp.vol_max_s[v] for v in p.sp.vol_max_s)
    # Fund shares add up to at most the amount.
    for f, amount in sp.fund_amount.items():
        assert sum(p.sp.fund_amount.get(f, 0) for p in parts) <= amount
    # Every pin is in its need's part, with every pair it had.
    assert sum(len(p.sp.pin_v) for p in parts) == len(sp.pin_v)
    assert sum(len(p.sp.pin_u) for p in parts) == len(sp.pin_u)
    assert sum(len(ks) for p in parts for ks in p.sp.pin_v) == sum(len(ks) for ks in sp.pin_v)


def test_fund_pins_keep_the_component_whole(split_small: None) -> None:
    sp, regions = _component(_counties(1, pins=False))
    k = 0
    sp.pin_f = [(k, int(sp.f_cap[k]))]
    assert split.split(sp, regions) is None


def test_one_top_level_region_is_not_split(split_small: None) -> None:
    sp, regions = _component(_counties(2, pins=False))
    assert split.split(sp, ["5101/" + r for r in regions]) is None


@pytest.mark.parametrize("pins", [False, True])
def test_split_solve_is_valid_and_its_bound_holds(split_small: None, pins: bool) -> None:
    problem = _counties(1, pins)
    whole = solve(problem, SolveParams(time_limit=60, seed=2, split=False, strict=True))
    parts = solve(problem, SolveParams(time_limit=60, seed=2, strict=True))
    assert validate(problem, parts.plan) == []
    # Parts prove nothing about the whole: never reported optimal.
    assert parts.plan.status == "feasible"
    bound = parts.plan.bound.coverage
    assert bound is not None and bound >= parts.plan.objective.coverage
    # A bound on every plan: at least the whole component's optimum.
    assert whole.plan.status == "optimal"
    assert bound >= whole.plan.objective.coverage
    # Dropping the few pairs across borders costs little.
    assert parts.plan.objective.coverage >= 0.95 * whole.plan.objective.coverage


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    cluster = dask_cluster.start(2)
    try:
        with Engine.connect(cluster.address) as e:
            yield e
    finally:
        cluster.stop()


def test_same_plan_in_process_and_on_the_cluster(split_small: None, engine: Engine) -> None:
    """Each part a task: the parts are small enough to finish, so the plan is determined."""
    problem = _counties(5, pins=True)
    here = solve(problem, SolveParams(time_limit=60, seed=7))
    calls = []

    def executor(*args: Any) -> Any:
        calls.append(len(args[0].needs))
        return engine.executor()(*args)

    there = solve(problem, SolveParams(time_limit=60, seed=7, executor=executor))
    assert len(calls) >= 2  # the parts went to the cluster as tasks of their own
    assert validate(problem, there.plan) == []
    a, b = here.plan.to_json_dict(), there.plan.to_json_dict()
    a.pop("stats")
    b.pop("stats")
    assert a == b
