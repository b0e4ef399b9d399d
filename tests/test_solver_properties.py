"""Properties of `solve` over random small problems.

1. Every plan the solver returns passes the validator (SPEC's 14 rules, the document rules
   and its own objective values), `infeasible` plans included.
2. On tiny problems the plan is optimal: its coverage (and fairness, when asked for) equals
   a brute-force optimum computed here, independently of the solver's model: every subset
   of needs is tried, and a subset is feasible when a simple search finds volunteers,
   venues and funds for all of it at once. When no subset holds every pin, the solver must
   answer `infeasible`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from problem_factory import Sizes, fund_ok, problems, venue_ok, volunteer_ok

from matcher.derived import epoch
from matcher.model import Need, Problem, parse_problem
from matcher.solver import SolveParams, solve
from matcher.validate import validate

# A generous limit: tiny problems prove optimal in milliseconds, but a loaded CI machine must
# not turn "optimal" into "feasible" (the limit only bounds, it is never waited out).
PARAMS = SolveParams(time_limit=30.0, seed=0, workers=1)
# A longer hunt: MATCHER_PROPERTY_SCALE=20 runs twenty times as many examples.
SCALE = float(os.environ.get("MATCHER_PROPERTY_SCALE", "1"))


def _check_plan(problem: Problem, plan) -> None:  # type: ignore[no-untyped-def]
    violations = validate(problem, plan)
    assert not violations, "\n".join(map(str, violations))
    assert plan.status in ("optimal", "feasible", "infeasible")
    if plan.status == "infeasible":
        assert not plan.met and not plan.assignments and not plan.bookings and not plan.grants
        assert problem.pins, "only pins can make a problem infeasible"
    if plan.status == "optimal":
        assert plan.bound.coverage == plan.objective.coverage
    assert plan.bound.coverage is not None and plan.bound.coverage >= plan.objective.coverage


@settings(max_examples=int(200 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(Sizes(volunteers=6, venues=3, funds=3, needs=8, pins=2, forbids=2)))
def test_every_plan_validates(doc: dict) -> None:
    problem = parse_problem(doc)
    plan = solve(problem, PARAMS).plan
    _check_plan(problem, plan)


# --- brute force ------------------------------------------------------------------------------


def _overlap(a: Need, b: Need) -> bool:
    return a.start < b.end and b.start < a.end


def _seconds(n: Need) -> int:
    return epoch(n.end) - epoch(n.start)


class Brute:
    """Which subsets of needs can be met together, by plain search."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.vols = {v.id: v for v in problem.volunteers}
        # Allowed pairs, each checked on its own (rules 1-3, 6-8 fit, 10, forbid).
        self.role_vols: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.venues: dict[str, list[str]] = defaultdict(list)
        self.funds: dict[str, list[str]] = defaultdict(list)
        for n in problem.needs:
            for j in range(len(n.roles)):
                for v in problem.volunteers:
                    if volunteer_ok(problem, v.id, n, j) is not None:
                        self.role_vols[(n.id, j)].append(v.id)
            for u in problem.venues:
                if venue_ok(problem, u.id, n) is not None:
                    self.venues[n.id].append(u.id)
            for f in problem.funds:
                if fund_ok(problem, f.id, n):
                    self.funds[n.id].append(f.id)
        self.pin_vols: dict[str, list[str]] = defaultdict(list)
        self.pin_venues: dict[str, set[str]] = defaultdict(set)
        self.pin_funds: dict[tuple[str, str], set[int]] = defaultdict(set)
        for pin in problem.pins:
            if pin.volunteer is not None:
                if pin.volunteer not in self.pin_vols[pin.need]:
                    self.pin_vols[pin.need].append(pin.volunteer)
            elif pin.venue is not None:
                self.pin_venues[pin.need].add(pin.venue)
            else:
                assert pin.fund is not None and pin.amount is not None
                self.pin_funds[(pin.fund, pin.need)].add(pin.amount)
        self.pinned_needs = {pin.need for pin in problem.pins}

    # Volunteers: a pinned volunteer takes one role it may fill; then every role is filled
    # up to min_count (more volunteers never help: they only add overlaps and hours).
    def _volunteers_ok(self, needs: list[Need]) -> bool:
        tasks: list[tuple[str, Need, object]] = []
        for n in needs:
            for vid in self.pin_vols[n.id]:
                tasks.append(("pin", n, vid))
            for j in range(len(n.roles)):
                tasks.append(("fill", n, j))
        busy: dict[str, list[Need]] = defaultdict(list)
        in_need: dict[str, set[str]] = defaultdict(set)
        in_role: dict[tuple[str, int], int] = defaultdict(int)

        def can_take(vid: str, n: Need) -> bool:
            if vid in in_need[n.id]:
                return False
            if any(_overlap(n, m) for m in busy[vid]):
                return False
            cap = self.vols[vid].max_hours
            used = sum(_seconds(m) for m in busy[vid]) + _seconds(n)
            return cap is None or used <= 3600 * cap

        def take(vid: str, n: Need, j: int) -> None:
            busy[vid].append(n)
            in_need[n.id].add(vid)
            in_role[(n.id, j)] += 1

        def drop(vid: str, n: Need, j: int) -> None:
            busy[vid].remove(n)
            in_need[n.id].discard(vid)
            in_role[(n.id, j)] -= 1

        def search(t: int) -> bool:
            if t == len(tasks):
                return True
            kind, n, what = tasks[t]
            if kind == "pin":
                vid = str(what)
                if not can_take(vid, n):
                    return False
                for j, role in enumerate(n.roles):
                    if vid in self.role_vols[(n.id, j)] and in_role[(n.id, j)] < role.count:
                        take(vid, n, j)
                        if search(t + 1):
                            return True
                        drop(vid, n, j)
                return False
            j = int(what)  # type: ignore[call-overload]
            missing = max(0, n.roles[j].minimum - in_role[(n.id, j)])
            options = [v for v in self.role_vols[(n.id, j)] if can_take(v, n)]
            for chosen in combinations(options, missing):
                for vid in chosen:
                    take(vid, n, j)
                if search(t + 1):
                    return True
                for vid in chosen:
                    drop(vid, n, j)
            return False

        return search(0)

    def _venues_ok(self, needs: list[Need]) -> bool:
        asking = [n for n in needs if n.venue is not None]
        for n in needs:
            if self.pin_venues[n.id] and n.venue is None:
                return False
        booked: dict[str, list[Need]] = defaultdict(list)

        def search(k: int) -> bool:
            if k == len(asking):
                return True
            n = asking[k]
            options = self.venues[n.id]
            if self.pin_venues[n.id]:
                if len(self.pin_venues[n.id]) > 1:
                    return False
                options = [u for u in options if u in self.pin_venues[n.id]]
            for u in options:
                if any(_overlap(n, m) for m in booked[u]):
                    continue
                booked[u].append(n)
                if search(k + 1):
                    return True
                booked[u].remove(n)
            return False

        return search(0)

    def _funds_ok(self, needs: list[Need]) -> bool:
        ids = {n.id for n in needs}
        left = {f.id: f.amount for f in self.p.funds}
        demand = {n.id: n.funding for n in needs if n.funding > 0}
        fixed: set[tuple[str, str]] = set()
        for (fid, nid), amounts in self.pin_funds.items():
            if nid not in ids:
                continue
            if len(amounts) > 1 or fid not in self.funds[nid]:
                return False
            (a,) = amounts
            left[fid] -= a
            demand[nid] -= a
            fixed.add((fid, nid))
        if any(x < 0 for x in left.values()) or any(x < 0 for x in demand.values()):
            return False
        # The rest: a max flow from funds to needs (augmenting paths, whole amounts).
        edges = {(fid, nid) for nid in demand for fid in self.funds[nid]} - fixed
        flow: dict[tuple[str, str], int] = defaultdict(int)
        src_left = dict(left)
        sink_left = dict(demand)

        def augment() -> int:
            # BFS over funds -> needs (forward edges) and needs -> funds (backward edges).
            parent: dict[tuple[str, str], tuple[str, str] | None] = {}
            queue = [("f", f) for f, a in src_left.items() if a > 0]
            for node in queue:
                parent[node] = None
            while queue:
                node = queue.pop(0)
                kind, name = node
                if kind == "n" and sink_left[name] > 0:
                    path = [node]
                    while parent[path[-1]] is not None:
                        path.append(parent[path[-1]])  # type: ignore[arg-type]
                    path.reverse()
                    amount = min(src_left[path[0][1]], sink_left[name])
                    for a, b in zip(path, path[1:], strict=False):
                        if a[0] == "n":  # backward edge b(fund) -> a(need) carries flow
                            amount = min(amount, flow[(b[1], a[1])])
                    src_left[path[0][1]] -= amount
                    sink_left[name] -= amount
                    for a, b in zip(path, path[1:], strict=False):
                        if a[0] == "f":
                            flow[(a[1], b[1])] += amount
                        else:
                            flow[(b[1], a[1])] -= amount
                    return amount
                nxt = ([("n", nid) for (fid, nid) in edges if fid == name] if kind == "f"
                       else [("f", fid) for (fid, nid) in edges
                             if nid == name and flow[(fid, nid)] > 0])
                for m in nxt:
                    if m not in parent:
                        parent[m] = node
                        queue.append(m)
            return 0

        while augment() > 0:
            pass
        return all(x == 0 for x in sink_left.values())

    def feasible(self, needs: list[Need]) -> bool:
        ids = {n.id for n in needs}
        if not self.pinned_needs <= ids:
            return False
        return self._funds_ok(needs) and self._venues_ok(needs) and self._volunteers_ok(needs)

    def subsets(self) -> Iterator[list[Need]]:
        needs = self.p.needs
        for mask in range(1 << len(needs)):
            yield [n for i, n in enumerate(needs) if mask >> i & 1]

    def best(self) -> tuple[Fraction, int] | None:
        """The lexicographic best (fairness or 0, coverage) over feasible subsets."""
        best: tuple[Fraction, int] | None = None
        for sub in self.subsets():
            key = (self.fairness(sub), sum(self.p.weight(n) for n in sub))
            if best is not None and key <= best:
                continue
            if self.feasible(sub):
                best = key
        return best

    def fairness(self, sub: list[Need]) -> Fraction:
        fair = self.p.objective.fairness
        if fair is None:
            return Fraction(0)
        met = {n.id for n in sub}
        total: dict[str, int] = defaultdict(int)
        got: dict[str, int] = defaultdict(int)
        for n in self.p.needs:
            group = "/".join(n.region.split("/")[: fair.region_depth])
            total[group] += self.p.weight(n)
            if n.id in met:
                got[group] += self.p.weight(n)
        return min(Fraction(got[g], total[g]) for g in total)


