"""Ejection chains: unmet needs staffed by moving volunteers along augmenting paths.

A need a greedy leaves unmet often has a qualified volunteer who is busy at that time with
another need which some other volunteer could take over. Moving volunteers along such a chain
(need `i` takes `w` from need `c`, `c` takes `w2` from need `c2`, ..., the last need takes a
free volunteer, or keeps enough of its own) meets `i` while every met need stays met: the
coverage rises by `i`'s weight and only fill can drop, so the plan gets lexicographically
better in SPEC's order (fairness and coverage only grow; replan stability comes after them).

This is the augmenting-path step of bipartite matching (Kuhn's algorithm) carried over to
volunteers whose needs must not overlap: a need is visited at most once per attempt, so one
attempt costs about one pass over the pairs. On interval scheduling with qualified workers
(the public PTSP set) it closes the few tasks a greedy order leaves open in milliseconds,
where a CP-SAT neighbourhood of a whole day is too big to solve in the time.

When no chain is left, sideways swaps escape the local optimum: an unmet need takes the
place of a met one of no more weight, which then looks for a chain of its own (a tabu list
keeps a swapped-in need for a few swaps). The best plan seen is kept.

What is never moved: pinned volunteers, venues and grants, and pinned needs stay met. The
unmet need's own venue and funding are taken as a greedy would (free venue nearest first,
funds with most left); only volunteers move along chains. Pure: no I/O; the swaps draw from
`random.Random(0)`, so the result depends on the input alone unless the deadline cuts it.
"""

from __future__ import annotations

import random
import time

import numpy as np

from matcher.solver.cpsat import Solution, SubProblem
from matcher.solver.greedy import positions_by

MAX_EJECT = 2  # needs one moved volunteer may leave (each must then be re-staffed)
MAX_DEPTH = 40  # chain length (recursion depth)
NODE_BUDGET = 200_000  # pair visits per attempt
SWAP_STEPS = 2_000  # sideways swaps after the chains, at most
SWAP_TRIES = 3  # needs tried for dropping per swap
TABU_TENURE = 10  # swaps during which a swapped-in need is not dropped again
FULL_PASS_EVERY = 50  # swaps between two passes of chains over every unmet need


