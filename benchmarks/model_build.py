"""Issue 9, item 6: how long the solver takes to write its model of the rules, on the largest
component of a scenario.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/model_build.py \
        scenarios/yibin.json [--pairs 60000] [--code DIR]

Times, on the component with the most candidate pairs: the HiGHS matrices of the LP bound
(`lp.matrices(sp, link_pairs=False)`, what city-size components get) and, on its first needs
by start time up to `--pairs` pairs (the size above which a component goes to neighbourhood
search), the HiGHS matrices with the implied rows (the MIP's) and the CP-SAT model
(`MatchModel`), the fastest of three builds each. `--code DIR` imports another checkout's
`matcher` package (a before/after comparison: `git archive COMMIT matcher | tar -x -C DIR`).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--pairs", type=int, default=60_000)
    ap.add_argument("--code", default=None, help="import matcher from this directory")
    args = ap.parse_args()
    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))
    import numpy as np

    from matcher.io import load_problem
    from matcher.solver import core, lp
    from matcher.solver.candidates import generate
    from matcher.solver.cpsat import MatchModel
    from matcher.solver.params import SolveParams

    out: dict[str, object] = {"scenario": args.scenario, "code": args.code or "this checkout"}
    t0 = time.monotonic()
    problem = load_problem(args.scenario)
    cand = generate(problem)
    possible = cand.possible()
    keep = np.flatnonzero(possible)
    comps = core._components(core._restrict(cand, possible), keep, group_all=False)
    pins = core._map_pins(problem, cand, possible)
    out["load_s"] = round(time.monotonic() - t0, 2)

    def pairs(c: np.ndarray) -> int:
        mask = np.zeros(len(problem.needs), dtype=bool)
        mask[c] = True
        return int(mask[cand.v_need].sum() + mask[cand.u_need].sum() + mask[cand.f_need].sum())

    biggest = max(comps, key=pairs)
    sp = core._subproblem(cand, biggest, pins, SolveParams(), None)[0]
    out["component"] = {"needs": len(sp.needs), "pairs": sp.size - len(sp.needs)}
    t = time.monotonic()
    mx = lp.matrices(sp, link_pairs=False)
    out["lp_bound_matrices_s"] = round(time.monotonic() - t, 2)
    out["lp_bound_rows"] = int((0 if mx.a_ub is None else mx.a_ub.shape[0])
                               + (0 if mx.a_eq is None else mx.a_eq.shape[0]))
    del mx

    # The first needs by start time, up to --pairs pairs: a model CP-SAT and the MIP get.
    by_start = biggest[np.argsort(cand.compiled.need_start[biggest], kind="stable")]
    per_need = (np.bincount(cand.v_need, minlength=len(problem.needs))
                + np.bincount(cand.u_need, minlength=len(problem.needs))
                + np.bincount(cand.f_need, minlength=len(problem.needs)))
    take = int(np.searchsorted(np.cumsum(per_need[by_start]), args.pairs, side="right"))
    small = core._subproblem(cand, np.sort(by_start[:max(1, take)]), pins, SolveParams(),
                             None)[0]
    out["model"] = {"needs": len(small.needs), "pairs": small.size - len(small.needs)}
    # The fastest of three builds each: on a shared machine one build can stall.
    mip_s, cpsat_s = [], []
    for _ in range(3):
        t = time.monotonic()
        lp.matrices(small, link_pairs=True)
        mip_s.append(time.monotonic() - t)
        t = time.monotonic()
        mm = MatchModel(small)
        cpsat_s.append(time.monotonic() - t)
    out["mip_matrices_s"] = round(min(mip_s), 2)
    out["cpsat_model_s"] = round(min(cpsat_s), 2)
    out["cpsat_constraints"] = len(mm.model.proto.constraints)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