@settings(max_examples=int(200 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(Sizes(volunteers=4, venues=2, funds=3, needs=6, pins=2, forbids=1)))
def test_tiny_problems_reach_the_brute_force_optimum(doc: dict) -> None:
    problem = parse_problem(doc)
    plan = solve(problem, PARAMS).plan
    _check_plan(problem, plan)
    best = Brute(problem).best()
    if best is None:
        assert plan.status == "infeasible", "brute force finds no subset holding every pin"
        return
    fairness, coverage = best
    assert plan.status == "optimal"
    assert plan.objective.coverage == coverage
    assert plan.bound.coverage == coverage
    if problem.objective.fairness is not None:
        assert plan.objective.fairness is not None and plan.bound.fairness is not None
        assert abs(plan.objective.fairness - float(fairness)) <= 1e-9
        assert abs(plan.bound.fairness - float(fairness)) <= 1e-9


def test_brute_force_sees_a_pinned_volunteer_in_either_role() -> None:
    """The brute force itself: a pinned volunteer who could fill either of two roles."""
    loc = {"lat": 32.69, "lon": 119.007}
    doc = {
        "volunteers": [{"id": "v1", "location": loc, "skills": ["teaching", "first_aid"]},
                       {"id": "v2", "location": loc, "skills": ["first_aid"]}],
        "needs": [{"id": "n1", "location": loc, "start": "2026-12-05T14:00:00+08:00",
                   "end": "2026-12-05T15:00:00+08:00", "priority": 3,
                   "roles": [{"skill": "teaching", "count": 1},
                             {"skill": "first_aid", "count": 1}]}],
        "pins": [{"need": "n1", "volunteer": "v1"}],
    }
    assert Brute(parse_problem(doc)).best() == (Fraction(0), 4)
