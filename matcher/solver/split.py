"""A huge component split into nearly independent parts, solved side by side (or as tasks).

The province's activities are one component of 3.4 M volunteer pairs: volunteers near a
county border reach needs on both sides, and ten funds pay for activities everywhere. By the
first part of their region its needs fall into 100 counties; counties that share more than
`LINK` of their pairs are merged, which leaves 31 groups with 0.4% of the pairs between them.

Each group becomes a subproblem of its own resources:
- a volunteer or venue belongs to the group where it has most pairs (its pairs to the other
  groups are dropped), and every resource that could serve a pinned need belongs to that
  need's group (when two groups' pinned needs share one, the component is not split);
- a fund's amount is divided between the groups in proportion to what its pairs there could
  take (caps), so the parts' grants sum to at most the amount.

The parts' solutions put together are a valid solution of the component: every volunteer and
venue is in one part, with all its hours, and the fund shares add up to the amount. Dropping
the cross pairs can only lose value, never validity; the component's bound is still proven on
the whole component (`fundflow.money_bound`, which the parts do not change), so the parts'
own stage results prove nothing about it and count as `feasible`.

The pinned needs of a part keep every resource they could use, so the pins hold in the part
exactly when they hold in the component (no fund pins and no pinned need with funding: then
the component is not split).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matcher.solver.cpsat import SubProblem

I64 = NDArray[np.int64]
SPLIT_MIN_PAIRS = 1_000_000  # only components this big (a province) are split
LINK = 0.02  # groups sharing more than this share of the smaller one's pairs are merged
MAX_LABELS = 2_000  # more distinct top-level regions than this: not split (merging is K^3)


@dataclass
class Part:
    """One group's subproblem and its pairs' positions in the component's pair arrays."""

    sp: SubProblem
    vk: I64
    uk: I64
    fk: I64


def _majority(owner: I64, label: I64, n_labels: int) -> dict[int, int]:
    """Each owner's label with the most pairs (ties: the smallest label)."""
    key = owner.astype(np.int64) * n_labels + label
    k, cnt = np.unique(key, return_counts=True)
    own, lab = k // n_labels, k % n_labels
    order = np.lexsort((lab, -cnt, own))
    first = np.r_[True, own[order][1:] != own[order][:-1]] if len(order) else order.astype(bool)
    return dict(zip(own[order][first].tolist(), lab[order][first].tolist()))


def _merge(sp: SubProblem, label: I64, n_labels: int) -> I64:
    """Labels merged while two groups share more than LINK of the smaller one's pairs."""
    size = np.bincount(label[sp.v_need], minlength=n_labels).astype(np.float64)
    size += np.bincount(label[sp.u_need], minlength=n_labels)
    link = np.zeros((n_labels, n_labels))
    for owner, need in ((sp.v_vol, sp.v_need), (sp.u_venue, sp.u_need)):
        if len(owner) == 0:
            continue
        maj = _majority(owner, label[need], n_labels)
        home = np.array([maj[o] for o in owner.tolist()], dtype=np.int64)
        there = label[need]
        cross = home != there
        np.add.at(link, (home[cross], there[cross]), 1.0)
    link = link + link.T
    np.fill_diagonal(link, 0.0)
    alive = np.ones(n_labels, dtype=bool)
    into = np.arange(n_labels)
    while True:
        small = np.minimum.outer(size, size)
        ratio = np.where(np.outer(alive, alive) & (small > 0), link / np.maximum(small, 1), 0.0)
        a, b = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        if ratio[a, b] <= LINK:
            break
        a, b = min(a, b), max(a, b)
        link[a] += link[b]
        link[:, a] += link[:, b]
        link[a, a] = 0.0
        link[b] = 0.0
        link[:, b] = 0.0
        size[a] += size[b]
        size[b] = 0.0
        alive[b] = False
        into[into == b] = a
    _, merged = np.unique(into[label], return_inverse=True)
    return merged.astype(np.int64)


def _with_pins(sp: SubProblem, label: I64, pinned: set[int]) -> I64:
    """Labels merged so that the pinned needs that could share a volunteer or venue are in
    one group (each such resource can then go with all of them)."""
    into = list(range(int(label.max()) + 1))

    def root(x: int) -> int:
        while into[x] != x:
            into[x] = into[into[x]]
            x = into[x]
        return x

    for owner, need in ((sp.v_vol, sp.v_need), (sp.u_venue, sp.u_need)):
        first: dict[int, int] = {}
        for o, i in zip(owner.tolist(), need.tolist()):
            if i in pinned:
                a, b = root(first.setdefault(o, int(label[i]))), root(int(label[i]))
                if a != b:
                    into[max(a, b)] = min(a, b)
    roots = np.array([root(x) for x in range(len(into))], dtype=np.int64)
    _, merged = np.unique(roots[label], return_inverse=True)
    return merged.astype(np.int64)


