"""The CP-SAT model of one subproblem and its lexicographic stages.

Candidates already enforce rules 1-3, 6-7, the fit part of 8, 10 and `forbid`. This model adds
the rules that tie pairs together:

- rule 4: per volunteer, at most one need in every maximal clique of overlapping intervals
  (sweep line), and the hours limit;
- rule 5: at most one role of a need per volunteer, at most `count` per role;
- rule 8: per venue, at most one booking in every maximal clique of overlapping needs;
- rule 9: one booking per met need that asks for a venue;
- rule 11: one integer grant per (fund, need), fund totals within the amount;
- rules 12-13: all-or-nothing needs through one `met` literal per need;
- rule 14: pins as constraints (forbids were removed with the candidates).

A subproblem is a set of needs with the candidate pairs that touch them; it is a pure
function of its data, so subproblems can be solved anywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

I64 = NDArray[np.int64]


@dataclass
class SubProblem:
    """Everything one CP-SAT model needs, as plain arrays (picklable, no Problem object).

    Need-level arrays are indexed by local need position; pair arrays refer to local needs.
    """

    needs: I64  # global need indices, sorted
    weight: I64
    start: I64
    end: I64
    role_min: list[list[int]]  # per local need, per role: min_count
    role_count: list[list[int]]
    asks_venue: NDArray[np.bool_]
    funding: I64
    # volunteer pairs
    v_vol: I64
    v_need: I64  # local need index
    v_role: I64
    v_dist: I64
    vol_max_s: dict[int, int]  # volunteer -> seconds limit (only volunteers with a limit)
    # venue pairs
    u_venue: I64
    u_need: I64
    u_dist: I64
    # fund pairs
    f_fund: I64
    f_need: I64
    f_cap: I64
    fund_amount: dict[int, int]
    # pins, as indices into the pair arrays (fund pins carry their amount); a volunteer pin
    # lists the volunteer's pairs with the need, one per role it could fill
    pin_v: list[tuple[int, ...]] = field(default_factory=list)
    pin_u: list[int] = field(default_factory=list)
    pin_f: list[tuple[int, int]] = field(default_factory=list)
    # fairness: group id per local need, and every group's total weight (global)
    group: I64 | None = None
    group_total: dict[int, int] | None = None
    # stability: which pairs the reference plan used
    ref_v: NDArray[np.bool_] | None = None
    ref_u: NDArray[np.bool_] | None = None
    ref_f: NDArray[np.bool_] | None = None
    # a valid solution to start from (SolveParams.start), when it is ahead of the greedy
    warm_start: Solution | None = None

    @property
    def size(self) -> int:
        return len(self.needs) + len(self.v_vol) + len(self.u_venue) + len(self.f_fund)

    def max_coverage(self) -> int:
        return int(self.weight.sum())

    def stage_value(self, name: str, sol: Solution) -> int:
        """A solution's value of one integer stage (coverage, fill, stability, travel)."""
        if name == "coverage":
            return int(self.weight[sol.met].sum())
        if name == "fill":
            staffed = np.bincount(self.v_need[sol.v], minlength=len(self.needs))
            mins = np.array([sum(r) for r in self.role_min], dtype=np.int64)
            return int((self.weight * (staffed - mins))[sol.met].sum())
        if name == "travel":
            return int(self.v_dist[sol.v].sum() + self.u_dist[sol.u].sum())
        if name == "stability":
            changes = 0
            for ref, on in ((self.ref_v, sol.v), (self.ref_u, sol.u), (self.ref_f, sol.g > 0)):
                if ref is not None:
                    changes += int((ref != on).sum())
            return changes
        raise ValueError(f"no integer stage {name!r}")

    def stage_names(self) -> list[str]:
        """The lexicographic stages of this subproblem, in SPEC's order."""
        names = ["fairness"] if self.group is not None else []
        names += ["coverage", "fill"]
        if self.ref_v is not None:
            names.append("stability")
        return [*names, "travel"]

    def rank(self, sol: Solution) -> tuple[Any, ...]:
        """A solution's stage values in SPEC's order, each oriented so that larger is better:
        of two valid solutions the one with the larger rank is lexicographically better."""
        out: list[Any] = []
        for name in self.stage_names():
            if name == "fairness":
                out.append(self.fairness_of(sol.met))
            elif name in ("coverage", "fill"):
                out.append(self.stage_value(name, sol))
            else:
                out.append(-self.stage_value(name, sol))
        return tuple(out)

    def fairness_of(self, met: NDArray[np.bool_]) -> Fraction:
        """The exact fairness of a set of met needs (groups' totals are global)."""
        assert self.group is not None and self.group_total is not None
        got: dict[int, int] = dict.fromkeys(self.group_total, 0)
        for gid, w, on in zip(self.group.tolist(), self.weight.tolist(), met.tolist()):
            if on:
                got[gid] += w
        return min(Fraction(got[g], t) for g, t in self.group_total.items())

    def restricted(self, local: I64, vk: I64, uk: I64, fk: I64, vol_max_s: dict[int, int],
                   fund_amount: dict[int, int]) -> SubProblem:
        """The subproblem over needs `local` (positions in this one) with only the pairs `vk`,
        `uk`, `fk`, each volunteer's hours and each fund's amount as given (what is left of
        them outside `local`). A volunteer pin keeps the pairs that remain; pins with no pair
        left drop out. Fairness and the replan reference are not carried over."""
        pos = np.full(len(self.needs), -1, dtype=np.int64)
        pos[local] = np.arange(len(local))
        vpos = {int(k): i for i, k in enumerate(vk)}
        upos = {int(k): i for i, k in enumerate(uk)}
        fpos = {int(k): i for i, k in enumerate(fk)}
        return replace(
            self,
            needs=self.needs[local], weight=self.weight[local], start=self.start[local],
            end=self.end[local],
            role_min=[self.role_min[int(i)] for i in local],
            role_count=[self.role_count[int(i)] for i in local],
            asks_venue=self.asks_venue[local], funding=self.funding[local],
            v_vol=self.v_vol[vk], v_need=pos[self.v_need[vk]], v_role=self.v_role[vk],
            v_dist=self.v_dist[vk], vol_max_s=vol_max_s,
            u_venue=self.u_venue[uk], u_need=pos[self.u_need[uk]], u_dist=self.u_dist[uk],
            f_fund=self.f_fund[fk], f_need=pos[self.f_need[fk]],
            f_cap=self.f_cap[fk], fund_amount=fund_amount,
            pin_v=[tuple(vpos[k] for k in ks if k in vpos) for ks in self.pin_v
                   if any(k in vpos for k in ks)],
            pin_u=[upos[k] for k in self.pin_u if k in upos],
            pin_f=[(fpos[k], a) for k, a in self.pin_f if k in fpos],
            group=None, group_total=None, ref_v=None, ref_u=None, ref_f=None, warm_start=None,
        )


