"""The CP-SAT model of one subproblem and its lexicographic stages.

Candidates already enforce rules 1-3, 6-7, the fit part of 8, 10 and `forbid`. The rules that
tie pairs together (4, 5, 8, 9, 11-14) are written once, as linear blocks, in `formulation`;
`MatchModel` hands those blocks to CP-SAT (HiGHS gets the same blocks from `lp.matrices`).

A subproblem is a set of needs with the candidate pairs that touch them; it is a pure
function of its data, so subproblems can be solved anywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from matcher.solver.formulation import Block, fairness_rows, formulate, objective

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


class MatchModel:
    """One CP-SAT model over a subproblem, solved stage by stage.

    The rows come from `formulation.formulate` (the same blocks HiGHS gets); this class only
    chooses how CP-SAT receives each row. Those choices are CP-SAT's own and stay here:
    they change how it propagates, never which 0/1 points are feasible.

    - A volunteer's pairs with one need are summed into one `works` literal (the "one role
      per need" row becomes its definition, `sum x == works`), and the "no overlap" and
      "hours" rows, which hold whole items, are written over those literals: fewer terms,
      and the overlap rows become at-most-one constraints CP-SAT handles natively.
    - A row `sum x - c*met <= 0` with at most c terms in x (a role with no more candidates
      than its count) is, for 0/1 values, one implication x => met per pair.
    - Rows of 0/1 columns with all coefficients 1 and at most 1 are at-most-one constraints;
      rows over 0/1 columns that no point can break (all needs fit the hours) are left out.
    - The implied "pair needs met" rows (a relaxation's tightening) are left out.
    - Pins may be enforced by assumption literals, to get an infeasible core (`pin_core`).
    """

    def __init__(self, sp: SubProblem, with_pins: bool = True, pins_as_assumptions: bool = False):
        self.sp = sp
        self.form = formulate(sp, implied=False)
        m = self.model = cp_model.CpModel()
        n = len(sp.needs)
        self.met = [m.new_bool_var(f"met[{sp.needs[i]}]") for i in range(n)]
        self.x = [m.new_bool_var(f"x[{k}]") for k in range(len(sp.v_vol))]
        self.y = [m.new_bool_var(f"y[{k}]") for k in range(len(sp.u_venue))]
        self.g = [m.new_int_var(0, int(sp.f_cap[k]), f"g[{k}]") for k in range(len(sp.f_fund))]
        self.vars: list[Any] = [*self.met, *self.x, *self.y, *self.g]  # in column order
        self.works = self._works()
        item_of = np.full(self.form.cols.total, -1, dtype=np.int64)
        item_of[self.form.cols.o_x:self.form.cols.o_y] = self.form.item
        self._item_of_col: list[int] = item_of.tolist()
        self.rendered: dict[str, int] = {}  # rows written per block (see the tests)
        self.pin_literals: list[tuple[str, int, Any]] = []
        for block in self.form.blocks:
            if block.name == "pins":
                if with_pins:
                    self._pins(block, pins_as_assumptions)
            elif block.name == "one role per need":
                self._define_works(block)
            elif block.name in ("no overlap", "hours"):
                self._rows(block, by_item=True)
            else:
                self._rows(block)

    # --- hard rules, from the shared blocks -----------------------------------------------

    def _works(self) -> list[Any]:
        """One literal per (volunteer, need) item: the pair itself when it is the only one."""
        sp, f = self.sp, self.form
        size = np.bincount(f.item, minlength=f.items)
        first = np.full(f.items, -1, dtype=np.int64)
        first[f.item[::-1]] = np.arange(len(f.item))[::-1]
        out: list[Any] = []
        for sz, k in zip(size.tolist(), first.tolist(), strict=True):
            if sz == 1:
                out.append(self.x[k])
            else:
                out.append(self.model.new_bool_var(
                    f"works[{sp.v_vol[k]},{sp.needs[sp.v_need[k]]}]"))
        return out

    def _define_works(self, block: Block) -> None:
        """Rule 5 (one role per need) as the definition sum x == works, works in {0, 1}."""
        a, o_x = block.a, self.form.cols.o_x
        for r in range(block.rows):
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]].tolist()
            lit = self.works[int(self.form.item[cols[0] - o_x])]
            terms = [self.vars[c] for c in cols]
            self.model.add_linear_constraint(
                cp_model.LinearExpr.weighted_sum([*terms, lit], [1] * len(terms) + [-1]), 0, 0)
        self.rendered[block.name] = block.rows

    def _rows(self, block: Block, by_item: bool = False) -> None:
        """Every row of a block, written as the cheapest equivalent CP-SAT constraint."""
        if block.implied:
            return
        m, cols, a = self.model, self.form.cols, block.a
        # Plain lists: per-row numpy calls would cost more than the rows themselves.
        ptr = a.indptr.tolist()
        ind = a.indices.tolist()
        coef = np.rint(a.data).astype(np.int64).tolist()
        row_of = np.repeat(np.arange(block.rows), np.diff(a.indptr))
        bools = (np.bincount(row_of[a.indices >= cols.o_g], minlength=block.rows) == 0).tolist()
        lo = [int(v) if np.isfinite(v) else cp_model.INT_MIN for v in block.lo.tolist()]
        hi = [int(v) if np.isfinite(v) else cp_model.INT_MAX for v in block.hi.tolist()]
        for r in range(block.rows):
            cs, ws = ind[ptr[r]:ptr[r + 1]], coef[ptr[r]:ptr[r + 1]]
            if by_item:
                terms, ws = self._by_item(cs, ws)
            else:
                terms = [self.vars[c] for c in cs]
            if lo[r] == cp_model.INT_MIN and bools[r] and min(ws, default=0) > 0:
                if max(ws) == 1 and hi[r] == 1:
                    if len(terms) > 1:
                        m.add_at_most_one(terms)
                    continue
                if sum(ws) <= hi[r]:
                    continue  # no 0/1 point breaks it (an hours row whose needs all fit)
            if lo[r] == cp_model.INT_MIN and hi[r] == 0 and bools[r] and self._implications(
                    terms, ws):
                continue
            m.add_linear_constraint(cp_model.LinearExpr.weighted_sum(terms, ws), lo[r], hi[r])
        self.rendered[block.name] = block.rows

    def _by_item(self, cs: list[int], vs: list[int]) -> tuple[list[Any], list[int]]:
        """A row over whole items, over their `works` literals (one coefficient per item)."""
        item_of = self._item_of_col
        terms: list[Any] = []
        ws: list[int] = []
        seen: set[int] = set()
        for c, w in zip(cs, vs, strict=True):
            it = item_of[c]
            if it < 0:
                terms.append(self.vars[c])
            elif it in seen:
                continue
            else:
                seen.add(it)
                terms.append(self.works[it])
            ws.append(w)
        return terms, ws

    def _implications(self, terms: list[Any], ws: list[int]) -> bool:
        """`sum x - c*met <= 0` with at most c terms x: x => met for each; False when the
        row is not of that form."""
        neg = [k for k, w in enumerate(ws) if w < 0]
        if len(neg) != 1 or any(w != 1 for k, w in enumerate(ws) if k != neg[0]):
            return False
        if len(ws) - 1 > -ws[neg[0]]:
            return False
        met = terms[neg[0]]
        for k, t in enumerate(terms):
            if k != neg[0]:
                self.model.add_implication(t, met)
        return True

    def _pins(self, block: Block, as_assumptions: bool) -> None:
        """Rule 14; with `as_assumptions` each pin holds only under its own literal, which
        CP-SAT assumes (so an infeasible set of pins comes back as a core)."""
        sp, m, a = self.sp, self.model, block.a
        kinds = ([("v", p) for p in range(len(sp.pin_v))] + [("u", p) for p in range(len(sp.pin_u))]
                 + [("f", p) for p in range(len(sp.pin_f))])
        for r, (kind, p) in enumerate(kinds):
            s, e = int(a.indptr[r]), int(a.indptr[r + 1])
            terms = [self.vars[c] for c in a.indices[s:e].tolist()]
            ws = np.rint(a.data[s:e]).astype(np.int64).tolist()
            rhs = int(block.lo[r])
            ct = m.add_linear_constraint(cp_model.LinearExpr.weighted_sum(terms, ws), rhs, rhs)
            if as_assumptions:
                lit = m.new_bool_var(f"pin[{kind}{p}]")
                ct.only_enforce_if(lit)
                m.add_assumption(lit)
                self.pin_literals.append((kind, p, lit))
        self.rendered[block.name] = block.rows

    # --- objective terms, from the shared vectors ---------------------------------------------

    def _linear(self, c: I64) -> Any:
        nz = np.flatnonzero(c)
        return cp_model.LinearExpr.weighted_sum([self.vars[k] for k in nz.tolist()],
                                                c[nz].tolist())

    def coverage(self) -> Any:
        return self._linear(objective(self.sp, self.form.cols, "coverage"))

    def fill(self) -> Any:
        return self._linear(objective(self.sp, self.form.cols, "fill"))

    def travel(self) -> Any:
        return self._linear(objective(self.sp, self.form.cols, "travel"))

    def changes(self) -> Any:
        """Stability: pairs the reference used and this plan drops, plus pairs it adds.

        CP-SAT only (a replan never goes to HiGHS): a grant counts as used when it is
        positive, which takes one auxiliary literal per grant pair."""
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
        """Met weight per fairness group present here (as linear expressions)."""
        assert self.sp.group is not None
        gids, a = fairness_rows(self.sp, self.form.cols)
        out: dict[int, Any] = {}
        for r, gid in enumerate(gids):
            s, e = int(a.indptr[r]), int(a.indptr[r + 1])
            if e > s:
                out[gid] = cp_model.LinearExpr.weighted_sum(
                    [self.vars[c] for c in a.indices[s:e].tolist()],
                    np.rint(a.data[s:e]).astype(np.int64).tolist())
        return out

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
    # A first-solution search runs on one worker: OR-Tools 9.15 aborts the whole process
    # (`Check failed: solution->size() == postsolve_mapping.size()`, SIGABRT) when
    # stop_after_first_solution meets the interleaved multi-worker search, as it did on the
    # pins-first model of a 274-volunteer surge (tests/test_corpus.py). One worker is
    # deterministic by itself and finds a first solution as fast.
    workers = 1 if first_solution else settings.workers
    prm.num_workers = workers
    prm.stop_after_first_solution = first_solution
    if workers > 1:
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
