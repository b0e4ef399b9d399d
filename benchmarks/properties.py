"""The slow property run (issue 9, item 8): hypothesis draws mid-size problems with many pins
and fairness, matcher solves each, and every plan must pass the validator. Too slow for CI
(each solve may take its whole time limit); it belongs to the benchmark suite.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/properties.py \
        [--examples 40] [--time-limit 10] [--no-report]

A problem is drawn by hypothesis as a recipe of the independent Gansu generator
(`benchmarks/corpus/family.py`): 40 to 400 volunteers, 1 to 14 days, narrow/wide/mixed
windows, 10% to 30% of the needs pinned (every such pin backed by a witness plan, so the pins
hold together), up to 10% forbidden, fairness by county, town or community, tight or loose
money, activities or surge shifts; sometimes a few extra pins drawn with no witness (they may
clash). Properties, for every example:

1. the plan passes `matcher.validate` (SPEC's 14 rules, the document rules, its own values);
2. when every pin has a witness, the plan is not `infeasible` and keeps every pin;
3. the plan is not behind the greedy baseline on SPEC's first stages (fairness, then
   coverage) whenever the greedy keeps the pins;
4. the reported bound is at least the plan's coverage.

Failures are collected (not stopped at), with the recipe and seed that reproduce them, and
written to the `<!-- properties -->` section of `benchmarks/RESULTS.md`. Exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.baselines import greedy  # noqa: E402
from benchmarks.corpus import family  # noqa: E402
from benchmarks.corpus_run import _git_head, write_section  # noqa: E402
from benchmarks.run import machine  # noqa: E402
from matcher.model import parse_problem  # noqa: E402
from matcher.solver import SolveParams, solve  # noqa: E402
from matcher.validate import validate  # noqa: E402


@st.composite
def recipes(draw: Any) -> tuple[family.Recipe, int]:
    vols = draw(st.integers(40, 400))
    r = family.Recipe(
        name=f"prop_v{vols}", volunteers=vols, days=draw(st.sampled_from([1, 2, 3, 7, 14])),
        windows=draw(st.sampled_from(["narrow", "wide", "mixed"])),
        pins=draw(st.sampled_from([0.1, 0.2, 0.3])),
        forbids=draw(st.sampled_from([0.0, 0.05, 0.1])),
        fairness=draw(st.sampled_from([1, 2, 2, 3])),
        money=draw(st.sampled_from(["tight", "loose"])),
        kind=draw(st.sampled_from(["activities", "activities", "surge"])),
        seed=draw(st.integers(0, 10**6)))
    extra = draw(st.sampled_from([0, 0, 0, 1, 3]))
    return r, extra


def add_wild_pins(doc: dict[str, Any], k: int, seed: int) -> None:
    """k pins of a volunteer with the role's skill, with no witness (they may clash)."""
    rng = random.Random(seed)
    pinned = {p["need"] for p in doc["pins"]}
    for n in rng.sample(doc["needs"], min(len(doc["needs"]), 4 * k)):
        if k <= 0:
            break
        if n["id"] in pinned or not n["roles"]:
            continue
        skill = n["roles"][0]["skill"]
        vols = [v for v in doc["volunteers"] if skill in v["skills"]]
        if vols:
            doc["pins"].append({"need": n["id"], "volunteer": rng.choice(vols)["id"]})
            pinned.add(n["id"])
            k -= 1


