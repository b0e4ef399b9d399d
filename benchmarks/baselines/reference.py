"""Reference values: SPEC's stages one after the other as exact MIPs, solved by HiGHS, with
a long time limit. Used by `benchmarks/corpus_run.py` to say what is provably possible.

The model is `common.build_model(..., cliques=True)`: every pair, the rules as rows and
variable bounds, and the no-overlap rules as one row per maximal clique of overlapping usable
pairs of a volunteer or venue (an interval graph has at most as many maximal cliques as
intervals). The objective is not one weighted sum but SPEC's order:

1. fairness (when asked for): maximise t with t * total_g <= met weight of group g, t
   continuous in [0, 1];
2. coverage: maximise the met weight, with t >= the proven fairness (less 1e-9);
3. fill: maximise weight x volunteers beyond min_count, coverage held;
4. travel: minimise metres over assignments and bookings, fill held.

Each stage gets a share of the time left (30/40/10/20%); a stage not proven optimal in its
share ends the run (later stages are not attempted) and the plan is the best found so far.
`stats.proven` lists the stages proven. `mip_rel_gap` is 0 and every objective is integral
except fairness. The plan's status is `optimal` only when every stage is proven. Like the
other baselines it does not use `matcher.solver`; unlike them it is meant to run for minutes.
"""

from __future__ import annotations

import math
import time
from typing import Any

import highspy
import numpy as np
from scipy.sparse import csr_matrix

from benchmarks.baselines.common import (
    Arrays,
    _fair_groups,
    build_model,
    count_pairs,
    decode,
    empty_plan,
    make_plan,
)
from matcher.model import Plan, Problem

OBJ_LIMIT = 1 << 50
MAX_PAIRS = 4_000_000
# No warm start between stages: with highspy 1.16 a solution passed by setSolution was at times
# returned by getSolution in place of the better one the MIP found.
WARM = False
SHARES = {"fairness": 0.3, "coverage": 0.4, "fill": 0.1, "travel": 0.2}


