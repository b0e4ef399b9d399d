"""Shared pieces of the baselines: the problem as arrays, SPEC plans from decisions, and the
one linear model (variables, rows, weighted objective) that both monolithic baselines solve.

Nothing here uses `matcher.solver`: the baselines are written from SPEC.md alone, the way a
user who does not have matcher would write them. They only reuse `matcher.model` (the SPEC
documents), `matcher.derived` (SPEC's distance, fits, eligibility) and `matcher.validate`
(`plan_values`, so the reported objective is exactly what the plan gives).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.derived import epoch, fairness_group, fund_eligible, haversine_m, limit_m
from matcher.model import (
    Plan,
    PlanAssignment,
    PlanBooking,
    PlanBound,
    PlanGrant,
    PlanObjective,
    Problem,
    Unmet,
)
from matcher.validate import plan_values

I64 = NDArray[np.int64]
BIG_T = 1 << 60  # "always" / "never" window ends

# Above this many model elements (variables plus constraint non-zeros, estimated before
# anything is built) a monolithic baseline reports "model too large" instead of building.
DEFAULT_MAX_MODEL_SIZE = 3_000_000


# --- the problem as arrays ---------------------------------------------------------------


def _padded_windows(lists: list[Any]) -> tuple[I64, I64]:
    """Availability lists as (owners, K) start/end arrays; None = always, [] = never."""
    k = max([len(w) for w in lists if w is not None] + [1])
    s = np.full((len(lists), k), BIG_T, dtype=np.int64)
    e = np.full((len(lists), k), -BIG_T, dtype=np.int64)
    for i, wl in enumerate(lists):
        if wl is None:
            s[i, 0], e[i, 0] = -BIG_T, BIG_T
            continue
        for j, w in enumerate(wl):
            s[i, j], e[i, j] = epoch(w.start), epoch(w.end)
    return s, e


@dataclass
class Arrays:
    """Numeric view of a problem (document order everywhere)."""

    problem: Problem
    n_start: I64
    n_end: I64
    n_lat: NDArray[np.float64]
    n_lon: NDArray[np.float64]
    weight: I64
    funding: I64
    v_lat: NDArray[np.float64]
    v_lon: NDArray[np.float64]
    v_lim: I64  # travel limit in metres
    v_max_s: NDArray[np.float64]  # inf when no limit
    v_ws: I64
    v_we: I64
    u_lat: NDArray[np.float64]
    u_lon: NDArray[np.float64]
    u_ws: I64
    u_we: I64
    f_amount: I64
    need_index: dict[str, int]
    vol_index: dict[str, int]
    venue_index: dict[str, int]
    fund_index: dict[str, int]
    forbid_v: set[tuple[int, int]] = field(default_factory=set)  # (need, volunteer)
    forbid_u: set[tuple[int, int]] = field(default_factory=set)
    forbid_f: set[tuple[int, int]] = field(default_factory=set)
    skill_vols: dict[str, I64] = field(default_factory=dict)

    @classmethod
    def build(cls, p: Problem) -> Arrays:
        v_ws, v_we = _padded_windows([v.availability for v in p.volunteers])
        u_ws, u_we = _padded_windows([u.availability for u in p.venues])
        a = cls(
            problem=p,
            n_start=np.array([epoch(n.start) for n in p.needs], dtype=np.int64),
            n_end=np.array([epoch(n.end) for n in p.needs], dtype=np.int64),
            n_lat=np.array([n.location.lat for n in p.needs], dtype=np.float64),
            n_lon=np.array([n.location.lon for n in p.needs], dtype=np.float64),
            weight=np.array([p.weight(n) for n in p.needs], dtype=np.int64),
            funding=np.array([n.funding for n in p.needs], dtype=np.int64),
            v_lat=np.array([v.location.lat for v in p.volunteers], dtype=np.float64),
            v_lon=np.array([v.location.lon for v in p.volunteers], dtype=np.float64),
            v_lim=limit_m([v.max_travel_km for v in p.volunteers]).reshape(-1),
            v_max_s=np.array([math.inf if v.max_hours is None else 3600.0 * v.max_hours
                              for v in p.volunteers], dtype=np.float64),
            v_ws=v_ws, v_we=v_we,
            u_lat=np.array([u.location.lat for u in p.venues], dtype=np.float64),
            u_lon=np.array([u.location.lon for u in p.venues], dtype=np.float64),
            u_ws=u_ws, u_we=u_we,
            f_amount=np.array([f.amount for f in p.funds], dtype=np.int64),
            need_index={n.id: i for i, n in enumerate(p.needs)},
            vol_index={v.id: i for i, v in enumerate(p.volunteers)},
            venue_index={u.id: i for i, u in enumerate(p.venues)},
            fund_index={f.id: i for i, f in enumerate(p.funds)},
        )
        for fb in p.forbid:
            n = a.need_index[fb.need]
            if fb.volunteer is not None:
                a.forbid_v.add((n, a.vol_index[fb.volunteer]))
            elif fb.venue is not None:
                a.forbid_u.add((n, a.venue_index[fb.venue]))
            elif fb.fund is not None:
                a.forbid_f.add((n, a.fund_index[fb.fund]))
        by_skill: dict[str, list[int]] = {}
        for i, v in enumerate(p.volunteers):
            for s in set(v.skills):
                by_skill.setdefault(s, []).append(i)
        a.skill_vols = {s: np.array(ix, dtype=np.int64) for s, ix in by_skill.items()}
        return a

    def vol_fits(self, vols: I64, start: int | I64, end: int | I64) -> NDArray[np.bool_]:
        """Rule 3 for volunteers `vols` and need interval(s) [start, end)."""
        s = np.asarray(start, dtype=np.int64).reshape(-1, 1)
        e = np.asarray(end, dtype=np.int64).reshape(-1, 1)
        return np.asarray(((self.v_ws[vols] <= s) & (e <= self.v_we[vols])).any(axis=1))

    def venue_fits(self, venues: I64, start: int | I64, end: int | I64) -> NDArray[np.bool_]:
        s = np.asarray(start, dtype=np.int64).reshape(-1, 1)
        e = np.asarray(end, dtype=np.int64).reshape(-1, 1)
        return np.asarray(((self.u_ws[venues] <= s) & (e <= self.u_we[venues])).any(axis=1))

    def venue_ok(self, i: int, venues: I64) -> tuple[NDArray[np.bool_], I64]:
        """Rules 6, 7, the window part of 8, and forbids, for need i and `venues`."""
        n = self.problem.needs[i]
        req = n.venue
        assert req is not None
        d = haversine_m(self.u_lat[venues], self.u_lon[venues], self.n_lat[i], self.n_lon[i])
        feats = set(req.features)
        ok = np.array([feats <= set(self.problem.venues[int(u)].features)
                       and self.problem.venues[int(u)].capacity >= req.capacity
                       and (i, int(u)) not in self.forbid_u for u in venues], dtype=bool)
        ok &= d <= int(limit_m(req.max_distance_km))
        ok &= self.venue_fits(venues, int(self.n_start[i]), int(self.n_end[i]))
        return ok, d

    def fund_ok(self, f: int, i: int) -> bool:
        """Rule 10 and forbids for fund f and need i."""
        fund, n = self.problem.funds[f], self.problem.needs[i]
        return (i, f) not in self.forbid_f and fund_eligible(
            fund.categories, fund.regions, None if fund.expires is None else epoch(fund.expires),
            n.category, n.region, int(self.n_start[i]))


# --- SPEC plans from decisions ----------------------------------------------------------


def make_plan(
    problem: Problem,
    method: str,
    met: Iterable[int],
    assign: Iterable[tuple[int, int, int]],  # (volunteer, need, role)
    book: Iterable[tuple[int, int]],  # (venue, need)
    grants: Iterable[tuple[int, int, int]],  # (fund, need, amount)
    status: str,
    bound_coverage: float | None = None,
    bound_fairness: float | None = None,
    stats: dict[str, Any] | None = None,
) -> Plan:
    """A SPEC plan; its objective values are recomputed from its contents (`plan_values`).

    `bound_coverage` None means "no proof": the trivial bound (every need met) is reported.
    """
    needs, vols, venues, funds = problem.needs, problem.volunteers, problem.venues, problem.funds
    met_set = set(int(i) for i in met)

    def dist(a: Any, b: Any) -> int:
        return int(haversine_m(a.lat, a.lon, b.lat, b.lon))

    assignments = [
        PlanAssignment(need=needs[n].id, skill=needs[n].roles[r].skill, volunteer=vols[v].id,
                       distance_m=dist(vols[v].location, needs[n].location))
        for v, n, r in assign
    ]
    bookings = [PlanBooking(need=needs[n].id, venue=venues[u].id,
                            distance_m=dist(venues[u].location, needs[n].location))
                for u, n in book]
    plan_grants = [PlanGrant(need=needs[n].id, fund=funds[f].id, amount=int(a))
                   for f, n, a in grants if a > 0]
    reason = f"not met by the {method} baseline"
    if status == "infeasible":
        reason = f"the {method} baseline found that the pins cannot all hold"
    plan = Plan(
        problem=problem.name,
        status=status,  # type: ignore[arg-type]
        met=[needs[i].id for i in sorted(met_set)],
        assignments=assignments,
        bookings=bookings,
        grants=plan_grants,
        unmet=[Unmet(need=n.id, reasons=[reason]) for i, n in enumerate(needs)
               if i not in met_set],
        stats=dict(stats or {}),
    )
    vals = plan_values(problem, plan)
    fair = None if vals.fairness is None else float(vals.fairness)
    total = int(sum(problem.weight(n) for n in needs))
    bound = float(total) if bound_coverage is None else min(float(total), bound_coverage)
    bound = float(max(bound, float(vals.coverage)))
    fb = None
    if fair is not None:
        fb = 1.0 if bound_fairness is None else min(1.0, max(fair, bound_fairness))
    return plan.model_copy(update={
        "objective": PlanObjective(coverage=vals.coverage, fill=vals.fill,
                                   travel_m=vals.travel_m, fairness=fair),
        "bound": PlanBound(coverage=int(bound) if bound.is_integer() else bound, fairness=fb),
    })


def empty_plan(problem: Problem, method: str, why: str, stats: dict[str, Any] | None = None,
               status: str = "feasible", bound_coverage: float | None = None) -> Plan:
    """Every need unmet (valid unless the problem has pins)."""
    st = dict(stats or {})
    st["note"] = why
    return make_plan(problem, method, [], [], [], [], status, bound_coverage, None, st)


# --- the monolithic linear model --------------------------------------------------------


@dataclass
class Pairs:
    """Every volunteer x need x role pair with the skill, every venue x need-with-venue pair,
    every fund x need-with-funding pair; `ok` says whether the pair breaks no per-pair rule."""

    x_v: I64
    x_n: I64
    x_r: I64
    x_d: I64
    x_ok: NDArray[np.bool_]
    y_u: I64
    y_n: I64
    y_d: I64
    y_ok: NDArray[np.bool_]
    g_f: I64
    g_n: I64
    g_ub: I64
    g_ok: NDArray[np.bool_]


def count_pairs(a: Arrays) -> tuple[int, int, int]:
    """Pair counts (volunteer, venue, fund), without building them."""
    p = a.problem
    nx = sum(len(a.skill_vols.get(r.skill, ())) for n in p.needs for r in n.roles)
    ny = len(p.venues) * sum(1 for n in p.needs if n.venue is not None)
    ng = len(p.funds) * sum(1 for n in p.needs if n.funding > 0)
    return nx, ny, ng


def count_overlap_rows(a: Arrays) -> int:
    """Pairwise no-overlap rows the model will have: per volunteer, overlapping needs it has a
    skill for; per venue, overlapping needs that ask for a venue."""
    p = a.problem
    skill_needs: dict[str, set[int]] = {}
    for i, n in enumerate(p.needs):
        for r in n.roles:
            skill_needs.setdefault(r.skill, set()).add(i)

    def overlaps(idx: list[int]) -> int:
        if len(idx) < 2:
            return 0
        ix = np.array(idx, dtype=np.int64)
        order = np.argsort(a.n_start[ix], kind="stable")
        s, e = a.n_start[ix][order], a.n_end[ix][order]
        cnt = np.searchsorted(s, e, "left") - np.arange(len(s)) - 1
        return int(np.maximum(cnt, 0).sum())

    total = 0
    cache: dict[frozenset[str], int] = {}
    for v in p.volunteers:
        key = frozenset(v.skills)
        if key not in cache:
            needs: set[int] = set()
            for s in key:
                needs |= skill_needs.get(s, set())
            cache[key] = overlaps(sorted(needs))
        total += cache[key]
    total += len(p.venues) * overlaps([i for i, n in enumerate(p.needs) if n.venue is not None])
    return total


def model_size(a: Arrays, limit: int) -> tuple[int, str]:
    """Estimated elements (variables + non-zeros) and a description; stops counting early
    once the pairs alone are over `limit`."""
    nx, ny, ng = count_pairs(a)
    pairs = nx + ny + ng
    desc = f"{nx:,} volunteer, {ny:,} venue and {ng:,} fund pairs"
    if 3 * pairs > limit:
        return 3 * pairs, desc
    ov = count_overlap_rows(a)
    return 3 * pairs + 2 * ov, desc + f", {ov:,} pairwise no-overlap rows"


def build_pairs(a: Arrays) -> Pairs:
    p = a.problem
    xv, xn, xr = [], [], []
    for i, n in enumerate(p.needs):
        for r, role in enumerate(n.roles):
            vs = a.skill_vols.get(role.skill)
            if vs is None or len(vs) == 0:
                continue
            xv.append(vs)
            xn.append(np.full(len(vs), i, dtype=np.int64))
            xr.append(np.full(len(vs), r, dtype=np.int64))
    x_v = np.concatenate(xv) if xv else np.zeros(0, dtype=np.int64)
    x_n = np.concatenate(xn) if xn else np.zeros(0, dtype=np.int64)
    x_r = np.concatenate(xr) if xr else np.zeros(0, dtype=np.int64)
    x_d = haversine_m(a.v_lat[x_v], a.v_lon[x_v], a.n_lat[x_n], a.n_lon[x_n]).astype(np.int64)
    x_ok = x_d <= a.v_lim[x_v]
    if len(x_v):
        x_ok &= a.vol_fits(x_v, a.n_start[x_n], a.n_end[x_n])
    if a.forbid_v:
        x_ok &= np.array([(int(n), int(v)) not in a.forbid_v for v, n in zip(x_v, x_n)],
                         dtype=bool)
    # Venues
    yu, yn, yd, yok = [], [], [], []
    all_u = np.arange(len(p.venues), dtype=np.int64)
    for i, n in enumerate(p.needs):
        if n.venue is None or not len(all_u):
            continue
        ok, d = a.venue_ok(i, all_u)
        yu.append(all_u)
        yn.append(np.full(len(all_u), i, dtype=np.int64))
        yd.append(d.astype(np.int64))
        yok.append(ok)
    # Funds
    gf, gn, gub, gok = [], [], [], []
    for i, n in enumerate(p.needs):
        if n.funding <= 0:
            continue
        for f in range(len(p.funds)):
            gf.append(f)
            gn.append(i)
            gub.append(min(int(a.f_amount[f]), int(n.funding)))
            gok.append(a.fund_ok(f, i))

    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Pairs(
        x_v=x_v, x_n=x_n, x_r=x_r, x_d=x_d, x_ok=x_ok,
        y_u=cat(yu, np.int64), y_n=cat(yn, np.int64), y_d=cat(yd, np.int64),
        y_ok=cat(yok, bool),
        g_f=np.array(gf, dtype=np.int64), g_n=np.array(gn, dtype=np.int64),
        g_ub=np.array(gub, dtype=np.int64), g_ok=np.array(gok, dtype=bool),
    )


@dataclass
class LinearModel:
    """maximize obj . z  s.t.  row_lo <= A z <= row_hi,  lb <= z <= ub,  z integer.

    Variable blocks: met (one per need), x (volunteer pairs), y (venue pairs), g (fund pairs,
    integer amounts), w (works[v, i] for a volunteer with 2+ roles in one need), t (fairness).
    `amo` holds the pairwise no-overlap rows a + b <= 1 apart, as an (m, 2) array.
    """

    n_vars: int
    lb: NDArray[np.float64]
    ub: NDArray[np.float64]
    binary: NDArray[np.bool_]
    obj: list[int]  # python ints: exact
    rows_ptr: I64
    rows_ind: I64
    rows_val: I64
    row_lo: NDArray[np.float64]
    row_hi: NDArray[np.float64]
    amo: I64
    met0: int
    x0: int
    y0: int
    g0: int
    t_var: int | None
    weights: Weights
    pairs: Pairs

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)


@dataclass
class Weights:
    """The single weighted objective: W_fair*t + W_cov*coverage + W_fill*fill - travel/unit.

    Chosen so that the order is lexicographic (each weight beats the whole range of the terms
    below it) whenever that fits in `limit`; when it does not, travel is counted in coarser
    units (10 m, 100 m, ... 10 km), then dropped, then fill is dropped; `exact` says whether
    the lexicographic order (with travel in metres) is kept.
    """

    w_fair: int
    w_cov: int
    w_fill: int
    travel_unit: int  # 0: travel not in the objective
    t_max: int  # travel range in units
    fair_scale: int
    cov_max: int
    fill_max: int
    exact: bool
    note: str


def choose_weights(a: Arrays, pairs: Pairs, limit: int) -> Weights:
    p = a.problem
    cov_max = int(a.weight.sum())
    fill_max = int(sum(int(a.weight[i]) * sum(r.count - r.minimum for r in n.roles)
                       for i, n in enumerate(p.needs)))
    # Largest possible travel in metres: per role, count times the farthest usable pair.
    tm = 0
    if len(pairs.x_v):
        ok = pairs.x_ok
        key = pairs.x_n[ok] * 64 + pairs.x_r[ok]
        if len(key):
            uniq, inv = np.unique(key, return_inverse=True)
            mx = np.zeros(len(uniq), dtype=np.int64)
            np.maximum.at(mx, inv, pairs.x_d[ok])
            counts = np.array([p.needs[int(k) // 64].roles[int(k) % 64].count for k in uniq])
            tm += int((mx * counts).sum())
    if len(pairs.y_u) and pairs.y_ok.any():
        ok = pairs.y_ok
        mx = np.zeros(len(p.needs), dtype=np.int64)
        np.maximum.at(mx, pairs.y_n[ok], pairs.y_d[ok])
        tm += int(mx.sum())
    n_terms = sum(r.count for n in p.needs for r in n.roles) + sum(
        1 for n in p.needs if n.venue is not None)
    fair_scale = 0
    if p.objective.fairness is not None:
        totals = [int(a.weight[ix].sum()) for ix in
                  _fair_groups(a, p.objective.fairness.region_depth).values()]
        lcm = 1
        for t in totals:
            lcm = lcm * t // math.gcd(lcm, t)
            if lcm > 1_000_000:
                break
        fair_scale = lcm if lcm <= 1_000_000 else 1_000_000
    notes = []
    for unit in (1, 10, 100, 1000, 10000, 0):
        for with_fill in (True, False):
            # Rounding each coefficient can add up to one unit per possible pair in a plan.
            t_max = 0 if unit == 0 else -(-tm // unit) + (n_terms if unit > 1 else 0)
            w_fill = (t_max + 1) if with_fill else 0
            w_cov = (fill_max * w_fill + t_max + 1)
            w_fair = (cov_max + 1) * w_cov if fair_scale else 0
            top = w_fair * fair_scale + w_cov * cov_max + w_fill * fill_max + t_max
            if top <= limit:
                exact = unit == 1 and with_fill and (fair_scale == 0 or fair_scale < 1_000_000)
                if unit != 1:
                    notes.append(f"travel in units of {unit} m" if unit else "travel dropped")
                if not with_fill:
                    notes.append("fill dropped")
                if fair_scale >= 1_000_000:
                    notes.append("fairness in millionths")
                return Weights(w_fair, w_cov, w_fill, unit, t_max, fair_scale, cov_max,
                               fill_max, exact, "; ".join(notes))
            if unit != 0:
                break  # try a coarser travel unit before dropping fill
    # Coverage (and fairness) alone.
    w_fair = cov_max + 1 if fair_scale else 0
    return Weights(w_fair, 1, 0, 0, 0, fair_scale, cov_max, fill_max, False,
                   "travel and fill dropped")


def _fair_groups(a: Arrays, depth: int) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(a.problem.needs):
        groups.setdefault(fairness_group(n.region, depth), []).append(i)
    return groups


class _Rows:
    def __init__(self) -> None:
        self.ptr = [0]
        self.ind: list[I64] = []
        self.val: list[I64] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.nnz = 0

    def add(self, ind: Any, val: Any, lo: float, hi: float) -> None:
        ind = np.asarray(ind, dtype=np.int64)
        val = np.asarray(val, dtype=np.int64)
        self.ind.append(ind)
        self.val.append(val)
        self.nnz += len(ind)
        self.ptr.append(self.nnz)
        self.lo.append(lo)
        self.hi.append(hi)


def build_model(a: Arrays, limit: int, cliques: bool = False) -> LinearModel:
    """SPEC's rules as one linear model over every pair (no pruning, no decomposition).

    With `cliques` (the reference model, `baselines/reference.py`), the no-overlap rules are
    rows `sum <= 1` over each maximal set of mutually overlapping usable pairs of one
    volunteer or venue, instead of pairwise rows: the same integer points, far fewer rows."""
    p = a.problem
    pairs = build_pairs(a)
    n_n, n_x, n_y, n_g = len(p.needs), len(pairs.x_v), len(pairs.y_u), len(pairs.g_f)
    met0, x0, y0, g0 = 0, n_n, n_n + n_x, n_n + n_x + n_y
    nv = g0 + n_g
    lb = [np.zeros(nv)]
    ub_parts = [np.ones(n_n), pairs.x_ok.astype(float), pairs.y_ok.astype(float),
                np.where(pairs.g_ok, pairs.g_ub, 0).astype(float)]
    binary = [np.ones(g0, dtype=bool), np.zeros(n_g, dtype=bool)]
    rows = _Rows()
    INF = math.inf

    # Rules 5 and 12 (roles): min_count * met <= sum x <= count * met.
    order = np.lexsort((pairs.x_r, pairs.x_n))
    key = pairs.x_n[order] * 64 + pairs.x_r[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    bounds = np.r_[starts, len(key)]
    by_role = {int(key[s]): order[s:e] for s, e in zip(bounds[:-1], bounds[1:])}
    for i, n in enumerate(p.needs):
        for r, role in enumerate(n.roles):
            ks = by_role.get(i * 64 + r, np.zeros(0, dtype=np.int64))
            xs = x0 + ks
            rows.add(np.r_[xs, met0 + i], np.r_[np.ones(len(xs)), -role.minimum], 0, INF)
            rows.add(np.r_[xs, met0 + i], np.r_[np.ones(len(xs)), -role.count], -INF, 0)

    # Rules 4 and 5 (volunteers): works[v, i] = sum over roles (<= 1); pairwise no overlap;
    # hours.
    vn = pairs.x_v * max(n_n, 1) + pairs.x_n
    order = np.argsort(vn, kind="stable")
    svn = vn[order]
    starts = np.flatnonzero(np.r_[True, svn[1:] != svn[:-1]]) if len(svn) else np.zeros(0, int)
    bounds = np.r_[starts, len(svn)]
    works_var = np.zeros(len(starts), dtype=np.int64)
    works_v = np.zeros(len(starts), dtype=np.int64)
    works_n = np.zeros(len(starts), dtype=np.int64)
    works_ok = np.zeros(len(starts), dtype=bool)
    extra = 0
    for j, (s, e) in enumerate(zip(bounds[:-1], bounds[1:])):
        ks = order[s:e]
        works_v[j], works_n[j] = int(pairs.x_v[ks[0]]), int(pairs.x_n[ks[0]])
        works_ok[j] = bool(pairs.x_ok[ks].any())
        if len(ks) == 1:
            works_var[j] = x0 + int(ks[0])
        else:
            w = nv + extra
            extra += 1
            works_var[j] = w
            rows.add(np.r_[x0 + ks, w], np.r_[np.ones(len(ks)), -1], 0, 0)
    nv += extra
    lb.append(np.zeros(extra))
    ub_parts.append(np.ones(extra))
    binary.append(np.ones(extra, dtype=bool))
    amo: list[I64] = []
    vorder = np.lexsort((a.n_start[works_n], works_v))
    wv = works_v[vorder]
    vstarts = np.flatnonzero(np.r_[True, wv[1:] != wv[:-1]]) if len(wv) else np.zeros(0, int)
    vbounds = np.r_[vstarts, len(wv)]
    dur = a.n_end - a.n_start
    for s, e in zip(vbounds[:-1], vbounds[1:]):
        idx = vorder[s:e]
        v = int(works_v[idx[0]])
        ns = works_n[idx]
        if cliques:
            ok = works_ok[idx]
            _add_cliques(rows, a.n_start[ns][ok], a.n_end[ns][ok], works_var[idx][ok])
        else:
            amo.append(_overlap_pairs(a.n_start[ns], a.n_end[ns], works_var[idx]))
        cap = a.v_max_s[v]
        if math.isfinite(cap) and int(dur[ns].sum()) > cap:
            rows.add(works_var[idx], dur[ns], -INF, math.floor(cap))

    # Rules 8 and 9 (venues): one booking per met need that asks for one; no double booking.
    for i, n in enumerate(p.needs):
        if n.venue is not None:
            ks = np.flatnonzero(pairs.y_n == i) if n_y else np.zeros(0, dtype=np.int64)
            rows.add(np.r_[y0 + ks, met0 + i], np.r_[np.ones(len(ks)), -1], 0, 0)
    for u in range(len(p.venues)):
        ks = np.flatnonzero(pairs.y_u == u) if n_y else np.zeros(0, dtype=np.int64)
        if len(ks) > 1:
            ns = pairs.y_n[ks]
            o = np.argsort(a.n_start[ns], kind="stable")
            if cliques:
                ok = pairs.y_ok[ks][o]
                _add_cliques(rows, a.n_start[ns][o][ok], a.n_end[ns][o][ok], (y0 + ks[o])[ok])
            else:
                amo.append(_overlap_pairs(a.n_start[ns][o], a.n_end[ns][o], y0 + ks[o]))

    # Rules 11 and 12 (funds): grants sum to the funding of a met need; funds within amount.
    for i, n in enumerate(p.needs):
        if n.funding > 0:
            ks = np.flatnonzero(pairs.g_n == i)
            rows.add(np.r_[g0 + ks, met0 + i], np.r_[np.ones(len(ks)), -n.funding], 0, 0)
    for f in range(len(p.funds)):
        ks = np.flatnonzero(pairs.g_f == f)
        if len(ks) and int(pairs.g_ub[ks].sum()) > int(a.f_amount[f]):
            rows.add(g0 + ks, np.ones(len(ks)), -INF, float(a.f_amount[f]))

    lb_arr = np.concatenate(lb + [np.zeros(0)])
    ub_arr = np.concatenate(ub_parts)
    # Rule 14 (pins): bounds or rows. Forbids are already in `ok` (x = 0).
    for pin in p.pins:
        i = a.need_index[pin.need]
        if pin.volunteer is not None:
            v = a.vol_index[pin.volunteer]
            ks = np.flatnonzero((pairs.x_n == i) & (pairs.x_v == v))
            rows.add(x0 + ks, np.ones(len(ks)), 1, 1)
        elif pin.venue is not None:
            u = a.venue_index[pin.venue]
            ks = np.flatnonzero((pairs.y_n == i) & (pairs.y_u == u))
            rows.add(y0 + ks, np.ones(len(ks)), 1, 1)
        elif pin.fund is not None and pin.amount is not None:
            f = a.fund_index[pin.fund]
            ks = np.flatnonzero((pairs.g_n == i) & (pairs.g_f == f))
            rows.add(g0 + ks, np.ones(len(ks)), pin.amount, pin.amount)

    # Objective.
    wts = choose_weights(a, pairs, limit)
    obj = [0] * nv
    for i in range(n_n):
        base = int(a.weight[i]) * sum(r.minimum for r in p.needs[i].roles)
        obj[met0 + i] = wts.w_cov * int(a.weight[i]) - wts.w_fill * base
    for k in range(n_x):
        c = wts.w_fill * int(a.weight[int(pairs.x_n[k])])
        if wts.travel_unit:
            c -= int(round(int(pairs.x_d[k]) / wts.travel_unit))
        obj[x0 + k] = c
    if wts.travel_unit:
        for k in range(n_y):
            obj[y0 + k] = -int(round(int(pairs.y_d[k]) / wts.travel_unit))
    t_var = None
    if wts.fair_scale and p.objective.fairness is not None:
        # Stage 1 (fairness): t * total_g <= S * met weight of group g, for every group.
        t_var = nv
        nv += 1
        lb_arr = np.r_[lb_arr, 0.0]
        ub_arr = np.r_[ub_arr, float(wts.fair_scale)]
        binary.append(np.zeros(1, dtype=bool))
        obj.append(wts.w_fair)
        for ix in _fair_groups(a, p.objective.fairness.region_depth).values():
            ixa = np.array(ix, dtype=np.int64)
            total = int(a.weight[ixa].sum())
            rows.add(np.r_[t_var, met0 + ixa], np.r_[total, -wts.fair_scale * a.weight[ixa]],
                     -INF, 0)
    amo_arr = np.concatenate(amo) if amo else np.zeros((0, 2), dtype=np.int64)
    return LinearModel(
        n_vars=nv, lb=lb_arr, ub=ub_arr, binary=np.concatenate(binary), obj=obj,
        rows_ptr=np.array(rows.ptr, dtype=np.int64),
        rows_ind=np.concatenate(rows.ind) if rows.ind else np.zeros(0, dtype=np.int64),
        rows_val=np.concatenate(rows.val) if rows.val else np.zeros(0, dtype=np.int64),
        row_lo=np.array(rows.lo, dtype=float), row_hi=np.array(rows.hi, dtype=float),
        amo=amo_arr.reshape(-1, 2), met0=met0, x0=x0, y0=y0, g0=g0, t_var=t_var,
        weights=wts, pairs=pairs,
    )


def _add_cliques(rows: _Rows, s: I64, e: I64, var: I64) -> None:
    """Rows sum(var) <= 1 over the maximal sets of mutually overlapping half-open intervals
    (interval graphs: each maximal clique is the set open just before some end, right after a
    start). `s` sorted ascending."""
    if len(s) < 2:
        return
    events = sorted([(int(t), 1, k) for k, t in enumerate(s)]
                    + [(int(t), 0, k) for k, t in enumerate(e)])  # ends first at a tie
    active: set[int] = set()
    grew = False
    for _t, kind, k in events:
        if kind == 1:
            active.add(k)
            grew = True
        else:
            if grew and len(active) > 1:
                ix = np.array(sorted(active), dtype=np.int64)
                rows.add(var[ix], np.ones(len(ix)), -math.inf, 1)
            grew = False
            active.discard(k)


def _overlap_pairs(s: I64, e: I64, var: I64) -> I64:
    """(m, 2) variable pairs of overlapping intervals; s must be sorted ascending."""
    if len(s) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    hi = np.searchsorted(s, e, "left")  # j < hi[i] with j > i overlaps i (s_j < e_i)
    cnt = np.maximum(hi - np.arange(len(s)) - 1, 0)
    if cnt.sum() == 0:
        return np.zeros((0, 2), dtype=np.int64)
    first = np.repeat(np.arange(len(s)), cnt)
    offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    second = first + 1 + offs
    return np.stack([var[first], var[second]], axis=1)


def decode(a: Arrays, lm: LinearModel, values: NDArray[np.float64]) -> tuple[
        list[int], list[tuple[int, int, int]], list[tuple[int, int]], list[tuple[int, int, int]]]:
    """Met needs, assignments, bookings and grants from a solution vector."""
    pr = lm.pairs
    n_n = len(a.problem.needs)
    met = [i for i in range(n_n) if values[lm.met0 + i] > 0.5]
    xs = np.flatnonzero(values[lm.x0:lm.x0 + len(pr.x_v)] > 0.5)
    ys = np.flatnonzero(values[lm.y0:lm.y0 + len(pr.y_u)] > 0.5)
    gv = np.rint(values[lm.g0:lm.g0 + len(pr.g_f)]).astype(np.int64)
    assign = [(int(pr.x_v[k]), int(pr.x_n[k]), int(pr.x_r[k])) for k in xs]
    book = [(int(pr.y_u[k]), int(pr.y_n[k])) for k in ys]
    grants = [(int(pr.g_f[k]), int(pr.g_n[k]), int(gv[k])) for k in np.flatnonzero(gv > 0)]
    return met, assign, book, grants


def coverage_bound(lm: LinearModel, obj_bound: float) -> tuple[float, float | None]:
    """Upper bounds on coverage and fairness implied by a bound on the weighted objective."""
    w = lm.weights
    cov = float(w.cov_max)
    if w.w_cov > 0:
        slack = w.t_max if w.travel_unit else 0
        cov = min(cov, math.floor((obj_bound + slack + 1e-6) / w.w_cov))
    fair = None
    if lm.t_var is not None and w.w_fair > 0:
        slack = w.t_max if w.travel_unit else 0
        t = math.floor((obj_bound + slack + 1e-6) / w.w_fair)
        exact = w.fair_scale < 1_000_000
        fair = min(1.0, (t if exact else t + 1) / w.fair_scale)
    return cov, fair


class Clock:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0


def too_large(problem: Problem, a: Arrays, max_model_size: int, label: str,
              method: str) -> Plan | None:
    """The empty plan a monolithic baseline returns instead of building a model over
    `max_model_size` elements, or None when the model fits."""
    size, desc = model_size(a, max_model_size)
    if size <= max_model_size:
        return None
    why = f"model too large: {desc} (~{size:,} elements > {max_model_size:,})"
    return empty_plan(problem, label, why, {"too_large": why, "found": False, "method": method})
