"""Run one method on one problem and write what happened as JSON (one process per run).

    python benchmarks/worker.py --problem scenarios/runzhou.json --method greedy \
        --time-limit 60 --out result.json [--plan plan.json]

The harness (`benchmarks/run.py`) starts this in a fresh subprocess for every (scenario,
method), so each run's peak memory (read by the parent with `os.wait4`) is its own, and so
`highspy` and `ortools`, which ship clashing copies of the HiGHS shared library and cannot be
loaded into one process, never meet. The method is timed from the problem in memory to the
plan; loading the problem and validating the plan are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

METHODS = ("matcher", "greedy", "cpsat", "highs", "reference")


def run_method(problem: Any, method: str, time_limit: float,
               max_model_size: int | None = None) -> tuple[Any, list[dict[str, Any]],
                                                          float | None, float]:
    """(plan, history, first plan seconds, final plan seconds) for one method."""
    extra: dict[str, Any] = {} if max_model_size is None else {"max_model_size": max_model_size}
    # Imports first: the clock starts with the problem in memory and the method loaded.
    if method == "matcher":
        from matcher.solver import SolveParams, solve

        t0 = time.monotonic()
        res = solve(problem, SolveParams(time_limit=time_limit, seed=0, workers=2))
        final = time.monotonic() - t0
        hist: list[dict[str, Any]] = [
            {"elapsed": h.elapsed, "coverage": h.coverage, "bound": h.bound, "stage": h.stage}
            for h in res.history
        ]
        hist.append({"elapsed": final, "coverage": res.plan.objective.coverage,
                     "bound": res.plan.bound.coverage, "final": True})
        first = res.first_solution_seconds
        return res.plan, hist, (final if first is None else first), final
    if method == "greedy":
        from benchmarks.baselines import greedy as mod
        extra = {}
    elif method == "cpsat":
        from benchmarks.baselines import monolithic_cpsat as mod  # type: ignore[no-redef]
    elif method == "highs":
        from benchmarks.baselines import highs_mip as mod  # type: ignore[no-redef]
    elif method == "reference":
        from benchmarks.baselines import reference as mod  # type: ignore[no-redef]
    else:
        raise ValueError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
    t0 = time.monotonic()
    plan, hist = mod.solve(problem, time_limit, **extra)
    final = time.monotonic() - t0
    firsts = [float(h["elapsed"]) for h in hist if h.get("coverage") is not None]
    first = min(firsts) if firsts else None
    if plan.stats.get("found") is False or plan.stats.get("gave_up"):
        first = None
    elif first is None:
        first = final
    return plan, hist, first, final


def summarise(problem: Any, plan: Any, hist: list[dict[str, Any]], first: float | None,
              final: float) -> dict[str, Any]:
    from matcher.validate import validate

    violations = validate(problem, plan)
    o, b = plan.objective, plan.bound
    bound = b.coverage
    gap = None
    if bound is not None:
        gap = 0.0 if bound <= 0 else max(0.0, (bound - o.coverage) / bound)
    st = plan.stats
    note = st.get("too_large") or st.get("note") or ""
    if st.get("objective_note"):
        note = (note + "; " if note else "") + "objective: " + st["objective_note"]
    found = not (st.get("found") is False or st.get("too_large") or st.get("gave_up"))
    return {
        "status": plan.status,
        "found": found,
        "coverage": o.coverage,
        "bound": bound,
        "gap": gap,
        "fill": o.fill,
        "travel_km": o.travel_m / 1000.0,
        "fairness": o.fairness,
        "met": len(plan.met),
        "needs": len(problem.needs),
        "first_s": first,
        "final_s": final,
        "valid": not violations,
        "violations": len(violations),
        "first_violations": [str(v) for v in violations[:5]],
        "note": note,
        "proven": st.get("proven"),
        "history": hist,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", required=True)
    ap.add_argument("--method", required=True, choices=METHODS)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plan", default=None, help="also write the plan here")
    ap.add_argument("--max-model-size", type=int, default=None)
    args = ap.parse_args(argv)
    out: dict[str, Any] = {"problem": args.problem, "method": args.method,
                           "time_limit": args.time_limit}
    try:
        from matcher.io import dumps, load_problem, write_text_atomic

        t_load = time.monotonic()
        problem = load_problem(args.problem)
        out["load_s"] = time.monotonic() - t_load
        plan, hist, first, final = run_method(problem, args.method, args.time_limit,
                                              args.max_model_size)
        out.update(summarise(problem, plan, hist, first, final))
        if args.plan:
            write_text_atomic(args.plan, dumps(plan.to_json_dict(), indent=None))
    except Exception as err:  # noqa: BLE001 - the harness records it, never crashes
        out.update({"error": f"{type(err).__name__}: {err}",
                    "traceback": traceback.format_exc(limit=8)})
    # ru_maxrss is in KiB on Linux; the parent's os.wait4 figure is the one reported.
    out["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    os.replace(tmp, args.out)
    return 0 if "error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
