"""The replan's neighbourhood search: a set of needs re-solved exactly by CP-SAT, stage by
stage (fairness, coverage, changes, fill, travel), with every other need's resources held
fixed; and the rings of needs around it that the search grows into.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.model import Problem
from matcher.solver.candidates import Candidates
from matcher.solver.cpsat import MatchModel, Solution, StageSettings, SubProblem, solve_stage
from matcher.solver.params import StopFlag
from matcher.solver.replan_ref import Reference, Spans
from matcher.solver.stages import keeps_pins

I64 = NDArray[np.int64]
FUND_USERS_PER_RING = 12  # the lightest needs a shared fund pays, freed per ring
STAGE_SHARE = {"fairness": 0.3, "coverage": 0.4, "changes": 0.5, "fill": 0.5, "travel": 1.0}


@dataclass
class Fair:
    """Fairness groups of the whole problem: group per need and each group's total weight."""

    gid: I64
    totals: dict[int, int]


@dataclass
class Local:
    """A neighbourhood's subproblem and where its pairs sit in the global arrays."""

    sp: SubProblem
    vk: I64
    uk: I64
    fk: I64


class Search:
    """The replan's state: the incumbent over all candidate pairs, and neighbourhood solves."""

    def __init__(self, problem: Problem, cand: Candidates, spans: Spans, ref: Reference,
                 start: Solution, pins: Any, fair: Fair | None, settings: StageSettings,
                 stop: StopFlag | None) -> None:
        self.problem, self.cand, self.spans, self.ref = problem, cand, spans, ref
        self.cur = start
        self.pins, self.fair, self.settings, self.stop = pins, fair, settings, stop
        self.solves = 0
        self.one_worker = StageSettings(seed=settings.seed, workers=1, log=settings.log)
        self.log: list[tuple[str, str, float, int]] = []
        self.proven_all = False

    # -- building ---------------------------------------------------------------------------

    def pairs(self, needs: I64) -> tuple[I64, I64, I64]:
        s = self.spans

        def cat(lo: I64, hi: I64) -> I64:
            parts = [np.arange(lo[i], hi[i]) for i in needs.tolist() if hi[i] > lo[i]]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        return cat(*s.v), cat(*s.u), cat(*s.f)

    def local(self, needs: I64) -> Local:
        """The subproblem over `needs` with every other need's resources held fixed."""
        cand, c, cur = self.cand, self.cand.compiled, self.cur
        problem = self.problem
        inside = np.zeros(len(problem.needs), dtype=bool)
        inside[needs] = True
        vk, uk, fk = self.pairs(needs)
        # Volunteers and venues busy outside at an overlapping time cannot be used here.
        busy_v: dict[int, list[int]] = {}
        out_v = np.flatnonzero(cur.v & ~inside[cand.v_need])
        for v, i in zip(cand.v_vol[out_v].tolist(), cand.v_need[out_v].tolist(), strict=True):
            busy_v.setdefault(v, []).append(i)
        busy_u: dict[int, list[int]] = {}
        out_u = np.flatnonzero(cur.u & ~inside[cand.u_need])
        for u, i in zip(cand.u_venue[out_u].tolist(), cand.u_need[out_u].tolist(), strict=True):
            busy_u.setdefault(u, []).append(i)
        st, en = c.need_start, c.need_end

        def free(owner: I64, need: I64, busy: dict[int, list[int]]) -> NDArray[np.bool_]:
            ok = np.ones(len(owner), dtype=bool)
            for k, (o, i) in enumerate(zip(owner.tolist(), need.tolist(), strict=True)):
                for m in busy.get(o, ()):
                    if st[i] < en[m] and st[m] < en[i]:
                        ok[k] = False
                        break
            return ok

        vk = vk[free(cand.v_vol[vk], cand.v_need[vk], busy_v)]
        uk = uk[free(cand.u_venue[uk], cand.u_need[uk], busy_u)]
        used_s: dict[int, int] = {}
        for v, ms in busy_v.items():
            used_s[v] = sum(int(c.need_dur[m]) for m in set(ms))
        vols = sorted(set(cand.v_vol[vk].tolist()))
        vol_max = {v: int(c.vol_max_s[v]) - used_s.get(v, 0) for v in vols
                   if c.vol_max_s[v] >= 0}
        out_f = ~inside[cand.f_need]
        spent = np.bincount(cand.f_fund[out_f], weights=cur.g[out_f],
                            minlength=len(problem.funds)).astype(np.int64)
        funds = sorted(set(cand.f_fund[fk].tolist()))
        fund_amount = {f: int(c.fund_amount[f]) - int(spent[f]) for f in funds}
        pos = np.full(len(problem.needs), -1, dtype=np.int64)
        pos[needs] = np.arange(len(needs))
        vpos = {int(k): j for j, k in enumerate(vk.tolist())}
        upos = {int(k): j for j, k in enumerate(uk.tolist())}
        fpos = {int(k): j for j, k in enumerate(fk.tolist())}
        pins = self.pins
        sp = SubProblem(
            needs=needs, weight=c.weight[needs], start=st[needs], end=en[needs],
            role_min=[[r.minimum for r in problem.needs[int(i)].roles] for i in needs],
            role_count=[[r.count for r in problem.needs[int(i)].roles] for i in needs],
            asks_venue=np.array([problem.needs[int(i)].venue is not None for i in needs],
                                dtype=bool),
            funding=np.array([problem.needs[int(i)].funding for i in needs], dtype=np.int64),
            v_vol=cand.v_vol[vk], v_need=pos[cand.v_need[vk]], v_role=cand.v_role[vk],
            v_dist=cand.v_dist[vk], vol_max_s=vol_max,
            u_venue=cand.u_venue[uk], u_need=pos[cand.u_need[uk]], u_dist=cand.u_dist[uk],
            f_fund=cand.f_fund[fk], f_need=pos[cand.f_need[fk]],
            f_cap=np.minimum(cand.f_cap[fk], np.array(
                [max(0, fund_amount[f]) for f in cand.f_fund[fk].tolist()], dtype=np.int64)),
            fund_amount={f: max(0, a) for f, a in fund_amount.items()},
            # A pin whose pair is busy outside stays out of reach (the model is infeasible
            # and the incumbent is kept; a wider ring frees the holder).
            pin_v=[tuple(vpos.get(k, -1) for k in ks) for ks in pins.v
                   if inside[int(cand.v_need[ks[0]])]],
            pin_u=[upos.get(k, -1) for k in pins.u if inside[int(cand.u_need[k])]],
            pin_f=[(fpos.get(k, -1), a) for k, a in pins.f if inside[int(cand.f_need[k])]],
        )
        return Local(sp, vk, uk, fk)

    # -- solving ----------------------------------------------------------------------------

    def solve(self, needs: I64, deadline: float) -> bool:
        """Re-solve the neighbourhood `needs` stage by stage; True when it improved."""
        loc = self.local(needs)
        sp = loc.sp
        if (any(-1 in ks for ks in sp.pin_v) or -1 in sp.pin_u
                or any(k == -1 for k, _ in sp.pin_f)):
            return False
        cur = self.cur
        hint = Solution(cur.met[needs].copy(), cur.v[loc.vk].copy(), cur.u[loc.uk].copy(),
                        cur.g[loc.fk].copy())
        mm = MatchModel(sp)
        mm.set_hint(hint)
        exprs = self._stage_exprs(mm, loc)
        best = hint
        proven = True
        for name, expr, maximize in exprs:
            left = deadline - time.monotonic()
            if left <= 0.02 or (self.stop is not None and self.stop.is_set()):
                proven = False
                break
            left *= STAGE_SHARE[name]
            # One worker: these models are small, and the machine is shared with others.
            res, sol = solve_stage(mm, name, expr, maximize, left, self.one_worker, None,
                                   self.stop)
            self.solves += 1
            self.log.append((name, res.status, round(res.seconds, 3), sp.size))
            if sol is not None and res.status in ("optimal", "feasible"):
                best = sol
                held = int(round(res.value or 0))
                proven = proven and res.status == "optimal"
            else:
                held = self._value(mm, loc, name, best)
                proven = False
            mm.model.add(expr >= held if maximize else expr <= held)
            mm.set_hint(best)
        # The incumbent may break a new pin (the model holds it): then any solution is better.
        held = keeps_pins(sp, hint) if best is not hint else True
        if best is hint or (held and self._key(loc, best) <= self._key(loc, hint)):
            return False
        cur.met[needs] = best.met
        cur.v[loc.vk] = best.v
        cur.u[loc.uk] = best.u
        cur.g[loc.fk] = best.g
        # Pairs filtered out as busy are off in the incumbent already (their owner works
        # elsewhere at that time), so writing the local masks back keeps it whole.
        self.proven_all = proven and len(needs) == len(self.problem.needs)
        return True

    def _stage_exprs(self, mm: MatchModel, loc: Local) -> list[tuple[str, Any, bool]]:
        out: list[tuple[str, Any, bool]] = []
        if self.fair is not None:
            out.append(("fairness", self._fairness_expr(mm, loc), True))
        out.append(("coverage", mm.coverage(), True))
        out.append(("changes", self._changes_expr(mm, loc), False))
        out.append(("fill", mm.fill(), True))
        out.append(("travel", mm.travel(), False))
        return out

    def _changes_expr(self, mm: MatchModel, loc: Local) -> Any:
        """Items in exactly one of the reference and this neighbourhood (common needs only);
        a grant whose amount differs counts once."""
        ref, cand, m = self.ref, self.cand, mm.model
        terms: list[Any] = []
        for ks, lits, used in ((loc.vk, mm.x, self.ref.v), (loc.uk, mm.y, self.ref.u)):
            common = ref.common[(cand.v_need if lits is mm.x else cand.u_need)[ks]]
            for j, (k, keep) in enumerate(zip(ks.tolist(), common.tolist(), strict=True)):
                if keep:
                    terms.append(1 - lits[j] if used[k] else lits[j])
        f_common = ref.common[cand.f_need[loc.fk]]
        for j, (k, keep) in enumerate(zip(loc.fk.tolist(), f_common.tolist(), strict=True)):
            if not keep:
                continue
            was = int(ref.g[k])
            differs = m.new_bool_var(f"changed[{k}]")
            if was > 0:
                m.add(mm.g[j] == was).only_enforce_if(~differs)
            else:
                m.add(mm.g[j] == 0).only_enforce_if(~differs)
            terms.append(differs)
        return sum(terms) if terms else 0

    def _fairness_expr(self, mm: MatchModel, loc: Local) -> Any:
        """Fairness of the whole plan with the outside fixed, as an integer t / scale."""
        fair = self.fair
        assert fair is not None
        sp, m = loc.sp, mm.model
        scale = max(fair.totals.values()) ** 2 + 1
        fixed = self._fixed_group_weight(loc)
        local_groups = set(fair.gid[sp.needs].tolist())
        t = m.new_int_var(0, scale, "fairness")
        w = sp.weight.tolist()
        for gid in local_groups:
            members = [j for j, i in enumerate(sp.needs.tolist()) if fair.gid[i] == gid]
            got = fixed.get(gid, 0) + sum(w[j] * mm.met[j] for j in members)
            m.add(fair.totals[gid] * t <= scale * got)
        const = [Fraction(fixed.get(g, 0), tot) for g, tot in fair.totals.items()
                 if g not in local_groups and tot > 0]
        if const:
            lo = min(const)
            m.add(t <= (scale * lo.numerator) // lo.denominator)
        self._fair_scale = scale
        return t

    def _fixed_group_weight(self, loc: Local) -> dict[int, int]:
        assert self.fair is not None
        inside = np.zeros(len(self.problem.needs), dtype=bool)
        inside[loc.sp.needs] = True
        out: dict[int, int] = {}
        w = self.cand.compiled.weight
        for i in np.flatnonzero(self.cur.met & ~inside).tolist():
            g = int(self.fair.gid[i])
            out[g] = out.get(g, 0) + int(w[i])
        return out

    def _value(self, mm: MatchModel, loc: Local, name: str, sol: Solution) -> int:
        sp = loc.sp
        if name == "fairness":
            return int(np.floor(float(self._fairness_of(loc, sol)) * self._fair_scale))
        if name == "changes":
            return self._local_changes(loc, sol)
        return sp.stage_value(name, sol)

    def _fairness_of(self, loc: Local, sol: Solution) -> Fraction:
        assert self.fair is not None
        got = dict.fromkeys(self.fair.totals, 0)
        for g, wt in self._fixed_group_weight(loc).items():
            got[g] += wt
        for i, on in zip(loc.sp.needs.tolist(), sol.met.tolist(), strict=True):
            if on:
                got[int(self.fair.gid[i])] += int(self.cand.compiled.weight[i])
        return min((Fraction(got[g], t) for g, t in self.fair.totals.items() if t > 0),
                   default=Fraction(1))

    def _local_changes(self, loc: Local, sol: Solution) -> int:
        ref, cand = self.ref, self.cand
        n = 0
        cv = ref.common[cand.v_need[loc.vk]]
        n += int(((ref.v[loc.vk] != sol.v) & cv).sum())
        cu = ref.common[cand.u_need[loc.uk]]
        n += int(((ref.u[loc.uk] != sol.u) & cu).sum())
        cf = ref.common[cand.f_need[loc.fk]]
        n += int(((ref.g[loc.fk] != sol.g) & cf).sum())
        return n

    def _key(self, loc: Local, sol: Solution) -> tuple[Any, ...]:
        fair = self._fairness_of(loc, sol) if self.fair is not None else Fraction(0)
        sp = loc.sp
        return (fair, sp.stage_value("coverage", sol), -self._local_changes(loc, sol),
                sp.stage_value("fill", sol), -sp.stage_value("travel", sol))

    # -- growing ----------------------------------------------------------------------------

    def ring(self, needs: I64, limit: int) -> I64:
        """`needs` and the needs holding resources they could use (lightest first), up to
        about `limit` pairs in all."""
        cand, c, cur = self.cand, self.cand.compiled, self.cur
        n_all = len(self.problem.needs)
        inside = np.zeros(n_all, dtype=bool)
        inside[needs] = True
        vk, uk, fk = self.pairs(needs)
        st, en = c.need_start, c.need_end
        # Per resource: the intervals of the neighbourhood's needs it could serve.
        want_v: dict[int, list[int]] = {}
        for v, i in zip(cand.v_vol[vk].tolist(), cand.v_need[vk].tolist(), strict=True):
            want_v.setdefault(v, []).append(i)
        want_u: dict[int, list[int]] = {}
        for u, i in zip(cand.u_venue[uk].tolist(), cand.u_need[uk].tolist(), strict=True):
            want_u.setdefault(u, []).append(i)
        found: set[int] = set()
        for on, owner, need, want, hours in (
                (cur.v, cand.v_vol, cand.v_need, want_v, True),
                (cur.u, cand.u_venue, cand.u_need, want_u, False)):
            ks = np.flatnonzero(on & ~inside[need] & np.isin(owner, np.fromiter(
                want, dtype=np.int64, count=len(want))))
            for o, m in zip(owner[ks].tolist(), need[ks].tolist(), strict=True):
                if hours and c.vol_max_s[o] >= 0:
                    found.add(m)
                    continue
                if any(st[m] < en[i] and st[i] < en[m] for i in want[o]):
                    found.add(m)
        w = c.weight
        for f in set(cand.f_fund[fk].tolist()):
            users = np.unique(cand.f_need[(cand.f_fund == f) & (cur.g > 0) & ~inside[cand.f_need]])
            lightest = sorted(users.tolist(), key=lambda i: (int(w[i]), i))
            found.update(lightest[:FUND_USERS_PER_RING])
        sizes = (self.spans.v[1] - self.spans.v[0] + self.spans.u[1] - self.spans.u[0]
                 + self.spans.f[1] - self.spans.f[0] + 1)
        total = int(sizes[needs].sum())
        out = list(needs.tolist())
        for m in sorted(found, key=lambda i: (int(w[i]), i)):
            if total + int(sizes[m]) > limit:
                continue
            out.append(m)
            total += int(sizes[m])
        return np.array(sorted(out), dtype=np.int64)
