"""What the province would take on N machines, simulated from one run's measured task times.

Reads a plan written by `matcher solve` (its `stats.phases` and `stats.subproblems`: each
subproblem's wall time, a task's on a cluster) and prints, for N workers, the makespan a
scheduler placing the longest task first (LPT) would get: the client's own phases (loading
is not in them: add it), which do not shrink with N, plus the subproblems placed on N
workers. It is a simulation from measured times, not a measurement on N machines, and a
lower bound on what more machines buy: a subproblem that ran to its time share (the
neighbourhood searches do) would have used more time had it been given more.

    .venv/bin/python benchmarks/province_scaling.py /tmp/x10.plan.json --load 7.3
"""

from __future__ import annotations

import argparse
import heapq
import json


def lpt(times: list[float], workers: int) -> float:
    """Makespan of the tasks placed longest first, each on the worker free first."""
    free = [0.0] * workers
    for t in sorted(times, reverse=True):
        heapq.heapreplace(free, free[0] + t)
    return max(free)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plan")
    ap.add_argument("--load", type=float, default=0.0, help="seconds to load the document")
    ap.add_argument("--workers", default="1,2,4,8,16,32")
    a = ap.parse_args()
    with open(a.plan, encoding="utf-8") as f:
        stats = json.load(f)["stats"]
    phases = stats["phases"]
    tasks = [s["seconds"] for s in stats["subproblems"]]
    serial = a.load + sum(v for k, v in phases.items() if k != "search")
    print(f"{len(tasks)} subproblems, {sum(tasks):.1f} s of task time in all, longest "
          f"{max(tasks):.1f} s; client phases {serial:.1f} s (load {a.load:.1f} s included)")
    print("| workers | subproblems (LPT) | whole command |")
    print("|---|---|---|")
    for n in (int(x) for x in a.workers.split(",")):
        span = lpt(tasks, n)
        print(f"| {n} | {span:.1f} s | {serial + span:.1f} s |")


if __name__ == "__main__":
    main()
