"""HiGHS MIP baseline: the same monolithic model as `monolithic_cpsat`, written as a MIP, which
is what a user writes with a MIP modeller, solved by HiGHS (highspy).

The model is `common.build_model` exactly (see `monolithic_cpsat`'s docstring for the
variables, the rules as constraints and variable fixing, the pairwise no-overlap rows, pins
and the single weighted objective), passed to HiGHS as one sparse matrix:

- every binary and grant variable is integer; per-pair rules that fail fix the variable's
  upper bound to 0;
- the pairwise no-overlap rows are ordinary rows `a + b <= 1`;
- the objective is the same weighted sum, with a smaller magnitude limit (2^50, so that
  doubles hold it exactly); when the lexicographic weights do not fit, travel is counted in
  coarser units (`stats.objective_note`);
- `mip_rel_gap = 0` and `mip_abs_gap = 0.99` (the objective is integral), so "optimal" means
  the weighted objective is proven; `time_limit` includes building; `threads` is left at
  HiGHS's default, `random_seed = 0`.

Time to the first plan comes from HiGHS's improving-solution callback. The same size guard as
the CP-SAT baseline applies (`stats.too_large`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import highspy
import numpy as np
from scipy.sparse import csr_matrix

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

OBJ_LIMIT = 1 << 50


def solve(problem: Problem, time_limit: float, seed: int = 0,
          max_model_size: int = DEFAULT_MAX_MODEL_SIZE) -> tuple[Plan, list[dict[str, Any]]]:
    t0 = time.monotonic()
    a = Arrays.build(problem)
    skipped = too_large(problem, a, max_model_size, "HiGHS MIP", "highs")
    if skipped is not None:
        return skipped, []
    lm = build_model(a, OBJ_LIMIT)
    n = lm.n_vars
    # All rows, the pairwise ones appended, as one CSR matrix converted to CSC.
    n_amo = len(lm.amo)
    ptr = np.r_[lm.rows_ptr, lm.rows_ptr[-1] + 2 * np.arange(1, n_amo + 1)]
    ind = np.r_[lm.rows_ind, lm.amo.reshape(-1)]
    val = np.r_[lm.rows_val.astype(np.float64), np.ones(2 * n_amo)]
    lo = np.r_[lm.row_lo, np.full(n_amo, -np.inf)]
    hi = np.r_[lm.row_hi, np.ones(n_amo)]
    mat = csr_matrix((val, ind, ptr), shape=(len(lo), n)).tocsc()
    mat.sort_indices()

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(lo)
    lp.col_cost_ = np.array(lm.obj, dtype=np.float64)
    lp.col_lower_ = lm.lb.astype(np.float64)
    lp.col_upper_ = lm.ub.astype(np.float64)
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    build_s = time.monotonic() - t0
    h.setOptionValue("time_limit", max(0.05, time_limit - build_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.99)
    h.setOptionValue("random_seed", seed)

    history: list[dict[str, Any]] = []
    met_idx = np.arange(lm.met0, lm.met0 + len(problem.needs))
    w = a.weight.astype(np.float64)

    def on_improving(e: Any) -> None:
        sol = np.asarray(e.data_out.mip_solution)
        cov = int(round(float((sol[met_idx] > 0.5) @ w))) if len(sol) >= n else None
        b = e.data_out.mip_dual_bound
        cb = coverage_bound(lm, b)[0] if b is not None and math.isfinite(b) else None
        history.append({"elapsed": time.monotonic() - t0, "coverage": cov, "bound": cb})

    try:
        h.cbMipImprovingSolution.subscribe(on_improving)
        callbacks = True
    except Exception:  # noqa: BLE001 - older highspy: no callbacks, first plan = final plan
        callbacks = False
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    stats: dict[str, Any] = {
        "method": "highs", "build_seconds": round(build_s, 3), "variables": n,
        "rows": int(len(lo)), "highs_status": h.modelStatusToString(status),
        "objective_exact": lm.weights.exact, "callbacks": callbacks,
    }
    if lm.weights.note:
        stats["objective_note"] = lm.weights.note
    ms = highspy.HighsModelStatus
    if status == ms.kInfeasible:
        stats["seconds"] = round(time.monotonic() - t0, 3)
        return make_plan(problem, "HiGHS MIP", [], [], [], [], "infeasible", None, None,
                         stats), history
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_sol:
        stats["found"] = False
        stats["seconds"] = round(time.monotonic() - t0, 3)
        return empty_plan(problem, "HiGHS MIP", "no solution within the time limit",
                          stats), history
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    met, assign, book, grants = decode(a, lm, values)
    proven = status == ms.kOptimal
    dual = info.mip_dual_bound
    cov_b, fair_b = coverage_bound(lm, dual) if math.isfinite(dual) else (None, None)
    st = "optimal" if proven and lm.weights.exact else "feasible"
    if proven and lm.weights.exact:
        cov_b, fair_b = 0.0, 0.0  # every stage proven: the bounds are the plan's values
    stats["seconds"] = round(time.monotonic() - t0, 3)
    plan = make_plan(problem, "HiGHS MIP", met, assign, book, grants, st, cov_b, fair_b, stats)
    history.append({"elapsed": time.monotonic() - t0, "coverage": plan.objective.coverage,
                    "bound": plan.bound.coverage, "final": True})
    return plan, history