@dataclass
class StageResult:
    name: str
    status: str  # "optimal", "feasible", "infeasible", "unknown"
    value: float | None
    bound: float | None
    seconds: float


@dataclass
class Solution:
    """Chosen pairs of a subproblem: masks over its pair arrays and grant amounts."""

    met: NDArray[np.bool_]
    v: NDArray[np.bool_]
    u: NDArray[np.bool_]
    g: I64


@dataclass
class SubResult:
    solution: Solution | None
    stages: list[StageResult]
    infeasible_pins: list[tuple[str, int]] | None = None  # ("v"|"u"|"f", pin position)

    @property
    def proven(self) -> bool:
        return all(s.status == "optimal" for s in self.stages)

    def stage(self, name: str) -> StageResult | None:
        for s in self.stages:
            if s.name == name:
                return s
        return None


def _maximal_cliques(starts: Sequence[int], ends: Sequence[int]) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping half-open intervals (sweep line)."""
    events = sorted(
        [(e, 0, i) for i, e in enumerate(ends)] + [(s, 1, i) for i, s in enumerate(starts)]
    )  # at equal times ends (0) come first: [s, e) does not meet [e, ...)
    active: set[int] = set()
    added = False
    out: list[list[int]] = []
    for _, kind, i in events:
        if kind == 1:
            active.add(i)
            added = True
        else:
            if added and len(active) > 1:
                out.append(sorted(active))
            added = False
            active.discard(i)
    return out


class MatchModel:
    """One CP-SAT model over a subproblem, solved stage by stage."""

    def __init__(self, sp: SubProblem, with_pins: bool = True, pins_as_assumptions: bool = False):
        self.sp = sp
        m = self.model = cp_model.CpModel()
        n = len(sp.needs)
        self.met = [m.new_bool_var(f"met[{sp.needs[i]}]") for i in range(n)]
        self.x = [m.new_bool_var(f"x[{k}]") for k in range(len(sp.v_vol))]
        self.y = [m.new_bool_var(f"y[{k}]") for k in range(len(sp.u_venue))]
        self.g = [m.new_int_var(0, int(sp.f_cap[k]), f"g[{k}]") for k in range(len(sp.f_fund))]
        self._rules_roles()
        self._rules_volunteer_time()
        self._rules_venues()
        self._rules_funds()
        self.pin_literals: list[tuple[str, int, Any]] = []
        if with_pins:
            self._rules_pins(pins_as_assumptions)

    # --- hard rules ---------------------------------------------------------------------------

    def _rules_roles(self) -> None:
        """Rules 5 and 12 for roles: min_count..count volunteers per role of a met need."""
        sp, m = self.sp, self.model
        by_role: dict[tuple[int, int], list[int]] = {}
        for k, (i, j) in enumerate(zip(sp.v_need.tolist(), sp.v_role.tolist(), strict=True)):
            by_role.setdefault((i, j), []).append(k)
        for i in range(len(sp.needs)):
            for j, (lo, hi) in enumerate(zip(sp.role_min[i], sp.role_count[i], strict=True)):
                ks = by_role.get((i, j), [])
                expr = sum(self.x[k] for k in ks)
                m.add(expr >= lo * self.met[i])
                if len(ks) > hi:
                    m.add(expr <= hi * self.met[i])
                else:
                    for k in ks:
                        m.add_implication(self.x[k], self.met[i])

    def _rules_volunteer_time(self) -> None:
        """Rules 4 and 5: one role per need, no overlaps, hours within max_hours."""
        sp, m = self.sp, self.model
        # One literal per (volunteer, need): the volunteer works that need.
        by_vn: dict[tuple[int, int], list[int]] = {}
        for k, (v, i) in enumerate(zip(sp.v_vol.tolist(), sp.v_need.tolist(), strict=True)):
            by_vn.setdefault((v, i), []).append(k)
        per_vol: dict[int, list[tuple[int, Any]]] = {}
        for (v, i), ks in by_vn.items():
            if len(ks) == 1:
                lit = self.x[ks[0]]
            else:
                lit = m.new_bool_var(f"works[{v},{sp.needs[i]}]")
                m.add(sum(self.x[k] for k in ks) == lit)  # also: at most one role (rule 5)
            per_vol.setdefault(v, []).append((i, lit))
        starts, ends = sp.start.tolist(), sp.end.tolist()
        dur = (sp.end - sp.start).tolist()
        for v, items in per_vol.items():
            if len(items) > 1:
                s = [starts[i] for i, _ in items]
                e = [ends[i] for i, _ in items]
                for clique in _maximal_cliques(s, e):
                    m.add_at_most_one(items[c][1] for c in clique)
            cap = sp.vol_max_s.get(v)
            if cap is not None and sum(dur[i] for i, _ in items) > cap:
                m.add(sum(dur[i] * lit for i, lit in items) <= cap)

    def _rules_venues(self) -> None:
        """Rules 8 and 9: one booking per met need asking for a venue; no double booking."""
        sp, m = self.sp, self.model
        by_need: dict[int, list[int]] = {}
        by_venue: dict[int, list[int]] = {}
        for k, (u, i) in enumerate(zip(sp.u_venue.tolist(), sp.u_need.tolist(), strict=True)):
            by_need.setdefault(i, []).append(k)
            by_venue.setdefault(u, []).append(k)
        for i in range(len(sp.needs)):
            if sp.asks_venue[i]:
                m.add(sum(self.y[k] for k in by_need.get(i, [])) == self.met[i])
        starts, ends = sp.start.tolist(), sp.end.tolist()
        for ks in by_venue.values():
            if len(ks) > 1:
                s = [starts[sp.u_need[k]] for k in ks]
                e = [ends[sp.u_need[k]] for k in ks]
                for clique in _maximal_cliques(s, e):
                    m.add_at_most_one(self.y[ks[c]] for c in clique)

    def _rules_funds(self) -> None:
        """Rules 11 and 12: grants sum to the funding of a met need; funds within amount."""
        sp, m = self.sp, self.model
        by_need: dict[int, list[int]] = {}
        by_fund: dict[int, list[int]] = {}
        for k, (f, i) in enumerate(zip(sp.f_fund.tolist(), sp.f_need.tolist(), strict=True)):
            by_need.setdefault(i, []).append(k)
            by_fund.setdefault(f, []).append(k)
        for i in range(len(sp.needs)):
            if sp.funding[i] > 0:
                granted = sum(self.g[k] for k in by_need.get(i, []))
                m.add(granted == int(sp.funding[i]) * self.met[i])
        for f, ks in by_fund.items():
            if int(sp.f_cap[ks].sum()) > sp.fund_amount[f]:
                m.add(sum(self.g[k] for k in ks) <= sp.fund_amount[f])

    def _rules_pins(self, as_assumptions: bool) -> None:
        """Rule 14: every pin in the plan (forbids were dropped with the candidates)."""
        m = self.model
        items: list[tuple[str, int, Any]] = []
        for p, ks in enumerate(self.sp.pin_v):
            # The volunteer fills one of the need's roles, whichever (rule 5: only one).
            items.append(("v", p, sum(self.x[k] for k in ks) == 1))
        for p, k in enumerate(self.sp.pin_u):
            items.append(("u", p, self.y[k] == 1))
        for p, (k, amount) in enumerate(self.sp.pin_f):
            items.append(("f", p, self.g[k] == amount))
        for kind, p, ct in items:
            if as_assumptions:
                lit = m.new_bool_var(f"pin[{kind}{p}]")
                m.add(ct).only_enforce_if(lit)
                m.add_assumption(lit)
                self.pin_literals.append((kind, p, lit))
            else:
                m.add(ct)

    # --- objective terms ----------------------------------------------------------------------

    def coverage(self) -> Any:
        return sum(int(w) * lit for w, lit in zip(self.sp.weight.tolist(), self.met, strict=True))

    def fill(self) -> Any:
        sp = self.sp
        w = sp.weight.tolist()
        terms = [w[i] * self.x[k] for k, i in enumerate(sp.v_need.tolist())]
        base = [w[i] * sum(sp.role_min[i]) * self.met[i] for i in range(len(sp.needs))]
        return sum(terms) - sum(base)

    def travel(self) -> Any:
        sp = self.sp
        return sum(int(d) * x for d, x in zip(sp.v_dist.tolist(), self.x, strict=True)) + sum(
            int(d) * y for d, y in zip(sp.u_dist.tolist(), self.y, strict=True)
        )

    def changes(self) -> Any:
        """Stability: pairs the reference used and this plan drops, plus pairs it adds."""
        sp, m = self.sp, self.model
        terms: list[Any] = []
        for ref, lits in ((sp.ref_v, self.x), (sp.ref_u, self.y)):
            if ref is None:
                continue
            for used, lit in zip(ref.tolist(), lits, strict=True):
                terms.append(1 - lit if used else lit)
        if sp.ref_f is not None:
            for k, used in enumerate(sp.ref_f.tolist()):
                z = m.new_bool_var(f"granted[{k}]")
                m.add(self.g[k] >= 1).only_enforce_if(z)
                m.add(self.g[k] == 0).only_enforce_if(~z)
                terms.append(1 - z if used else z)
        return sum(terms)

    def group_weights(self) -> dict[int, Any]:
        """Met weight per fairness group (as linear expressions)."""
        sp = self.sp
        assert sp.group is not None
        w = sp.weight.tolist()
        groups: dict[int, list[int]] = {}
        for i, gid in enumerate(sp.group.tolist()):
            groups.setdefault(gid, []).append(i)
        return {gid: sum(w[i] * self.met[i] for i in members) for gid, members in groups.items()}

    def fairness_scaled(self) -> tuple[Any, int]:
        """Min over groups of met/total weight, as an integer t with t / scale <= the value.

        The scale is max(total)^2 + 1: two distinct fractions with denominators <= max(total)
        differ by more than 1/scale, so the optimal t pins the exact optimal fraction down
        (see `exact_fairness`).
        """
        sp, m = self.sp, self.model
        assert sp.group_total is not None
        totals = sp.group_total
        scale = max(totals.values()) ** 2 + 1
        t = m.new_int_var(0, scale, "fairness")
        met_w = self.group_weights()
        for gid, total in totals.items():
            m.add(total * t <= scale * met_w.get(gid, 0))
        return t, scale

    def hold_fairness(self, value: Fraction) -> None:
        """Every group's met share at least `value` (exact, integer coefficients)."""
        sp = self.sp
        assert sp.group_total is not None
        met_w = self.group_weights()
        for gid, total in sp.group_total.items():
            self.model.add(value.denominator * met_w.get(gid, 0) >= value.numerator * total)

    # --- solving ------------------------------------------------------------------------------

    def set_hint(self, sol: Solution) -> None:
        """The solution as CP-SAT's hint (written to the proto in bulk: per-variable calls
        take seconds on models with hundreds of thousands of pairs)."""
        m = self.model
        m.clear_hints()
        if not hasattr(self, "_hint_vars"):
            self._hint_vars = [v.index for v in (*self.met, *self.x, *self.y, *self.g)]
        values = np.concatenate([sol.met.astype(np.int64), sol.v.astype(np.int64),
                                 sol.u.astype(np.int64), sol.g.astype(np.int64)])
        hint = m.proto.solution_hint
        hint.vars.extend(self._hint_vars)
        hint.values.extend(values.tolist())

    def read(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> Solution:
        val = solver.value if isinstance(solver, cp_model.CpSolver) else solver.value
        bval = (solver.boolean_value if isinstance(solver, cp_model.CpSolver)
                else solver.boolean_value)
        return Solution(
            met=np.array([bval(v) for v in self.met], dtype=bool),
            v=np.array([bval(v) for v in self.x], dtype=bool),
            u=np.array([bval(v) for v in self.y], dtype=bool),
            g=np.array([val(v) for v in self.g], dtype=np.int64),
        )


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, on_solution: Callable[[float, float, Any], None] | None):
        super().__init__()
        self.on_solution = on_solution

    def on_solution_callback(self) -> None:
        if self.on_solution is not None:
            # The callback itself goes along, so the receiver can read the solution.
            self.on_solution(self.objective_value, self.best_objective_bound, self)