class _State:
    """Who does what, with an undo log so a failed chain leaves no trace."""

    def __init__(self, sp: SubProblem, sol: Solution):
        self.sp = sp
        self.start = sp.start.tolist()
        self.end = sp.end.tolist()
        self.v_vol = sp.v_vol.tolist()
        self.v_need = sp.v_need.tolist()
        self.v_role = sp.v_role.tolist()
        self.met = sol.met.copy()
        self.v_on = sol.v.copy()
        self.u_on = sol.u.copy()
        self.g = sol.g.copy()
        n = len(sp.needs)
        # Pairs per (need, role), in the candidates' order (nearest first).
        self.by_role: list[dict[int, list[int]]] = [{} for _ in range(n)]
        for k, (i, j) in enumerate(zip(self.v_need, self.v_role)):
            self.by_role[i].setdefault(j, []).append(k)
        self.have: list[dict[int, int]] = [{} for _ in range(n)]
        self.jobs: dict[int, dict[int, int]] = {}  # volunteer -> {need: pair}
        self.used: dict[int, int] = {}
        for k in np.flatnonzero(sol.v).tolist():
            self._on(k)
        self.pinned = {(self.v_vol[ks[0]], self.v_need[ks[0]]) for ks in sp.pin_v}
        self.pinned_needs = {n for _w, n in self.pinned} | {int(sp.u_need[k]) for k in sp.pin_u}
        self.pinned_needs |= {int(sp.f_need[k]) for k, _a in sp.pin_f}
        self.venue_jobs: dict[int, list[int]] = {}
        for k in np.flatnonzero(sol.u).tolist():
            self.venue_jobs.setdefault(int(sp.u_venue[k]), []).append(int(sp.u_need[k]))
        self.fund_left = dict(sp.fund_amount)
        for k in np.flatnonzero(sol.g > 0).tolist():
            self.fund_left[int(sp.f_fund[k])] -= int(sol.g[k])
        self.u_of = positions_by(sp.u_need)
        self.f_of = positions_by(sp.f_need)
        self.log: list[tuple[str, int, int]] = []
        self.visits = 0

    # -- elementary moves, logged -------------------------------------------------------
    def _on(self, k: int) -> None:
        w, i, j = self.v_vol[k], self.v_need[k], self.v_role[k]
        self.v_on[k] = True
        self.jobs.setdefault(w, {})[i] = k
        self.used[w] = self.used.get(w, 0) + self.end[i] - self.start[i]
        self.have[i][j] = self.have[i].get(j, 0) + 1

    def _off(self, k: int) -> None:
        w, i, j = self.v_vol[k], self.v_need[k], self.v_role[k]
        self.v_on[k] = False
        del self.jobs[w][i]
        self.used[w] -= self.end[i] - self.start[i]
        self.have[i][j] -= 1

    def assign(self, k: int) -> None:
        self._on(k)
        self.log.append(("v+", k, 0))

    def unassign(self, k: int) -> None:
        self._off(k)
        self.log.append(("v-", k, 0))

    def rollback(self, mark: int) -> None:
        sp = self.sp
        while len(self.log) > mark:
            op, k, amt = self.log.pop()
            if op == "v+":
                self._off(k)
            elif op == "v-":
                self._on(k)
            elif op == "u+":
                self.u_on[k] = False
                self.venue_jobs[int(sp.u_venue[k])].remove(int(sp.u_need[k]))
            elif op == "u-":
                self.u_on[k] = True
                self.venue_jobs.setdefault(int(sp.u_venue[k]), []).append(int(sp.u_need[k]))
            elif op == "f+":
                self.g[k] = 0
                self.fund_left[int(sp.f_fund[k])] += amt
            elif op == "f-":
                self.g[k] = amt
                self.fund_left[int(sp.f_fund[k])] -= amt
            elif op == "met":
                self.met[k] = False
            elif op == "unmet":
                self.met[k] = True

    def drop(self, c: int) -> None:
        """Need `c` unmet: its volunteers, venue and grants released (logged)."""
        sp = self.sp
        for ks in self.by_role[c].values():
            for k in ks:
                if self.v_on[k]:
                    self.unassign(k)
        for k in self.u_of.get(c, []):
            if self.u_on[k]:
                self.u_on[k] = False
                self.venue_jobs[int(sp.u_venue[k])].remove(c)
                self.log.append(("u-", k, 0))
        for k in self.f_of.get(c, []):
            amt = int(self.g[k])
            if amt > 0:
                self.g[k] = 0
                self.fund_left[int(sp.f_fund[k])] += amt
                self.log.append(("f-", k, amt))
        self.met[c] = False
        self.log.append(("unmet", c, 0))

    # -- checks ---------------------------------------------------------------------------
    def conflicts(self, w: int, i: int) -> list[int]:
        s, e = self.start[i], self.end[i]
        return [n for n in self.jobs.get(w, {}) if s < self.end[n] and self.start[n] < e]

    def hours_ok(self, w: int, add: int, drop: int = 0) -> bool:
        cap = self.sp.vol_max_s.get(w)
        return cap is None or self.used.get(w, 0) - drop + add <= cap

    # -- the chain search -----------------------------------------------------------------
    def staff(self, i: int, j: int, depth: int, visited: set[int]) -> bool:
        """One more volunteer for role `j` of need `i`, moving others along a chain if
        need be; on failure the state is as before."""
        pairs = self.by_role[i].get(j, [])
        dur = self.end[i] - self.start[i]
        for k in pairs:
            w = self.v_vol[k]
            if i not in self.jobs.get(w, {}) and not self.conflicts(w, i) \
                    and self.hours_ok(w, dur):
                self.assign(k)
                return True
        if depth <= 0:
            return False
        for k in pairs:
            self.visits += 1
            if self.visits > NODE_BUDGET:
                return False
            w = self.v_vol[k]
            if i in self.jobs.get(w, {}):
                continue
            clash = self.conflicts(w, i)
            if not clash or len(clash) > MAX_EJECT:
                continue
            if any(c in visited or (w, c) in self.pinned for c in clash):
                continue
            freed = sum(self.end[c] - self.start[c] for c in clash)
            if not self.hours_ok(w, dur, freed):
                continue
            mark = len(self.log)
            visited.update(clash)
            roles = [(c, self.v_role[self.jobs[w][c]]) for c in clash]
            for c in clash:
                self.unassign(self.jobs[w][c])
            self.assign(k)
            if all(self.have[c].get(r, 0) >= self.sp.role_min[c][r]
                   or self.staff(c, r, depth - 1, visited) for c, r in roles):
                return True
            self.rollback(mark)
        return False

    def meet(self, i: int) -> bool:
        """Meet unmet need `i` (venue and funds as they are free, volunteers by chains)."""
        sp = self.sp
        mark = len(self.log)
        s, e = self.start[i], self.end[i]
        if sp.asks_venue[i]:
            for k in sorted(self.u_of.get(i, []), key=lambda k: (int(sp.u_dist[k]), k)):
                u = int(sp.u_venue[k])
                if all(not (s < self.end[n] and self.start[n] < e)
                       for n in self.venue_jobs.get(u, [])):
                    self.u_on[k] = True
                    self.venue_jobs.setdefault(u, []).append(i)
                    self.log.append(("u+", k, 0))
                    break
            else:
                return False
        rest = int(sp.funding[i])
        if rest > 0:
            fks = self.f_of.get(i, [])
            for k in sorted(fks, key=lambda k: (-self.fund_left[int(sp.f_fund[k])], k)):
                amt = min(rest, int(sp.f_cap[k]), self.fund_left[int(sp.f_fund[k])])
                if amt > 0:
                    self.g[k] = amt
                    self.fund_left[int(sp.f_fund[k])] -= amt
                    self.log.append(("f+", k, amt))
                    rest -= amt
                if rest == 0:
                    break
            if rest != 0:
                self.rollback(mark)
                return False
        visited = {i}
        self.visits = 0
        for j, lo in enumerate(sp.role_min[i]):
            while self.have[i].get(j, 0) < lo:
                if not self.staff(i, j, MAX_DEPTH, visited):
                    self.rollback(mark)
                    return False
        self.met[i] = True
        self.log.append(("met", i, 0))
        return True


