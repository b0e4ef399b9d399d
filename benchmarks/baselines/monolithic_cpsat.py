"""Monolithic CP-SAT baseline: the model a user writes with OR-Tools directly from SPEC.md.

The model (built by `common.build_model`, the same one the HiGHS baseline solves):

- variables: `met[i]` for every need; `x[v,i,r]` for EVERY volunteer x need x role with the
  role's skill (no distance or time pruning); `y[u,i]` for every venue x need that asks for a
  venue; `g[f,i]` (integer, 0..min(amount, funding)) for every fund x need with funding;
  `works[v,i]` where a volunteer has the skills of two or more roles of one need.
- per-pair rules as variable fixing inside the model: `x = 0` where the volunteer is out of
  reach (rule 2), not available (rule 3) or forbidden; `y = 0` where the venue lacks a feature
  or capacity, is too far, closed, or forbidden (rules 6, 7, 8); `g = 0` where the fund is not
  eligible (rule 10) or forbidden;
- rules 5/12: `min_count * met[i] <= sum_v x[v,i,r] <= count * met[i]`; one role per
  volunteer and need (`works = sum_r x <= 1`);
- rule 4: pairwise no-overlap `works[v,i] + works[v,j] <= 1` for every volunteer and every
  two overlapping needs it has a skill for; hours `sum dur_i * works[v,i] <= max_hours`;
- rules 8/9: `sum_u y[u,i] = met[i]`; pairwise no double booking `y[u,i] + y[u,j] <= 1`;
- rules 11/12: `sum_f g[f,i] = funding_i * met[i]`; `sum_i g[f,i] <= amount_f`;
- rule 14: pins as `= 1` / `= amount` constraints (a pin that cannot hold makes the model
  infeasible, which is reported as an `infeasible` plan);
- one weighted objective, maximised: `W_fair * t + W_cov * coverage + W_fill * fill - travel`
  (`t`: the fairness stage as an integer `t * total_g <= S * met_weight_g` for every group,
  only when the problem asks for fairness). The weights make it lexicographic when the
  products fit in 2^62 (see `common.Weights`); otherwise travel is counted in coarser units,
  and the plan says so in `stats.objective_note`.

Solved once with CP-SAT (2 workers, seed 0) within the time limit, which includes building.
When the model would have more than `max_model_size` elements (estimated before anything is
built) the baseline does not build it and returns an all-unmet plan with
`stats.too_large = "model too large: ..."`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from benchmarks.baselines.common import (
    DEFAULT_MAX_MODEL_SIZE,
    Arrays,
    build_model,
    coverage_bound,
    decode,
    empty_plan,
    make_plan,
    too_large,
)
from matcher.model import Plan, Problem

OBJ_LIMIT = 1 << 62


class _Cb(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, met: list[Any], weights: list[int], on: Any):
        super().__init__()
        self.t0, self.met, self.weights, self.on = t0, met, weights, on

    def on_solution_callback(self) -> None:
        cov = sum(w for w, m in zip(self.weights, self.met) if self.boolean_value(m))
        self.on(time.monotonic() - self.t0, cov, self.best_objective_bound)


def solve(problem: Problem, time_limit: float, workers: int = 2, seed: int = 0,
          max_model_size: int = DEFAULT_MAX_MODEL_SIZE) -> tuple[Plan, list[dict[str, Any]]]:
    t0 = time.monotonic()
    a = Arrays.build(problem)
    skipped = too_large(problem, a, max_model_size, "monolithic CP-SAT", "cpsat")
    if skipped is not None:
        return skipped, []
    lm = build_model(a, OBJ_LIMIT)
    m = cp_model.CpModel()
    z: list[Any] = []
    for k in range(lm.n_vars):
        lo, hi = int(lm.lb[k]), int(lm.ub[k])
        if lm.binary[k]:
            var = m.new_bool_var(f"z{k}")
            if hi == 0:
                m.add(var == 0)
        else:
            var = m.new_int_var(lo, hi, f"z{k}")
        z.append(var)
    ptr, ind, val = lm.rows_ptr, lm.rows_ind.tolist(), lm.rows_val.tolist()
    for r in range(lm.n_rows):
        s, e = int(ptr[r]), int(ptr[r + 1])
        expr = cp_model.LinearExpr.weighted_sum([z[j] for j in ind[s:e]], val[s:e])
        lo = lm.row_lo[r]
        hi = lm.row_hi[r]
        m.add_linear_constraint(expr, int(lo) if math.isfinite(lo) else -(1 << 62),
                                int(hi) if math.isfinite(hi) else (1 << 62))
    for i, j in lm.amo.tolist():
        m.add_at_most_one([z[i], z[j]])
    nz = [k for k, c in enumerate(lm.obj) if c != 0]
    m.maximize(cp_model.LinearExpr.weighted_sum([z[k] for k in nz], [lm.obj[k] for k in nz]))
    build_s = time.monotonic() - t0

    history: list[dict[str, Any]] = []
    met_vars = z[lm.met0:lm.met0 + len(problem.needs)]
    weights = a.weight.tolist()

    def on(elapsed: float, cov: int, obj_bound: float) -> None:
        b, _ = coverage_bound(lm, obj_bound)
        history.append({"elapsed": elapsed, "coverage": cov, "bound": b})

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - (time.monotonic() - t0))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(m, _Cb(t0, met_vars, weights, on))
    stats: dict[str, Any] = {
        "method": "cpsat", "build_seconds": round(build_s, 3),
        "variables": lm.n_vars, "rows": lm.n_rows + len(lm.amo),
        "cpsat_status": solver.status_name(status),
        "objective_exact": lm.weights.exact,
    }
    if lm.weights.note:
        stats["objective_note"] = lm.weights.note
    if status == cp_model.INFEASIBLE:
        stats["seconds"] = round(time.monotonic() - t0, 3)
        return make_plan(problem, "monolithic CP-SAT", [], [], [], [], "infeasible",
                         None, None, stats), history
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        stats["found"] = False
        stats["seconds"] = round(time.monotonic() - t0, 3)
        return empty_plan(problem, "monolithic CP-SAT", "no solution within the time limit",
                          stats), history
    values = np.array([solver.value(v) for v in z], dtype=np.float64)
    met, assign, book, grants = decode(a, lm, values)
    proven = status == cp_model.OPTIMAL
    cov_b, fair_b = coverage_bound(lm, solver.best_objective_bound)
    st = "optimal" if proven and lm.weights.exact else "feasible"
    if proven and lm.weights.exact:
        cov_b, fair_b = 0.0, 0.0  # every stage proven: the bounds are the plan's values
    stats["seconds"] = round(time.monotonic() - t0, 3)
    plan = make_plan(problem, "monolithic CP-SAT", met, assign, book, grants, st,
                     cov_b, fair_b, stats)
    history.append({"elapsed": time.monotonic() - t0, "coverage": plan.objective.coverage,
                    "bound": plan.bound.coverage, "final": True})
    return plan, history