def solve(problem: Problem, time_limit: float, seed: int = 0,
          max_model_size: int | None = None) -> tuple[Plan, list[dict[str, Any]]]:
    t0 = time.monotonic()
    deadline = t0 + time_limit
    a = Arrays.build(problem)
    nx, ny, ng = count_pairs(a)
    limit = max_model_size or MAX_PAIRS
    if nx + ny + ng > limit:
        why = f"model too large: {nx + ny + ng:,} pairs > {limit:,}"
        return empty_plan(problem, "reference", why, {"too_large": why, "found": False}), []
    lm = build_model(a, OBJ_LIMIT, cliques=True)
    pr = lm.pairs
    n_n = len(problem.needs)
    # Objective vectors of the stages (exact integers).
    n = lm.n_vars
    t_var = n  # our own fairness column, continuous in [0, 1]
    n_all = n + 1
    w = a.weight.astype(np.float64)
    cov = np.zeros(n_all)
    cov[lm.met0:lm.met0 + n_n] = w
    fill = np.zeros(n_all)
    mins = np.array([sum(r.minimum for r in nd.roles) for nd in problem.needs], dtype=np.float64)
    fill[lm.met0:lm.met0 + n_n] = -w * mins
    fill[lm.x0:lm.x0 + len(pr.x_v)] = w[pr.x_n]
    trav = np.zeros(n_all)
    trav[lm.x0:lm.x0 + len(pr.x_v)] = pr.x_d
    trav[lm.y0:lm.y0 + len(pr.y_u)] = pr.y_d

    ptr, ind, val = list(lm.rows_ptr), [lm.rows_ind], [lm.rows_val.astype(np.float64)]
    lo, hi = list(lm.row_lo), list(lm.row_hi)
    nnz = int(lm.rows_ptr[-1])

    def add_row(cols: Any, coefs: Any, r_lo: float, r_hi: float) -> None:
        nonlocal nnz
        cols = np.asarray(cols, dtype=np.int64)
        ind.append(cols)
        val.append(np.asarray(coefs, dtype=np.float64))
        nnz += len(cols)
        ptr.append(nnz)
        lo.append(r_lo)
        hi.append(r_hi)

    fair = problem.objective.fairness
    if fair is not None:
        for ix in _fair_groups(a, fair.region_depth).values():
            ixa = np.array(ix, dtype=np.int64)
            add_row(np.r_[t_var, lm.met0 + ixa], np.r_[w[ixa].sum(), -w[ixa]], -math.inf, 0.0)
    col_lo = np.r_[lm.lb.astype(np.float64), 0.0]
    col_hi = np.r_[lm.ub.astype(np.float64), 1.0 if fair is not None else 0.0]
    integral = np.r_[np.ones(n, dtype=bool), False]

    stages = (["fairness"] if fair is not None else []) + ["coverage", "fill", "travel"]
    objs = {"fairness": np.eye(1, n_all, t_var).ravel(), "coverage": cov, "fill": fill,
            "travel": -trav}
    proven: list[str] = []
    values: dict[str, float] = {}
    bounds: dict[str, float] = {}
    best: np.ndarray | None = None
    history: list[dict[str, Any]] = []
    stats: dict[str, Any] = {"method": "reference", "variables": n_all,
                             "build_seconds": round(time.monotonic() - t0, 3)}
    for k, stage in enumerate(stages):
        left = deadline - time.monotonic()
        share = SHARES[stage] / sum(SHARES[s] for s in stages[k:])
        if left <= 0.5:
            break
        mat = csr_matrix((np.concatenate(val), np.concatenate(ind), np.array(ptr)),
                         shape=(len(lo), n_all)).tocsc()
        mat.sort_indices()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_all, len(lo)
        lp.col_cost_ = objs[stage]
        lp.col_lower_, lp.col_upper_ = col_lo, col_hi
        inf = highspy.kHighsInf
        lo_a, hi_a = np.array(lo), np.array(hi)
        lp.row_lower_ = np.where(np.isfinite(lo_a), lo_a, -inf)
        lp.row_upper_ = np.where(np.isfinite(hi_a), hi_a, inf)
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
        lp.a_matrix_.index_ = mat.indices.astype(np.int32)
        lp.a_matrix_.value_ = mat.data
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in integral]
        h.passModel(lp)
        if best is not None and WARM:
            sol = highspy.HighsSolution()
            sol.col_value = list(best)
            sol.value_valid = True
            h.setSolution(sol)
        h.setOptionValue("time_limit", max(0.5, left * share if k < len(stages) - 1 else left))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-9 if stage == "fairness" else 0.99)
        h.setOptionValue("random_seed", seed)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        if info.primal_solution_status == 2:
            best = np.asarray(h.getSolution().col_value, dtype=np.float64)
        if status == highspy.HighsModelStatus.kInfeasible:
            return make_plan(problem, "reference", [], [], [], [], "infeasible", None, None,
                             {**stats, "proven": proven}), history
        ok = status == highspy.HighsModelStatus.kOptimal and best is not None
        if ok and abs(float(objs[stage] @ best) - info.objective_function_value) > 1e-6:
            ok = False  # the solution vector does not give the value HiGHS proved
        dual = info.mip_dual_bound
        bounds[stage] = float(dual) if math.isfinite(dual) else math.nan
        history.append({"elapsed": time.monotonic() - t0, "stage": stage,
                        "coverage": None if best is None else float(cov @ best),
                        "bound": bounds[stage] if stage == "coverage" else None})
        if not ok:
            break
        assert best is not None
        v = float(objs[stage] @ best)
        values[stage] = v
        proven.append(stage)
        # Hold the stage: fairness within 1e-9, the integral stages exactly.
        if stage == "fairness":
            add_row([t_var], [1.0], v - 1e-9, math.inf)
        else:
            nz = np.flatnonzero(objs[stage])
            add_row(nz, objs[stage][nz], round(v) - 0.5, math.inf)
    stats["proven"] = proven
    stats["stage_bounds"] = {k: (None if math.isnan(v) else v) for k, v in bounds.items()}
    stats["seconds"] = round(time.monotonic() - t0, 3)
    if best is None:
        stats["found"] = False
        return empty_plan(problem, "reference", "no solution within the time limit", stats), history
    met, assign, book, grants = decode(a, lm, best)
    all_proven = len(proven) == len(stages)
    cov_b = values.get("coverage", bounds.get("coverage"))
    if cov_b is not None and math.isnan(cov_b):
        cov_b = None
    fair_b = values.get("fairness", bounds.get("fairness")) if fair is not None else None
    if fair_b is not None and math.isnan(fair_b):
        fair_b = None
    stats["note"] = "proven: " + (", ".join(proven) or "nothing")
    plan = make_plan(problem, "reference", met, assign, book, grants,
                     "optimal" if all_proven else "feasible", cov_b, fair_b, stats)
    return plan, history
