"""Candidate generation: which (volunteer, need, role), (venue, need) and (fund, need) pairs
could ever appear in a valid plan.

Rules applied here, pair by pair: 1 (skill), 2 (travel), 3 (volunteer availability), the
duration part of 4 (a need longer than a volunteer's hours), 6 (features, capacity), 7 (venue
distance), the fit part of 8 (opening windows), 10 (fund earmarks and expiry) and `forbid`.
Everything is vectorised: a KD-tree on unit vectors finds the pairs within reach, numpy does
the rest. Counts after each filter are kept, so an unmet need can be explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from matcher.derived import (
    EARTH_RADIUS_KM,
    epoch,
    fund_eligible,
    haversine_m,
    limit_m,
    unit_vectors,
)
from matcher.model import Interval, Problem

I64 = NDArray[np.int64]
MAX_HOURS_CLAMP = 1e9  # hours; more than any plan can use, and still exact in int64 seconds


def _chord(metres: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Chord length on the unit sphere for a great-circle distance, padded for rounding."""
    angle = (np.asarray(metres, dtype=np.float64) + 2.0) / (1000.0 * EARTH_RADIUS_KM)
    return np.asarray(2.0 * np.sin(np.minimum(angle, np.pi) / 2.0) + 1e-12)


@dataclass
class Windows:
    """Availability lists of many owners as flat arrays, for vectorised `fits` over pairs.

    Window starts are replaced by their rank among all distinct starts before they are packed
    with the owner into one sortable key, so the key stays small however far apart the times
    are (SPEC accepts any year from 1 to 9999).
    """

    always: NDArray[np.bool_]  # owner has no availability list: always free
    starts: I64  # the distinct window starts, sorted
    key: I64  # sorted composite key owner * len(starts) + rank of the window's start
    run_max_end: I64  # running max of window ends within each owner, in key order
    owner: I64

    @classmethod
    def build(cls, lists: list[list[Interval] | None]) -> Windows:
        always = np.array([w is None for w in lists], dtype=bool)
        owners: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for i, wl in enumerate(lists):
            for w in wl or ():
                owners.append(i)
                starts.append(epoch(w.start))
                ends.append(epoch(w.end))
        owner = np.asarray(owners, dtype=np.int64)
        start = np.asarray(starts, dtype=np.int64)
        end = np.asarray(ends, dtype=np.int64)
        distinct = np.unique(start)
        key = owner * max(len(distinct), 1) + np.searchsorted(distinct, start)
        order = np.argsort(key, kind="stable")
        key, owner, end = key[order], owner[order], end[order]
        run_max = end.copy()
        if len(run_max):
            # Running max of `end` restarting at each owner, on the ends' ranks: shifting each
            # owner's ranks past the previous owner's keeps a global running max from leaking
            # across owners.
            first = np.r_[True, owner[1:] != owner[:-1]]
            grp = np.cumsum(first) - 1
            end_values, end_rank = np.unique(end, return_inverse=True)
            offset = grp.astype(np.int64) * len(end_values)
            run_max = end_values[np.maximum.accumulate(end_rank + offset) - offset]
        return cls(always=always, starts=distinct, key=key, run_max_end=run_max, owner=owner)

    def fits(self, owner: I64, start: I64, end: I64) -> NDArray[np.bool_]:
        """For each (owner, [start, end)): does one window of the owner contain it?"""
        ok = self.always[owner].copy()
        if len(self.key) == 0:
            return ok
        # Rank of the latest window start <= start (-1: none), packed like the keys.
        rank = np.searchsorted(self.starts, start, side="right") - 1
        q = owner * len(self.starts) + rank
        idx = np.searchsorted(self.key, q, side="right") - 1
        valid = idx >= 0
        idx_c = np.where(valid, idx, 0)
        hit = valid & (self.owner[idx_c] == owner) & (self.run_max_end[idx_c] >= end)
        return ok | hit


@dataclass
class Compiled:
    """The numeric view of a problem that the solver and its explanations work on."""

    problem: Problem
    need_start: I64
    need_end: I64
    need_dur: I64
    weight: I64
    vol_index: dict[str, int]
    venue_index: dict[str, int]
    fund_index: dict[str, int]
    need_index: dict[str, int]
    vol_max_s: I64  # -1 when no limit
    fund_amount: I64

    @classmethod
    def build(cls, problem: Problem) -> Compiled:
        starts = np.array([epoch(n.start) for n in problem.needs], dtype=np.int64)
        ends = np.array([epoch(n.end) for n in problem.needs], dtype=np.int64)
        return cls(
            problem=problem,
            need_start=starts,
            need_end=ends,
            need_dur=ends - starts,
            weight=np.array([problem.weight(n) for n in problem.needs], dtype=np.int64),
            vol_index={v.id: i for i, v in enumerate(problem.volunteers)},
            venue_index={u.id: i for i, u in enumerate(problem.venues)},
            fund_index={f.id: i for i, f in enumerate(problem.funds)},
            need_index={n.id: i for i, n in enumerate(problem.needs)},
            vol_max_s=np.array(
                [-1 if v.max_hours is None
                 else int(np.floor(3600.0 * min(v.max_hours, MAX_HOURS_CLAMP)))
                 for v in problem.volunteers],
                dtype=np.int64,
            ),
            fund_amount=np.array([f.amount for f in problem.funds], dtype=np.int64),
        )