def _passes(state: _State, deadline: float) -> int:
    """Chains for every unmet need, heaviest first, in passes until one meets none."""
    sp = state.sp
    added = 0
    order = sorted(np.flatnonzero(~state.met).tolist(), key=lambda i: (-int(sp.weight[i]), i))
    progress = True
    while progress and order and time.monotonic() < deadline:
        progress = False
        rest = []
        for i in order:
            if time.monotonic() < deadline and state.meet(i):
                added += 1
                progress = True
            else:
                rest.append(i)
            state.log.clear()  # a met need is kept: nothing to undo past it
        order = rest
    return added


def _swap(state: _State, i: int, tabu: dict[int, int], step: int,
          rng: random.Random) -> int | None:
    """A sideways move: meet unmet need `i` by dropping one met need of at most its weight
    that holds a volunteer `i` could take (not pinned, not met by a recent swap). Returns
    the dropped need, or None (state unchanged)."""
    sp = state.sp
    w_i = int(sp.weight[i])
    options: dict[int, None] = {}
    for ks in state.by_role[i].values():
        for k in ks:
            clash = state.conflicts(state.v_vol[k], i)
            if len(clash) == 1:
                c = clash[0]
                if (c not in state.pinned_needs and tabu.get(c, -1) < step
                        and int(sp.weight[c]) <= w_i):
                    options[c] = None
    cands = sorted(options)
    rng.shuffle(cands)
    for c in cands[:SWAP_TRIES]:
        mark = len(state.log)
        state.drop(c)
        if state.meet(i):
            state.log.clear()
            return c
        state.rollback(mark)
    return None


def augment(sp: SubProblem, sol: Solution, deadline: float) -> tuple[Solution, int]:
    """`sol` with unmet needs met by ejection chains until a pass meets none, then by
    sideways swaps (an unmet need takes the place of a met one of no more weight, which
    then looks for a chain of its own; swapped-in needs stay for `TABU_TENURE` swaps) for
    at most `SWAP_STEPS` swaps or until `deadline`. Returns the best solution seen
    (`SubProblem.rank`; never behind `sol`) and how many more needs it meets. Pins stay
    where they are; with the deadline far enough the result depends on the input alone."""
    if not bool((~sol.met).any()) or time.monotonic() >= deadline:
        return sol, 0
    state = _State(sp, sol)
    best, best_rank = sol, sp.rank(sol)

    def keep() -> None:
        nonlocal best, best_rank
        cur = Solution(state.met.copy(), state.v_on.copy(), state.u_on.copy(), state.g.copy())
        rank = sp.rank(cur)
        if rank > best_rank:
            best, best_rank = cur, rank

    if _passes(state, deadline):
        keep()
    rng = random.Random(0)
    tabu: dict[int, int] = {}
    for step in range(SWAP_STEPS):
        unmet = np.flatnonzero(~state.met).tolist()
        if not unmet or time.monotonic() >= deadline:
            break
        i = rng.choice(unmet)
        dropped = _swap(state, i, tabu, step, rng)
        if dropped is None:
            continue
        tabu[i] = step + TABU_TENURE
        # The dropped need looks for a chain at once; every unmet need now and then (a
        # full pass costs about one attempt per unmet need).
        again = state.meet(dropped)
        state.log.clear()
        if (step + 1) % FULL_PASS_EVERY == 0:
            again = bool(_passes(state, deadline)) or again
        if again or int(sp.weight[dropped]) < int(sp.weight[i]):
            keep()
    return best, int(best.met.sum()) - int(sol.met.sum())