@dataclass
class StageSettings:
    seed: int = 0
    workers: int = 1
    log: bool = False


def solve_stage(
    mm: MatchModel,
    name: str,
    expr: Any,
    maximize: bool,
    seconds: float,
    settings: StageSettings,
    on_solution: Callable[[float, float, Any], None] | None = None,
    stop: Any = None,
    first_solution: bool = False,
) -> tuple[StageResult, Solution | None]:
    """Optimise one stage; returns its result and the solution found, if any (with
    `first_solution`, the first one found)."""
    model = mm.model
    if maximize:
        model.maximize(expr)
    else:
        model.minimize(expr)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.01, seconds)
    prm.random_seed = settings.seed
    prm.num_workers = settings.workers
    prm.stop_after_first_solution = first_solution
    if settings.workers > 1:
        # Deterministic multi-threaded search: same seed and workers give the same plan.
        prm.interleave_search = True
    cb = _Callback(on_solution)
    t0 = time.monotonic()
    if stop is not None and stop.is_set():
        return StageResult(name, "unknown", None, None, 0.0), None
    watcher_done = threading.Event()
    watcher: threading.Thread | None = None
    started = threading.Event()
    prm.log_search_progress = settings.log or stop is not None
    if stop is not None:
        # CP-SAT aborts the process if asked to stop before its search has begun, so the
        # watcher waits for the first log line (written as the search starts).
        prm.log_to_stdout = settings.log
        solver.log_callback = lambda _line: started.set()

        def _watch() -> None:
            while not watcher_done.wait(0.05):
                if stop.is_set() and started.is_set():
                    solver.stop_search()
                    return

        watcher = threading.Thread(target=_watch, daemon=True)
        watcher.start()
    try:
        status = solver.solve(model, cb)
    finally:
        watcher_done.set()
        if watcher is not None:
            watcher.join()
    elapsed = time.monotonic() - t0
    if status == cp_model.OPTIMAL:
        st = "optimal"
    elif status == cp_model.FEASIBLE:
        st = "feasible"
    elif status == cp_model.INFEASIBLE:
        st = "infeasible"
    else:
        st = "unknown"
    if st in ("optimal", "feasible"):
        sol = mm.read(solver)
        value = solver.objective_value
        bound = solver.best_objective_bound
        return StageResult(name, st, value, bound, elapsed), sol
    return StageResult(name, st, None, None, elapsed), None


def pin_core(sp: SubProblem, seconds: float, settings: StageSettings) -> list[tuple[str, int]]:
    """Pins that together cannot hold (an infeasible core, from CP-SAT's assumptions)."""
    mm = MatchModel(sp, pins_as_assumptions=True)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = 1  # cores need the sequential search
    solver.parameters.random_seed = settings.seed
    status = solver.solve(mm.model)
    if status != cp_model.INFEASIBLE:
        return []
    core = set(solver.sufficient_assumptions_for_infeasibility())
    return [(kind, p) for kind, p, lit in mm.pin_literals if lit.index in core]
