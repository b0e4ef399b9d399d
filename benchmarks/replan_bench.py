"""Replan benchmark: withdraw volunteers one at a time, add needs; recommend every unmet need.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/replan_bench.py \
        --scenario tianchang --plan PLAN.json [--volunteers all|N] [--add-needs 20]
        [--recommend] [--full-check SECONDS]

The plan is a finished plan of the scenario (`matcher solve ... --out PLAN.json`). Each
replan is `matcher.solver.solve` with the plan as reference, as the API and the CLI run it;
its time includes candidate generation, the search, the plan's reasons and its validation.
With `--full-check`, every replan that loses coverage is compared with a full re-solve of the
changed problem (same time limit) to see whether a plan keeping it exists.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from matcher.model import Problem, parse_plan, parse_problem
from matcher.replan import apply_changes, changed_ids, parse_changes
from matcher.solver import SolveParams, solve
from matcher.validate import validate

REPO = Path(__file__).resolve().parents[1]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[k]


def replan_once(doc: dict[str, Any], old: Problem, plan: Any, changes: list[dict[str, Any]],
                limit: float) -> tuple[Problem, Any, float]:
    parsed = parse_changes(changes, "changes")
    new_doc, _ = apply_changes(doc, parsed)
    new = parse_problem(new_doc)
    t = time.monotonic()
    res = solve(new, SolveParams(time_limit=limit, reference=plan, reference_problem=old,
                                 changed=changed_ids(parsed)))
    return new, res.plan, time.monotonic() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--volunteers", default="all", help="'all' or how many random ones")
    ap.add_argument("--add-needs", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--full-check", type=float, default=0.0)
    ap.add_argument("--recommend", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="append a JSON summary line here")
    args = ap.parse_args()
    path = REPO / "scenarios" / f"{args.scenario}.json"
    doc = json.loads(path.read_text())
    old = parse_problem(doc)
    plan = parse_plan(json.loads(Path(args.plan).read_text()), old)
    rng = random.Random(args.seed)
    own: dict[str, int] = {}
    for a in plan.assignments:
        own[a.volunteer] = own.get(a.volunteer, 0) + 1
    vols = sorted(own)
    if args.volunteers != "all":
        vols = sorted(rng.sample(vols, min(int(args.volunteers), len(vols))))
    summary: dict[str, Any] = {"scenario": args.scenario, "plan_coverage":
                               plan.objective.coverage}
    times: list[float] = []
    ratios: list[float] = []
    lost_cov: list[tuple[str, int]] = []
    invalid = 0
    for vid in vols:
        new, got, secs = replan_once(doc, old, plan, [{"op": "withdraw_volunteer",
                                                         "volunteer": vid}], args.time_limit)
        times.append(secs)
        invalid += bool([v for v in validate(new, got) if v.rule > 0])
        ratios.append(got.objective.changes / own[vid])  # type: ignore[attr-defined]
        if got.objective.coverage < plan.objective.coverage:
            lost_cov.append((vid, plan.objective.coverage - got.objective.coverage))
        print(f"{vid}: {secs:.2f} s, own {own[vid]}, changes "
              f"{got.objective.changes}, coverage {got.objective.coverage}",  # type: ignore
              file=sys.stderr)
    if vols:
        summary["withdraw"] = {
            "volunteers": len(vols), "p50_s": round(pct(times, 0.5), 3),
            "p95_s": round(pct(times, 0.95), 3), "max_s": round(max(times), 3),
            "median_changes_per_own": round(statistics.median(ratios), 2),
            "p95_changes_per_own": round(pct(ratios, 0.95), 2),
            "coverage_lost": len(lost_cov), "invalid": invalid}
    if args.full_check and lost_cov:
        better = []
        for vid, lost in lost_cov:
            new_doc, _ = apply_changes(doc, parse_changes(
                [{"op": "withdraw_volunteer", "volunteer": vid}], "changes"))
            full = solve(parse_problem(new_doc), SolveParams(time_limit=args.full_check))
            if full.plan.objective.coverage > plan.objective.coverage - lost:
                better.append(vid)
        summary["withdraw"]["full_resolve_keeps_more"] = better
    if args.add_needs:
        base = [n for n in doc["needs"]]
        picks = rng.sample(base, args.add_needs)
        added = []
        for k, n in enumerate(picks):
            m = copy.deepcopy(n)
            m["id"] = f"added-{k}"
            m["location"] = {"lat": n["location"]["lat"] + rng.uniform(-0.01, 0.01),
                             "lon": n["location"]["lon"] + rng.uniform(-0.01, 0.01)}
            added.append({"op": "add_need", "need": m})
        new, got, secs = replan_once(doc, old, plan, added, args.time_limit)
        met = sum(1 for x in got.met if x.startswith("added-"))
        summary["add_needs"] = {"needs": args.add_needs, "seconds": round(secs, 3),
                                "added_met": met, "changes": got.objective.changes,  # type: ignore
                                "coverage": got.objective.coverage,
                                "valid": not [v for v in validate(new, got) if v.rule > 0]}
    if args.recommend:
        from matcher.recommend_why import recommend_or_explain

        secs_r: list[float] = []
        answered = 0
        with_options = 0
        for mode in ("displace", "free"):
            for u in plan.unmet:
                t = time.monotonic()
                ans = recommend_or_explain(old, plan, u.need, mode=mode)
                secs_r.append(time.monotonic() - t)
                answered += bool(ans.options or ans.reasons)
                with_options += bool(ans.options) and mode == "displace"
        summary["recommend"] = {"asked": 2 * len(plan.unmet), "answered": answered,
                                "with_options_displace": with_options,
                                "p95_s": round(pct(secs_r, 0.95), 4),
                                "max_s": round(max(secs_r, default=0), 4)}
    line = json.dumps(summary)
    print(line)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
