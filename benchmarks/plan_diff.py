"""Same input, same seed, same plan? Plans of two checkouts of `matcher` side by side, for a
refactoring that must not change results (issue 9, item 6).

    .venv/bin/python benchmarks/plan_diff.py save /tmp/before.json --code DIR [--cpsat-only]
    .venv/bin/python benchmarks/plan_diff.py save /tmp/after.json [--cpsat-only]
    .venv/bin/python benchmarks/plan_diff.py compare /tmp/before.json /tmp/after.json

Problems: the conformance set and `--random N` problems drawn by the property tests'
generator (`tests/problem_factory.py`, derandomized, so both runs see the same ones), each
solved with seed 0, one worker and a 30 s limit (they finish in well under a second).
`--cpsat-only` gives HiGHS no time, so CP-SAT decides every stage. `--code DIR` imports
another checkout's `matcher` (`git archive COMMIT matcher | tar -x -C DIR`). Plans are
compared without `stats` (timings).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _problems(count: int) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(REPO / "tests"))
    from hypothesis import HealthCheck, given, settings
    from problem_factory import Sizes, problems

    docs: list[dict] = []

    @settings(max_examples=max(1, count), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(problems(Sizes(volunteers=8, venues=3, funds=3, needs=10, pins=2, forbids=2)))
    def collect(doc: dict) -> None:
        docs.append(doc)

    if count > 0:
        collect()
    conf = REPO / "tests" / "data" / "conformance"
    out = [(p.name, json.loads(p.read_text())) for p in sorted(conf.glob("*.problem.json"))]
    return out + [(f"random{i}", d) for i, d in enumerate(docs)]


def save(out: str, code: str | None, cpsat_only: bool, count: int) -> None:
    items = _problems(count)  # drawn with this checkout's generator, then forgotten:
    if code:
        for name in [m for m in sys.modules if m == "matcher" or m.startswith("matcher.")]:
            del sys.modules[name]
        sys.path.insert(0, str(Path(code).resolve()))
    from matcher.model import parse_problem
    from matcher.solver import SolveParams, solve, stages

    print(f"solving with {stages.__file__}")
    if cpsat_only:
        stages.MIP_SHARE = 0.0
    plans = {}
    for name, doc in items:
        plan = solve(parse_problem(doc), SolveParams(time_limit=30, seed=0, workers=1)).plan
        d = plan.to_json_dict()
        d.pop("stats", None)
        plans[name] = d
    Path(out).write_text(json.dumps(plans, sort_keys=True))
    print(f"{len(plans)} plans written to {out}")


def compare(a: str, b: str) -> int:
    pa, pb = json.loads(Path(a).read_text()), json.loads(Path(b).read_text())
    differ = [k for k in pa if pa[k] != pb.get(k)]
    same_values = [k for k in differ if pa[k]["objective"] == pb[k]["objective"]
                   and pa[k]["status"] == pb[k]["status"]]
    print(f"{len(pa)} problems, {len(pa) - len(differ)} identical plans; "
          f"{len(same_values)} differ with the same status and objective values, "
          f"{len(differ) - len(same_values)} differ in status or values")
    for k in differ:
        fields = [f for f in pa[k] if pa[k][f] != pb[k].get(f)]
        print(f"  {k}: {', '.join(fields)}")
    return 1 if differ else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("out")
    s.add_argument("--code", default=None)
    s.add_argument("--cpsat-only", action="store_true")
    s.add_argument("--random", type=int, default=120)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args()
    if args.cmd == "save":
        save(args.out, args.code, args.cpsat_only, args.random)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