@dataclass
class RoleDiag:
    """How many volunteers survive each filter for one role of one need."""

    skill: int = 0
    reach: int = 0
    free: int = 0
    final: int = 0


@dataclass
class VenueDiag:
    fit: int = 0
    near: int = 0
    open: int = 0
    final: int = 0


@dataclass
class Candidates:
    """Feasible pairs, as parallel arrays sorted by need.

    - volunteer pairs: `v_vol`, `v_need`, `v_role` (index in the need's roles), `v_dist` (m);
    - venue pairs: `u_venue`, `u_need`, `u_dist`;
    - fund pairs: `f_fund`, `f_need`, `f_cap` (the most this fund could give this need).
    """

    compiled: Compiled
    v_vol: I64
    v_need: I64
    v_role: I64
    v_dist: I64
    u_venue: I64
    u_need: I64
    u_dist: I64
    f_fund: I64
    f_need: I64
    f_cap: I64
    role_diag: dict[tuple[int, int], RoleDiag] = field(default_factory=dict)
    venue_diag: dict[int, VenueDiag] = field(default_factory=dict)
    fund_total: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fund_count: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_pairs(self) -> int:
        return len(self.v_vol) + len(self.u_venue) + len(self.f_fund)

    def possible(self) -> NDArray[np.bool_]:
        """Needs that every requirement could be served for, each taken on its own."""
        p = self.compiled.problem
        ok = np.ones(len(p.needs), dtype=bool)
        for i, need in enumerate(p.needs):
            for j, role in enumerate(need.roles):
                if self.role_diag[(i, j)].final < role.minimum:
                    ok[i] = False
            if need.venue is not None and self.venue_diag[i].final < 1:
                ok[i] = False
            if need.funding > 0 and self.fund_total[i] < need.funding:
                ok[i] = False
        return ok


def _pairs_within(
    tree_pts: NDArray[np.float64], query_pts: NDArray[np.float64], radius: NDArray[np.float64]
) -> tuple[I64, I64]:
    """All (query, tree) index pairs with chord distance <= the query point's radius."""
    if len(tree_pts) == 0 or len(query_pts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    tree = cKDTree(tree_pts)
    hits = tree.query_ball_point(query_pts, radius, return_sorted=True)
    lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    q = np.repeat(np.arange(len(query_pts), dtype=np.int64), lens)
    t = (
        np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h])
        if lens.sum()
        else np.zeros(0, dtype=np.int64)
    )
    return q, t


def _forbidden_mask(
    a: I64, b: I64, forbidden: set[tuple[int, int]], nb: int
) -> NDArray[np.bool_]:
    if not forbidden or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    keys = np.array([x * nb + y for x, y in forbidden], dtype=np.int64)
    return np.isin(a * nb + b, keys)


