"""Neighbourhood search around unmet needs: for any subproblem the exact stages cannot finish.

Each step frees a small set of resources around one need (the seed): the seed's candidate
volunteers and venues, every need they serve now, and other unmet needs they could serve.
Everything else stays as it is; the freed part is a small exact CP-SAT model (coverage, fill
and travel weighted lexicographically, `lns._weighted`) whose resources are what the rest of
the plan leaves free: a volunteer busy outside at an overlapping time is not offered, hours
and fund amounts used outside are taken off. With fairness, every group keeps at least the
share the smallest group has now (floors), so the fairness value never drops.

A step is kept only when the whole solution gets lexicographically better
(`SubProblem.rank`), so the search never loses value, whatever a step returns.
The seeds come from a `random.Random(seed)`: the same seed gives the same steps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.solver.cpsat import MatchModel, Solution, StageSettings, SubProblem, solve_stage

I64 = NDArray[np.int64]
HOOD_PAIRS = 600  # pairs per step's model: solved in a fraction of a second
STEP_SECONDS = 1.0


class _Index:
    """Pairs by need, volunteer and venue (built once per search)."""

    def __init__(self, sp: SubProblem):
        n = len(sp.needs)
        self.v_of_need: list[list[int]] = [[] for _ in range(n)]
        for k, i in enumerate(sp.v_need.tolist()):
            self.v_of_need[i].append(k)
        self.u_of_need: list[list[int]] = [[] for _ in range(n)]
        for k, i in enumerate(sp.u_need.tolist()):
            self.u_of_need[i].append(k)
        self.needs_of_vol: dict[int, list[int]] = {}
        for v, i in zip(sp.v_vol.tolist(), sp.v_need.tolist()):
            self.needs_of_vol.setdefault(v, []).append(i)
        self.needs_of_venue: dict[int, list[int]] = {}
        for u, i in zip(sp.u_venue.tolist(), sp.u_need.tolist()):
            self.needs_of_venue.setdefault(u, []).append(i)
        self.count = np.array([sum(c) for c in sp.role_count] or [0], dtype=np.int64)
        self.pairs = np.ones(n, dtype=np.int64)
        for arr in (sp.v_need, sp.u_need, sp.f_need):
            self.pairs += np.bincount(arr, minlength=n)


def hood_problem(
    sp: SubProblem, local: I64, cur: Solution
) -> tuple[SubProblem, I64, I64, I64]:
    """The subproblem over needs `local` with the rest of `cur` fixed: pairs whose volunteer
    or venue is busy outside `local` at an overlapping time are left out, and the hours and
    fund amounts used outside are taken off."""
    mask = np.zeros(len(sp.needs), dtype=bool)
    mask[local] = True
    busy_v: dict[int, list[tuple[int, int]]] = {}
    out_v = cur.v & ~mask[sp.v_need]
    for v, i in zip(sp.v_vol[out_v].tolist(), sp.v_need[out_v].tolist()):
        busy_v.setdefault(v, []).append((int(sp.start[i]), int(sp.end[i])))
    busy_u: dict[int, list[tuple[int, int]]] = {}
    out_u = cur.u & ~mask[sp.u_need]
    for u, i in zip(sp.u_venue[out_u].tolist(), sp.u_need[out_u].tolist()):
        busy_u.setdefault(u, []).append((int(sp.start[i]), int(sp.end[i])))

    def free(busy: list[tuple[int, int]] | None, i: int) -> bool:
        s, e = int(sp.start[i]), int(sp.end[i])
        return not busy or all(not (s < be and bs < e) for bs, be in busy)

    vk = np.array([k for k in np.flatnonzero(mask[sp.v_need]).tolist()
                   if free(busy_v.get(int(sp.v_vol[k])), int(sp.v_need[k]))], dtype=np.int64)
    uk = np.array([k for k in np.flatnonzero(mask[sp.u_need]).tolist()
                   if free(busy_u.get(int(sp.u_venue[k])), int(sp.u_need[k]))], dtype=np.int64)
    fk = np.flatnonzero(mask[sp.f_need])
    dur = sp.end - sp.start
    used_s: dict[int, int] = {}
    for v, i in zip(sp.v_vol[out_v].tolist(), sp.v_need[out_v].tolist()):
        used_s[v] = used_s.get(v, 0) + int(dur[i])
    vols = set(sp.v_vol[vk].tolist())
    vol_max = {v: sp.vol_max_s[v] - used_s.get(v, 0) for v in sorted(vols) if v in sp.vol_max_s}
    out_f = ~mask[sp.f_need]
    spent: dict[int, int] = {}
    for f, a in zip(sp.f_fund[out_f].tolist(), cur.g[out_f].tolist()):
        spent[f] = spent.get(f, 0) + int(a)
    funds = set(sp.f_fund[fk].tolist())
    fund_amount = {f: sp.fund_amount[f] - spent.get(f, 0) for f in sorted(funds)}
    sub = sp.restricted(local, vk, uk, fk, vol_max, fund_amount)
    return sub, vk, uk, fk


def _later_seed(sp: SubProblem, idx: _Index, cur: Solution, rng: random.Random) -> int:
    """A seed for the stages after coverage (coverage at its proven bound, so no unmet need
    can be added): a met need with a role below its count, by weight times the places left
    (fill, the next stage), or one by its travel (volunteers and venue); now and then any
    need."""
    met = np.flatnonzero(cur.met)
    r = rng.random()
    if len(met) and r < 0.45:
        staffed = np.bincount(sp.v_need[cur.v], minlength=len(sp.needs))
        room = (idx.count - staffed)[met] * sp.weight[met]
        if room.sum() > 0:
            return int(rng.choices(met.tolist(), weights=room.tolist())[0])
    if len(met) and r < 0.9:
        travel = (np.bincount(sp.v_need[cur.v], weights=sp.v_dist[cur.v],
                              minlength=len(sp.needs))
                  + np.bincount(sp.u_need[cur.u], weights=sp.u_dist[cur.u],
                                minlength=len(sp.needs)))
        weights = (travel[met] + 1.0).tolist()
        return int(rng.choices(met.tolist(), weights=weights)[0])
    return rng.randrange(len(sp.needs))


def _pick(sp: SubProblem, idx: _Index, cur: Solution, rng: random.Random,
          max_pairs: int, cov_done: bool = False, fair_done: bool = False) -> I64:
    """One neighbourhood: a seed need (unmet, by weight; else any), the resources that could
    serve it, what they serve now, and other unmet needs they could serve. `cov_done`: the
    coverage is at its proven bound, so no unmet need can be added: the seed is a met need
    (`_later_seed`) and the nearest of its volunteers come first (half the seeds still
    raise the smallest share unless `fair_done`: fairness at its bound)."""
    n = len(sp.needs)
    unmet = [i for i in np.flatnonzero(~cur.met).tolist() if idx.v_of_need[i]
             or idx.u_of_need[i] or sp.funding[i] > 0]
    if unmet and sp.group is not None and not fair_done and rng.random() < 0.5:
        # Raise the smallest share: a seed from the groups at the fairness value.
        assert sp.group_total is not None
        got = dict.fromkeys(sp.group_total, 0)
        for g, w, on in zip(sp.group.tolist(), sp.weight.tolist(), cur.met.tolist()):
            if on:
                got[g] += w
        low = min(Fraction(got[g], t) for g, t in sp.group_total.items())
        lowest = {g for g, t in sp.group_total.items() if Fraction(got[g], t) == low}
        pool = [i for i in unmet if int(sp.group[i]) in lowest] or unmet
        seed = rng.choice(pool)
    elif cov_done:
        seed = _later_seed(sp, idx, cur, rng)
    elif unmet and rng.random() < 0.85:
        weights = [float(sp.weight[i]) for i in unmet]
        seed = rng.choices(unmet, weights=weights)[0]
    else:
        seed = rng.randrange(n)
    chosen: dict[int, None] = {seed: None}
    total = int(idx.pairs[seed])
    # Breadth first from the seed: the resources that could serve a need, the needs they
    # serve now (to free them, their own resources come next) and some they could serve.
    queue = [seed]
    seen_v: set[int] = set()
    seen_u: set[int] = set()
    while queue and total < max_pairs:
        i = queue.pop(0)
        vols = [v for v in dict.fromkeys(int(sp.v_vol[k]) for k in idx.v_of_need[i])
                if v not in seen_v]
        rng.shuffle(vols)
        if cov_done:
            # Shorter travel comes from nearer volunteers: the two nearest, then any two.
            dist = {int(sp.v_vol[k]): int(sp.v_dist[k]) for k in idx.v_of_need[i]}
            near = sorted(vols, key=lambda v: dist[v])[:2]
            vols = near + [v for v in vols if v not in near]
        venues = [u for u in dict.fromkeys(int(sp.u_venue[k]) for k in idx.u_of_need[i])
                  if u not in seen_u]
        rng.shuffle(venues)
        owners = [("v", v) for v in vols[:4]] + [("u", u) for u in venues[:2]]
        for kind, o in owners:
            (seen_v if kind == "v" else seen_u).add(o)
            needs = idx.needs_of_vol.get(o, []) if kind == "v" else idx.needs_of_venue.get(o, [])
            for j in needs:
                if j in chosen or (not cur.met[j] and rng.random() < 0.7):
                    continue
                if total + int(idx.pairs[j]) > max_pairs:
                    continue
                chosen[j] = None
                total += int(idx.pairs[j])
                if cur.met[j]:
                    queue.append(j)
    return np.array(sorted(chosen), dtype=np.int64)


def _floors(sp: SubProblem, mm: MatchModel, local: I64, cur: Solution) -> None:
    """Every fairness group keeps a share at least the current fairness value."""
    assert sp.group is not None and sp.group_total is not None
    value = sp.fairness_of(cur.met)
    inside = np.zeros(len(sp.needs), dtype=bool)
    inside[local] = True
    outside_w: dict[int, int] = {}
    for g, w, on, ins in zip(sp.group.tolist(), sp.weight.tolist(), cur.met.tolist(),
                             inside.tolist()):
        if on and not ins:
            outside_w[g] = outside_w.get(g, 0) + w
    members: dict[int, list[int]] = {}
    for pos, i in enumerate(local.tolist()):
        members.setdefault(int(sp.group[i]), []).append(pos)
    for g, ps in members.items():
        need = value * sp.group_total[g] - outside_w.get(g, 0)
        floor = int(np.ceil(float(need))) if need > 0 else 0
        if Fraction(floor) < need:
            floor += 1
        if floor > 0:
            mm.model.add(sum(int(mm.sp.weight[p]) * mm.met[p] for p in ps) >= floor)


def improve(
    sp: SubProblem,
    start: Solution,
    deadline: float,
    settings: StageSettings,
    on_improve: Callable[[Solution], None] | None = None,
    stop: Any = None,
    max_pairs: int = HOOD_PAIRS,
    max_steps: int | None = None,
    coverage_bound: float | None = None,
    fairness_bound: Fraction | None = None,
) -> tuple[Solution, int]:
    """Neighbourhood steps from `start` until the deadline, a stop or `max_steps` steps;
    returns the best solution and the number of steps that improved it.

    `coverage_bound` (and `fairness_bound` with fairness): proven bounds; once the solution
    reaches them only fill and travel can improve, and the steps seek those instead."""
    from matcher.solver.lns import _weighted

    rng = random.Random(settings.seed)
    idx = _Index(sp)
    cur = Solution(start.met.copy(), start.v.copy(), start.u.copy(), start.g.copy())
    cur_rank = sp.rank(cur)
    gains = 0
    fails = 0
    one = StageSettings(seed=settings.seed, workers=1, log=settings.log)
    steps = 0
    while not (stop is not None and stop.is_set()):
        steps += 1
        if max_steps is not None and steps > max_steps:
            break
        left = deadline - time.monotonic()
        if left < 0.1:
            break
        # Grow the neighbourhoods while steps keep failing (a local optimum at this size).
        size = max_pairs * (1 + min(fails // 30, 3))
        cov_done = (coverage_bound is not None
                    and sp.stage_value("coverage", cur) >= coverage_bound)
        fair_done = (sp.group is None or (fairness_bound is not None
                                          and sp.fairness_of(cur.met) >= fairness_bound))
        local = _pick(sp, idx, cur, rng, size, cov_done, fair_done)
        sub, vk, uk, fk = hood_problem(sp, local, cur)
        mm = MatchModel(sub)
        if sp.group is not None:
            _floors(sp, mm, local, cur)
        hint = Solution(cur.met[local], cur.v[vk], cur.u[uk], cur.g[fk])
        mm.set_hint(hint)
        _, sol = solve_stage(mm, "neighbourhood", _weighted(mm), True,
                             min(left, STEP_SECONDS), one, None, stop)
        if sol is None:
            fails += 1
            continue
        new = Solution(cur.met.copy(), cur.v.copy(), cur.u.copy(), cur.g.copy())
        new.met[local] = sol.met
        new.v[vk] = sol.v
        new.v[np.setdiff1d(np.flatnonzero(np.isin(sp.v_need, local)), vk)] = False
        new.u[uk] = sol.u
        new.u[np.setdiff1d(np.flatnonzero(np.isin(sp.u_need, local)), uk)] = False
        new.g[fk] = sol.g
        new_rank = sp.rank(new)
        if new_rank > cur_rank:
            cur, cur_rank = new, new_rank
            gains += 1
            fails = 0
            if on_improve is not None:
                on_improve(cur)
        else:
            fails += 1
    return cur, gains