def split(sp: SubProblem, regions: list[str]) -> list[Part] | None:
    """The component's parts, or None when it is not worth splitting (or cannot be split
    without touching a pin). `regions`: each local need's region."""
    if (len(sp.v_vol) + len(sp.u_venue) < SPLIT_MIN_PAIRS or sp.group is not None
            or sp.ref_v is not None or sp.warm_start is not None or sp.pin_f):
        return None
    names: dict[str, int] = {}
    label = np.array([names.setdefault(r.split("/")[0], len(names)) for r in regions],
                     dtype=np.int64)
    if len(names) < 2 or len(names) > MAX_LABELS:
        return None
    pinned = {int(sp.v_need[ks[0]]) for ks in sp.pin_v} | {int(sp.u_need[x]) for x in sp.pin_u}
    if any(int(sp.funding[i]) > 0 for i in pinned):
        return None
    label = _with_pins(sp, _merge(sp, label, len(names)), pinned)
    k = int(label.max()) + 1
    if k < 2:
        return None
    # Owners: where most of their pairs are; any resource of a pinned need goes with it.
    homes = []
    for owner, need in ((sp.v_vol, sp.v_need), (sp.u_venue, sp.u_need)):
        home = _majority(owner, label[need], k) if len(owner) else {}
        home.update({o: int(label[i]) for o, i in zip(owner.tolist(), need.tolist())
                     if i in pinned})
        homes.append(np.array([home[o] for o in owner.tolist()], dtype=np.int64))
    v_home, u_home = homes
    v_keep = v_home == label[sp.v_need]
    u_keep = u_home == label[sp.u_need]
    # Fund shares: pro rata to what the fund's pairs in each group could take.
    f_lab = label[sp.f_need]
    share: dict[int, dict[int, int]] = {}
    for f, amount in sp.fund_amount.items():
        sel = sp.f_fund == f
        demand = np.bincount(f_lab[sel], weights=sp.f_cap[sel], minlength=k)
        total = float(demand.sum())
        if total <= 0:
            share[f] = {}
            continue
        parts = np.floor(amount * demand / total).astype(np.int64)
        parts[int(np.argmax(demand))] += amount - int(parts.sum())
        share[f] = {g: int(a) for g, a in enumerate(parts.tolist()) if demand[g] > 0}
    out: list[Part] = []
    for g in range(k):
        local = np.flatnonzero(label == g)
        vk = np.flatnonzero(v_keep & (label[sp.v_need] == g))
        uk = np.flatnonzero(u_keep & (label[sp.u_need] == g))
        fk = np.flatnonzero(f_lab == g)
        vols = set(sp.v_vol[vk].tolist())
        vol_max = {v: s for v, s in sp.vol_max_s.items() if v in vols}
        funds = {int(f) for f in sp.f_fund[fk].tolist()}
        amounts = {f: share[f].get(g, 0) for f in sorted(funds)}
        out.append(Part(sp.restricted(local, vk, uk, fk, vol_max, amounts), vk, uk, fk))
    return out


Sub = tuple[SubProblem, I64, I64, I64]  # a subproblem and its global pair indices (core)


def split_huge(regions: list[str], subs: list[Sub]) -> tuple[list[Sub], dict[int, float]]:
    """`core`'s subproblems with every huge one replaced by its parts, and the coverage
    bound each part stands for (positions in the new list): the parts of one component
    share its proven bound (they sum to it), which their own results must not lower.
    `regions`: every need's region, by global need index."""
    from matcher.solver.fundflow import money_bound

    out: list[Sub] = []
    fixed: dict[int, float] = {}
    for sp, vk, uk, fk in subs:
        parts = split(sp, [regions[int(i)] for i in sp.needs])
        if parts is None:
            out.append((sp, vk, uk, fk))
            continue
        money = money_bound(sp)
        bound = float(sp.max_coverage()) if money is None else min(sp.max_coverage(), money)
        rest = bound
        for j, part in enumerate(parts):
            fixed[len(out)] = (rest if j == len(parts) - 1
                               else float(part.sp.max_coverage()))
            rest -= fixed[len(out)]
            out.append((part.sp, vk[part.vk], uk[part.uk], fk[part.fk]))
    return out, fixed