def generate(problem: Problem, compiled: Compiled | None = None) -> Candidates:
    """All pairs that rules 1-3, 6-8, 10 and `forbid` allow (and rule 4's hours, per pair)."""
    c = compiled or Compiled.build(problem)
    n_needs = len(problem.needs)
    need_lat = np.array([n.location.lat for n in problem.needs], dtype=np.float64)
    need_lon = np.array([n.location.lon for n in problem.needs], dtype=np.float64)
    need_xyz = unit_vectors(need_lat, need_lon).reshape(-1, 3)

    forbid_v = {
        (c.vol_index[f.volunteer], c.need_index[f.need]) for f in problem.forbid if f.volunteer
    }
    forbid_u = {
        (c.venue_index[f.venue], c.need_index[f.need]) for f in problem.forbid if f.venue
    }
    forbid_f = {(c.fund_index[f.fund], c.need_index[f.need]) for f in problem.forbid if f.fund}

    # --- volunteers: per skill, KD-tree over the needs' role points ---------------------------
    vols = problem.volunteers
    vol_lat = np.array([v.location.lat for v in vols], dtype=np.float64)
    vol_lon = np.array([v.location.lon for v in vols], dtype=np.float64)
    vol_xyz = unit_vectors(vol_lat, vol_lon).reshape(-1, 3)
    vol_limit = limit_m([v.max_travel_km for v in vols]).reshape(-1)
    vol_windows = Windows.build([v.availability for v in vols])

    by_skill_vol: dict[str, list[int]] = {}
    for i, v in enumerate(vols):
        for s in set(v.skills):
            by_skill_vol.setdefault(s, []).append(i)
    by_skill_role: dict[str, list[tuple[int, int]]] = {}
    role_diag: dict[tuple[int, int], RoleDiag] = {}
    for i, need in enumerate(problem.needs):
        for j, role in enumerate(need.roles):
            by_skill_role.setdefault(role.skill, []).append((i, j))
            role_diag[(i, j)] = RoleDiag()

    parts: list[tuple[I64, I64, I64, I64]] = []
    for skill in sorted(by_skill_role):
        roles = np.array(by_skill_role[skill], dtype=np.int64).reshape(-1, 2)
        vidx = np.array(by_skill_vol.get(skill, []), dtype=np.int64)
        for i, j in by_skill_role[skill]:
            role_diag[(i, j)].skill = len(vidx)
        if len(vidx) == 0:
            continue
        rn, rr = roles[:, 0], roles[:, 1]
        q, t = _pairs_within(need_xyz[rn], vol_xyz[vidx], _chord(vol_limit[vidx].astype(float)))
        p_vol = vidx[q]
        p_need = rn[t]
        p_role = rr[t]
        d = haversine_m(vol_lat[p_vol], vol_lon[p_vol], need_lat[p_need], need_lon[p_need])
        keep = d <= vol_limit[p_vol]
        p_vol, p_need, p_role, d = p_vol[keep], p_need[keep], p_role[keep], d[keep]
        _count(role_diag, p_need, p_role, "reach")
        free = vol_windows.fits(p_vol, c.need_start[p_need], c.need_end[p_need])
        hours = (c.vol_max_s[p_vol] < 0) | (c.need_dur[p_need] <= c.vol_max_s[p_vol])
        keep = free & hours
        p_vol, p_need, p_role, d = p_vol[keep], p_need[keep], p_role[keep], d[keep]
        _count(role_diag, p_need, p_role, "free")
        keep = ~_forbidden_mask(p_vol, p_need, forbid_v, n_needs)
        p_vol, p_need, p_role, d = p_vol[keep], p_need[keep], p_role[keep], d[keep]
        _count(role_diag, p_need, p_role, "final")
        parts.append((p_vol, p_need, p_role, d))
    v_vol, v_need, v_role, v_dist = _concat4(parts)
    order = np.lexsort((v_vol, v_dist, v_role, v_need))
    v_vol, v_need, v_role, v_dist = v_vol[order], v_need[order], v_role[order], v_dist[order]

    # --- venues ----------------------------------------------------------------------------
    venues = problem.venues
    asks = np.array([i for i, n in enumerate(problem.needs) if n.venue is not None], dtype=np.int64)
    venue_diag = {int(i): VenueDiag() for i in asks}
    u_parts: list[tuple[I64, I64, I64]] = []
    if len(venues) and len(asks):
        ven_lat = np.array([u.location.lat for u in venues], dtype=np.float64)
        ven_lon = np.array([u.location.lon for u in venues], dtype=np.float64)
        ven_xyz = unit_vectors(ven_lat, ven_lon).reshape(-1, 3)
        ven_cap = np.array([u.capacity for u in venues], dtype=np.int64)
        ven_windows = Windows.build([u.availability for u in venues])
        vocab = sorted({f for u in venues for f in u.features}
                       | {f for n in problem.needs if n.venue for f in n.venue.features})
        fpos = {f: k for k, f in enumerate(vocab)}
        have = np.zeros((len(venues), len(vocab)), dtype=bool)
        for k, u in enumerate(venues):
            have[k, [fpos[f] for f in u.features]] = True
        req = np.zeros((len(asks), len(vocab)), dtype=bool)
        req_cap = np.zeros(len(asks), dtype=np.int64)
        req_lim = np.zeros(len(asks), dtype=np.int64)
        for k, i in enumerate(asks):
            vr = problem.needs[int(i)].venue
            assert vr is not None
            req[k, [fpos[f] for f in vr.features]] = True
            req_cap[k] = vr.capacity
            req_lim[k] = int(limit_m(vr.max_distance_km))
        # Fit (features, capacity) first: counted over all venues, cheap per p_need.
        lacking = (~have).astype(np.int32)
        fit_all = (req.astype(np.int32) @ lacking.T == 0) & (ven_cap[None, :] >= req_cap[:, None])
        for k, i in enumerate(asks):
            venue_diag[int(i)].fit = int(fit_all[k].sum())
        q, t = _pairs_within(ven_xyz, need_xyz[asks], _chord(req_lim.astype(float)))
        k_need, venue = q, t
        p_need = asks[k_need]
        d = haversine_m(ven_lat[venue], ven_lon[venue], need_lat[p_need], need_lon[p_need])
        keep = (d <= req_lim[k_need]) & fit_all[k_need, venue]
        k_need, p_need, venue, d = k_need[keep], p_need[keep], venue[keep], d[keep]
        _count_venue(venue_diag, p_need, "near")
        keep = ven_windows.fits(venue, c.need_start[p_need], c.need_end[p_need])
        p_need, venue, d = p_need[keep], venue[keep], d[keep]
        _count_venue(venue_diag, p_need, "open")
        keep = ~_forbidden_mask(venue, p_need, forbid_u, n_needs)
        p_need, venue, d = p_need[keep], venue[keep], d[keep]
        _count_venue(venue_diag, p_need, "final")
        u_parts.append((venue, p_need, d))
    if u_parts:
        u_venue, u_need, u_dist = u_parts[0]
        order = np.lexsort((u_venue, u_dist, u_need))
        u_venue, u_need, u_dist = u_venue[order], u_need[order], u_dist[order]
    else:
        u_venue = u_need = u_dist = np.zeros(0, dtype=np.int64)

    # --- funds: rule 10 per distinct (category, region), expiry vectorised ------------------
    funded = np.array([i for i, n in enumerate(problem.needs) if n.funding > 0], dtype=np.int64)
    f_parts_f: list[I64] = []
    f_parts_n: list[I64] = []
    if len(funded) and problem.funds:
        combos: dict[tuple[str, str], int] = {}
        combo_of = np.array(
            [combos.setdefault((problem.needs[int(i)].category, problem.needs[int(i)].region),
                               len(combos)) for i in funded], dtype=np.int64)
        combo_list = list(combos)
        starts = c.need_start[funded]
        for fi, f in enumerate(problem.funds):
            ok_combo = np.array(
                [fund_eligible(f.categories, f.regions, None, cat, reg, 0)
                 for cat, reg in combo_list], dtype=bool)
            ok = ok_combo[combo_of]
            if f.expires is not None:
                ok &= starts <= epoch(f.expires)
            sel = funded[ok]
            f_parts_f.append(np.full(len(sel), fi, dtype=np.int64))
            f_parts_n.append(sel)
    if f_parts_f:
        f_fund = np.concatenate(f_parts_f)
        f_need = np.concatenate(f_parts_n)
    else:
        f_fund = f_need = np.zeros(0, dtype=np.int64)
    keep = ~_forbidden_mask(f_fund, f_need, forbid_f, n_needs)
    f_fund, f_need = f_fund[keep], f_need[keep]
    funding = np.array([n.funding for n in problem.needs], dtype=np.int64)
    f_cap = np.minimum(c.fund_amount[f_fund], funding[f_need]) if len(f_fund) else f_fund
    order = np.lexsort((f_fund, f_need))
    f_fund, f_need, f_cap = f_fund[order], f_need[order], f_cap[order]
    fund_total = np.bincount(f_need, weights=f_cap, minlength=n_needs).astype(np.int64)
    fund_count = np.bincount(f_need, minlength=n_needs).astype(np.int64)

    return Candidates(
        compiled=c,
        v_vol=v_vol, v_need=v_need, v_role=v_role, v_dist=v_dist,
        u_venue=u_venue, u_need=u_need, u_dist=u_dist,
        f_fund=f_fund, f_need=f_need, f_cap=f_cap,
        role_diag=role_diag, venue_diag=venue_diag,
        fund_total=fund_total, fund_count=fund_count,
    )


def _count(diag: dict[tuple[int, int], RoleDiag], need: I64, role: I64, attr: str) -> None:
    if len(need) == 0:
        return
    width = int(role.max()) + 1
    counts = np.bincount(need * width + role)
    for key in np.flatnonzero(counts).tolist():
        setattr(diag[(key // width, key % width)], attr, int(counts[key]))


def _count_venue(diag: dict[int, VenueDiag], need: I64, attr: str) -> None:
    if len(need) == 0:
        return
    ids, counts = np.unique(need, return_counts=True)
    for i, k in zip(ids.tolist(), counts.tolist(), strict=True):
        setattr(diag[i], attr, k)


def _concat4(parts: list[tuple[I64, I64, I64, I64]]) -> tuple[I64, I64, I64, I64]:
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))  # type: ignore[return-value]