def warm_start(sp: SubProblem, starts: list[Solution], deadline: float) -> Solution:
    """The best of the greedy plans `starts` (best first), their unmet needs met by
    ejection chains until `deadline`.

    The next start is repaired too only while the best so far leaves some weight unmet
    (different orders leave different needs open, and a chain that fails from one may exist
    from another). A repaired plan gets the greedy's extra volunteers (fill) back where the
    chains took them. The result is never behind `starts[0]` (`SubProblem.rank`).
    """
    from matcher.solver.greedy import greedy

    best = starts[0]
    best_rank = sp.rank(best)
    top = sp.max_coverage()
    for sol in starts:
        if sp.stage_value("coverage", best) >= top or time.monotonic() >= deadline:
            break
        more, added = augment(sp, sol, deadline)
        if not added:
            continue
        topped = greedy(sp, fixed=more)
        cand = topped if sp.rank(topped) > sp.rank(more) else more
        rank = sp.rank(cand)
        if rank > best_rank:
            best, best_rank = cand, rank
    return best


def shorter_trips(sp: SubProblem, sol: Solution, deadline: float, passes: int = 3) -> Solution:
    """`sol` with volunteers' trips shortened where a nearer qualified volunteer can take a
    role place: moved to one who is free then (within their hours), or exchanged with the
    volunteer of an overlapping need when both trips get shorter in sum. Needs met and the
    places of each role stay as they are, so coverage and fill do not change and travel only
    drops. A plan from HiGHS's coverage MIP, which ignores distance, is where this pays
    (whole components with no travel in the objective); pins never move."""
    if sp.ref_v is not None:
        return sol  # a replan: fewer changes come before shorter trips, and a move may cost one
    state = _State(sp, sol)
    dist = sp.v_dist.tolist()
    pair_of = {(w, i, j): k for k, (w, i, j) in
               enumerate(zip(state.v_vol, state.v_need, state.v_role))}
    dur = [e - s for s, e in zip(state.start, state.end)]
    for _ in range(passes):
        moved = 0
        for k in sorted(np.flatnonzero(state.v_on).tolist(), key=lambda k: -dist[k]):
            if time.monotonic() >= deadline:
                break
            if not state.v_on[k] or dist[k] == 0:
                continue
            w, i, j = state.v_vol[k], state.v_need[k], state.v_role[k]
            if (w, i) in state.pinned:
                continue
            for k2 in state.by_role[i][j]:  # nearest first
                if dist[k2] >= dist[k]:
                    break
                w2 = state.v_vol[k2]
                clash = state.conflicts(w2, i)
                if not clash:
                    if state.hours_ok(w2, dur[i]):
                        state.unassign(k)
                        state.assign(k2)
                        moved += 1
                        break
                    continue
                if len(clash) != 1 or (w2, clash[0]) in state.pinned:
                    continue
                b = clash[0]
                kb = state.jobs[w2][b]
                k3 = pair_of.get((w, b, state.v_role[kb]))
                if k3 is None or dist[k2] + dist[k3] >= dist[k] + dist[kb]:
                    continue
                # w leaves i for b, w2 leaves b for i: each must be free there otherwise.
                if [n for n in state.conflicts(w, b) if n != i] or not state.hours_ok(
                        w, dur[b], dur[i]) or not state.hours_ok(w2, dur[i], dur[b]):
                    continue
                state.unassign(k)
                state.unassign(kb)
                state.assign(k2)
                state.assign(k3)
                moved += 1
                break
        state.log.clear()
        if not moved:
            break
    out = Solution(state.met.copy(), state.v_on.copy(), state.u_on.copy(), state.g.copy())
    return out if sp.rank(out) > sp.rank(sol) else sol


def polish(sp: SubProblem, sol: Solution, deadline: float) -> Solution:
    """`sol` topped up by the greedy (needs its free resources can meet, spare role places
    filled nearest first), then with shorter trips: never behind `sol` (`SubProblem.rank`).
    Pins stay (the greedy keeps what it is given)."""
    from matcher.solver.greedy import greedy

    topped = greedy(sp, fixed=sol)
    best = topped if sp.rank(topped) > sp.rank(sol) else sol
    return shorter_trips(sp, best, deadline)