def check(r: family.Recipe, extra: int, limit: float) -> dict[str, Any]:
    doc, _wit = family.generate(r)
    if extra:
        add_wild_pins(doc, extra, r.seed)
    problem = parse_problem(doc)
    t0 = time.monotonic()
    res = solve(problem, SolveParams(time_limit=limit, seed=0, workers=2))
    secs = time.monotonic() - t0
    plan = res.plan
    fails = [f"rule: {v}" for v in validate(problem, plan)[:3]]
    if not extra and plan.status == "infeasible":
        fails.append("infeasible although every pin has a witness plan")
    if plan.bound.coverage is not None and plan.bound.coverage < plan.objective.coverage:
        fails.append(f"bound {plan.bound.coverage} < coverage {plan.objective.coverage}")
    g_plan, _ = greedy.solve(problem, limit)
    g_ok = g_plan.status != "infeasible" and not g_plan.stats.get("gave_up")
    behind = False
    if g_ok and plan.status != "infeasible":
        key = (plan.objective.fairness or 0.0, plan.objective.coverage)
        g_key = (g_plan.objective.fairness or 0.0, g_plan.objective.coverage)
        if key[0] < g_key[0] - 1e-9 or (abs(key[0] - g_key[0]) <= 1e-9 and key[1] < g_key[1]):
            behind = True
            fails.append(f"behind the greedy: (fairness, coverage) {key} < {g_key}")
    return {"recipe": r, "extra": extra, "status": plan.status, "needs": len(doc["needs"]),
            "pins": len(doc["pins"]), "seconds": secs, "fails": fails, "behind": behind,
            "coverage": plan.objective.coverage, "g_coverage": g_plan.objective.coverage,
            "fairness": plan.objective.fairness, "g_fairness": g_plan.objective.fairness}


def _broke(x: dict[str, Any]) -> bool:
    return any(f.startswith("rule") for f in x["fails"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=40)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args(argv)
    results: list[dict[str, Any]] = []
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()

    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(recipes())
    def run(arg: tuple[family.Recipe, int]) -> None:
        r, extra = arg
        out = check(r, extra, args.time_limit)
        results.append(out)
        print(f"[{len(results)}] v{r.volunteers} {r.days}d {r.windows} pins {r.pins:g}"
              f"+{extra} fair {r.fairness} {r.money} {r.kind} seed {r.seed}: {out['status']}"
              f" cov {out['coverage']} (greedy {out['g_coverage']}) {out['seconds']:.1f}s"
              + (" FAIL " + "; ".join(out["fails"]) if out["fails"] else ""), flush=True)

    run()  # failures are collected, never raised, so every example runs
    total = time.monotonic() - t0
    bad = [x for x in results if x["fails"]]
    statuses = Counter(x["status"] for x in results)
    lines = [
        "## Property run at mid size (issue 9, item 8)", "",
        f"Command: `flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/properties.py "
        f"--examples {args.examples} --time-limit {args.time_limit:g}`  ",
        f"Run: {started}, {total / 60:.1f} min, at commit `{_git_head()}`; machine: "
        f"{machine()}; load average at the end {os.getloadavg()[0]:.1f} (1 min).", "",
        f"{len(results)} problems drawn by hypothesis (derandomized, so the same examples each "
        f"run): {min(x['needs'] for x in results)} to {max(x['needs'] for x in results)} needs, "
        f"{min(x['pins'] for x in results)} to {max(x['pins'] for x in results)} pins, fairness "
        f"on every one; statuses {dict(statuses)}.", "",
        f"- valid plans: {sum(1 for x in results if not _broke(x))} of {len(results)}",
        f"- plans behind the greedy on (fairness, coverage): "
        f"{sum(1 for x in results if x['behind'])}",
        f"- infeasible although every pin had a witness: "
        f"{sum(1 for x in results if any('witness' in f for f in x['fails']))}",
        "",
    ]
    if bad:
        lines += ["Failures (recipe fields reproduce the problem with `family.generate`):", ""]
        for x in bad:
            r = x["recipe"]
            lines.append(f"- `Recipe(name={r.name!r}, volunteers={r.volunteers}, days={r.days}, "
                         f"windows={r.windows!r}, pins={r.pins}, forbids={r.forbids}, "
                         f"fairness={r.fairness}, money={r.money!r}, kind={r.kind!r}, "
                         f"seed={r.seed})` + {x['extra']} wild pins: " + "; ".join(x["fails"]))
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if not args.no_report:
        write_section(REPO / "benchmarks" / "RESULTS.md", "properties", text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
