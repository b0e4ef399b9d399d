"""The slow property runs (issue 9, item 8): hypothesis draws problems with many pins, matcher
solves each, and every plan must pass the validator. Too slow for CI (each solve may take its
whole time limit); they belong to the benchmark suite.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/properties.py \
        [--scale mid|large] [--examples N] [--start K] [--time-limit S] [--wild any|free]
        [--fresh] [--no-report]

A problem is drawn by hypothesis as a recipe of the independent Gansu generator
(`benchmarks/corpus/family.py`); every pin the family draws is backed by a witness plan, so
those pins hold together. Two scales:

- `mid` (the default; its draws are the recorded ones): 40 to 400 volunteers, 1 to 14 days,
  narrow/wide/mixed windows, 10% to 30% of the needs pinned, up to 10% forbidden, fairness by
  county, town or community on every draw, tight or loose money, activities or surge; sometimes
  1 or 3 extra pins with no witness ("wild"), time limit 10 s.
- `large`: city size, 1,000 to 5,000 volunteers (320 to 1,600 needs for activities, 1,280 to
  6,400 for a surge), 0% to 10% pinned, fairness none / county / town / community, the rest as
  above; wild pins of three kinds (see `add_wild`), time limit 30 s.

Wild pins: `any` (the recorded mid draw) pins a volunteer with the skill anywhere, so nearly
every such pin is impossible on its own (out of reach or not free) and the problem is
trivially infeasible; `free` pins a volunteer who could work the need on their own (skill,
reach, window, hours, no forbid), so a clash comes only from the other pins; `clash` adds one
pin that provably clashes (a witness-pinned volunteer pinned again to a need overlapping in
time), the rest `free`.

Properties, for every example (each can fail; failures are collected, never stopped at):

1. the plan passes `matcher.validate` (SPEC's 14 rules, the document rules, its own values);
2. when every pin has a witness, the plan is not `infeasible` and keeps every pin; with a
   deliberate clash it is `infeasible`;
3. an `infeasible` plan names the clashing pins (SPEC: "the plan then lists why and assigns
   nothing"): some unmet reason names a pin, and a wild one among them (the witnessed pins
   hold together, so every true clash involves a wild pin);
4. the plan is not behind the greedy baseline on SPEC's first stages (fairness, then
   coverage) whenever the greedy keeps the pins, nor behind the witness plan (every
   witnessed pinned need staffed) when there are no wild pins;
5. the reported bound is at least the plan's coverage;
6. the whole `solve` call ends within the time limit + 5% (wall time; a benchmark property,
   never asserted in the test suite).

Also recorded per example: the gap (bound - coverage) / bound, reported as a distribution.
Results are kept per example in `benchmarks/out/properties-<scale>.json`, so a run can be
split into slices (`--start`), one lock hold each; the report covers every example recorded
for the same draw settings. A failing problem (wild pins included) is saved under
`/tmp/props-fail/`. The report goes to the `<!-- properties -->` (mid) or
`<!-- properties-large -->` section of `benchmarks/RESULTS.md`; text after a `<!-- notes -->`
line inside the section is kept. Exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sortedcontainers import SortedSet

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.baselines import greedy  # noqa: E402
from benchmarks.corpus import family  # noqa: E402
from benchmarks.corpus_run import _git_head, write_section  # noqa: E402
from benchmarks.run import machine  # noqa: E402
from matcher.model import Plan, parse_problem  # noqa: E402
from matcher.solver import SolveParams, solve  # noqa: E402
from matcher.validate import validate  # noqa: E402

# Hypothesis' derandomized draws depend on the source of the test function (its seed) and on
# the integer literals of every project module loaded (it mixes "local constants" into its
# draws): an edit anywhere in matcher could change which problems are drawn. Both are frozen
# here at what the recorded mid run had (commit 477caa4), so its draws stay the same.
MID_CONSTANTS = (100, 120, 125, 180, 200, 240, 256, 300, 400, 800, 1000, 1440, 1500, 1970,
                 2000, 2026, 2027, 2500, 3000, 3600, 4000, 5000, 6000, 10000, 20000, 60000,
                 200000, 1000000)
MID_SEED = int("832189641674940267602241274318608799197196259743224492608835940226866079"
               "9715227275875585248682516695619264369953550")
LARGE_SEED = 20261130
FAIL_DIR = Path("/tmp/props-fail")
GAP_TARGET = 0.003  # issue 9: coverage within 0.3% of the proven bound at >= 1,000 volunteers


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


@st.composite
def large_recipes(draw: Any) -> tuple[family.Recipe, int, str]:
    """City size; needs scale with volunteers as in `family.generate` (0.32 per volunteer
    for activities, 1.28 for a surge)."""
    vols = draw(st.integers(1000, 5000))
    r = family.Recipe(
        name=f"propL_v{vols}", volunteers=vols, days=draw(st.sampled_from([1, 2, 3, 7, 14])),
        windows=draw(st.sampled_from(["narrow", "wide", "mixed"])),
        pins=draw(st.sampled_from([0.0, 0.02, 0.05, 0.1])),
        forbids=draw(st.sampled_from([0.0, 0.05, 0.1])),
        fairness=draw(st.sampled_from([None, 1, 2, 3])),
        money=draw(st.sampled_from(["tight", "loose"])),
        kind=draw(st.sampled_from(["activities", "activities", "surge"])),
        seed=draw(st.integers(0, 10**6)))
    extra = draw(st.sampled_from([0, 0, 1, 3]))
    mode = draw(st.sampled_from(["free", "free", "clash", "any"]))
    return r, extra, mode


def draws(scale: str, n: int, wild: str) -> list[tuple[family.Recipe, int, str]]:
    """The first n draws of the scale's strategy (large: those of a new shape), the same list
    every run."""
    out: list[tuple[family.Recipe, int, str]] = []
    strategy = recipes() if scale == "mid" else large_recipes()

    @seed(MID_SEED if scale == "mid" else LARGE_SEED)
    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(arg: Any) -> None:
        out.append((arg[0], arg[1], wild) if scale == "mid" else arg)

    with frozen_constants(MID_CONSTANTS if scale == "mid" else ()):
        collect()
    if scale == "mid":
        return out
    # Hypothesis follows each new draw with copies differing only in the size or seed; at 30 s
    # a solve, a draw whose shape (everything but size and seed) was drawn before is skipped.
    seen: set[tuple[Any, ...]] = set()
    uniq = []
    for r, extra, mode in out:
        shape = (r.days, r.windows, r.pins, r.forbids, r.fairness, r.money, r.kind, extra, mode)
        if shape not in seen:
            seen.add(shape)
            uniq.append((r, extra, mode))
    return uniq


@contextlib.contextmanager
def frozen_constants(ints: tuple[int, ...]) -> Iterator[None]:
    """Hypothesis' local constants fixed to `ints` (see MID_CONSTANTS) while drawing."""
    from hypothesis.internal.conjecture import providers

    fixed = providers.Constants(integers=SortedSet(ints), floats=SortedSet(),
                                bytes=SortedSet(), strings=SortedSet())
    old = providers._get_local_constants
    providers._get_local_constants = lambda: fixed
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = old
        providers.CONSTANTS_CACHE.cache.clear()


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


def _span(n: dict[str, Any]) -> tuple[int, int]:
    return family._minutes(n["start"]), family._minutes(n["end"])


def could_work(doc: dict[str, Any], v: dict[str, Any], n: dict[str, Any]) -> bool:
    """Volunteer v could work need n on their own: a role's skill, within reach, free for the
    whole need, hours enough, not forbidden."""
    if "_forbidden" not in doc:  # a cache; removed before the document is parsed
        doc["_forbidden"] = {(f["need"], f.get("volunteer")) for f in doc["forbid"]}
    s, e = _span(n)
    p, q = (v["location"]["lat"], v["location"]["lon"]), (n["location"]["lat"],
                                                         n["location"]["lon"])
    return (any(r["skill"] in v["skills"] for r in n["roles"])
            and family.within(p, q, v.get("max_travel_km", 10))
            and family._fits(v.get("availability"), s, e)
            and ("max_hours" not in v or (e - s) * 60 <= v["max_hours"] * 3600)
            and (n["id"], v["id"]) not in doc["_forbidden"])


def meetable_alone(doc: dict[str, Any], n: dict[str, Any]) -> bool:
    """Need n has a full staffing (roles to their minimum, a venue, its funding) on its own,
    ignoring every pin, none of it forbidden for n (the family's `Witness.staff`)."""
    cache = doc.setdefault("_meetable", {})  # removed before the document is parsed
    if n["id"] not in cache:
        if "_by_skill" not in doc:
            doc["_by_skill"] = {}
            for v in doc["volunteers"]:
                for s in v["skills"]:
                    doc["_by_skill"].setdefault(s, []).append(v)
        by_skill = doc["_by_skill"]
        bad = {next(f[k] for k in ("volunteer", "venue", "fund") if f.get(k))
               for f in doc["forbid"] if f["need"] == n["id"]}
        ok = False
        for attempt in range(3):  # the staffing is drawn at random; a forbid may hit one
            st_ = family.Witness(doc).staff(n, by_skill, random.Random(f"{n['id']}:{attempt}"))
            if st_ is None:
                break
            items = {vid for _s, vid in st_["vols"]} | {st_["venue"], st_["fund"]}
            if not items & bad:
                ok = True
                break
        cache[n["id"]] = ok
    return bool(cache[n["id"]])


def pin_alone_ok(doc: dict[str, Any], v: dict[str, Any], n: dict[str, Any]) -> bool:
    """A pin of v to n could hold were it the only pin (up to a forbid the random staffing
    happened to dodge three times)."""
    return could_work(doc, v, n) and meetable_alone(doc, n)


def add_wild(doc: dict[str, Any], k: int, mode: str, seed: int) -> dict[str, int]:
    """Up to k pins with no witness; returns how many of each kind were added. `any`: the
    recorded mid draw (`add_wild_pins`); `free`: a pin that could hold on its own
    (`pin_alone_ok`); `clash`: first a provable clash (a volunteer pinned by the family to
    need m pinned again to a need overlapping m, a pin that could hold on its own), then
    free."""
    if k <= 0:
        return {}
    if mode == "any":
        before = len(doc["pins"])
        add_wild_pins(doc, k, seed)
        return {"any": len(doc["pins"]) - before}
    rng = random.Random(f"wild:{seed}")
    needs = {n["id"]: n for n in doc["needs"]}
    vols = {v["id"]: v for v in doc["volunteers"]}
    pinned = {p["need"] for p in doc["pins"]}
    got: Counter[str] = Counter()
    if mode == "clash":
        vpins = [p for p in doc["pins"] if p.get("volunteer")]
        for p in rng.sample(vpins, min(len(vpins), 30)):
            v, (ms, me) = vols[p["volunteer"]], _span(needs[p["need"]])
            over = [n for n in doc["needs"] if n["id"] not in pinned
                    and _span(n)[0] < me and ms < _span(n)[1] and pin_alone_ok(doc, v, n)]
            if over:
                n = rng.choice(over)
                doc["pins"].append({"need": n["id"], "volunteer": v["id"]})
                pinned.add(n["id"])
                got["clash"] += 1
                break
    order = [n for n in rng.sample(doc["needs"], len(doc["needs"])) if n["roles"]]
    pool = list(vols.values())
    for n in order:
        if got.total() >= k:
            break
        if n["id"] in pinned:
            continue
        cands = [v for v in rng.sample(pool, min(len(pool), 400)) if could_work(doc, v, n)]
        if cands and meetable_alone(doc, n):
            doc["pins"].append({"need": n["id"], "volunteer": rng.choice(cands)["id"]})
            pinned.add(n["id"])
            got["free"] += 1
    return dict(got)


def named_pins(doc: dict[str, Any], plan: Plan) -> set[int]:
    """Positions in doc['pins'] of the pins the plan's unmet reasons name."""
    reasons = {u.need: [x for x in u.reasons if x.startswith("pin")] for u in plan.unmet}
    out = set()
    for i, p in enumerate(doc["pins"]):
        target = p.get("volunteer") or p.get("venue") or p.get("fund")
        pat = re.compile(rf"(^pinned need {re.escape(p['need'])}\b)|\b{re.escape(str(target))}\b")
        if any(pat.search(x) for x in reasons.get(p["need"], [])):
            out.add(i)
    return out


def _behind(plan: Plan, other: Plan) -> bool:
    """plan is behind other on SPEC's first stages (fairness, then coverage)."""
    key = (plan.objective.fairness or 0.0, plan.objective.coverage)
    o_key = (other.objective.fairness or 0.0, other.objective.coverage)
    return key[0] < o_key[0] - 1e-9 or (abs(key[0] - o_key[0]) <= 1e-9 and key[1] < o_key[1])


def check(r: family.Recipe, extra: int, limit: float, mode: str = "any") -> dict[str, Any]:
    doc, wit = family.generate(r)
    n_witnessed = len(doc["pins"])
    wild = add_wild(doc, extra, mode, r.seed)
    wild_pos = set(range(n_witnessed, len(doc["pins"])))
    needs = {n["id"]: n for n in doc["needs"]}
    vols = {v["id"]: v for v in doc["volunteers"]}
    alone_bad = sum(1 for i in wild_pos if not pin_alone_ok(
        doc, vols[doc["pins"][i]["volunteer"]], needs[doc["pins"][i]["need"]]))
    for cache in ("_forbidden", "_meetable", "_by_skill"):
        doc.pop(cache, None)
    problem = parse_problem(doc)
    t0 = time.monotonic()
    res = solve(problem, SolveParams(time_limit=limit, seed=0, workers=2))
    secs = time.monotonic() - t0
    plan = res.plan
    fails = [f"rule: {v}" for v in validate(problem, plan)[:3]]
    if not wild_pos and plan.status == "infeasible":
        fails.append("infeasible although every pin has a witness plan")
    if wild.get("clash") and plan.status != "infeasible":
        fails.append("not infeasible although two pins put one volunteer at overlapping needs")
    named: set[int] = set()
    if plan.status == "infeasible":
        named = named_pins(doc, plan)
        if not named:
            fails.append("infeasible plan names no pin")
        elif wild_pos and not named & wild_pos:
            fails.append(f"infeasible plan names {len(named)} witnessed pins and no wild one")
    if plan.bound.coverage is not None and plan.bound.coverage < plan.objective.coverage:
        fails.append(f"bound {plan.bound.coverage} < coverage {plan.objective.coverage}")
    if secs > 1.05 * limit:
        fails.append(f"time: solve took {secs:.1f}s, limit {limit:g}s + 5%")
    g_plan, _ = greedy.solve(problem, limit)
    g_ok = g_plan.status != "infeasible" and not g_plan.stats.get("gave_up")
    behind = g_ok and plan.status != "infeasible" and _behind(plan, g_plan)
    if behind:
        fails.append(f"behind the greedy: (fairness, coverage) ({plan.objective.fairness}, "
                     f"{plan.objective.coverage}) < ({g_plan.objective.fairness}, "
                     f"{g_plan.objective.coverage})")
    # The witness (the family's pinned needs, fully staffed) is a valid plan keeping every
    # pin; the greedy often gives up on pins, the witness never does.
    behind_w = None
    if not wild_pos and plan.status != "infeasible":
        _p, w_plan = family.witness_plan(doc, wit)
        behind_w = _behind(plan, w_plan)
        if behind_w:
            fails.append(f"behind the witness plan: (fairness, coverage) "
                         f"({plan.objective.fairness}, {plan.objective.coverage}) < "
                         f"({w_plan.objective.fairness}, {w_plan.objective.coverage})")
    gap = None
    if plan.status != "infeasible" and plan.bound.coverage:
        gap = (plan.bound.coverage - plan.objective.coverage) / plan.bound.coverage
    if fails:
        FAIL_DIR.mkdir(parents=True, exist_ok=True)
        path = FAIL_DIR / f"{r.name}_s{r.seed}_w{extra}{mode}.json"
        path.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
                        encoding="utf-8")
    return {"recipe": dataclasses.asdict(r), "extra": extra, "mode": mode, "wild": wild,
            "wild_alone_impossible": alone_bad, "status": plan.status,
            "needs": len(doc["needs"]), "pins": len(doc["pins"]), "named": len(named),
            "named_wild": len(named & wild_pos), "seconds": secs, "fails": fails,
            "behind": behind, "greedy_ok": g_ok, "behind_witness": behind_w,
            "coverage": plan.objective.coverage,
            "bound": plan.bound.coverage, "gap": gap, "g_coverage": g_plan.objective.coverage,
            "fairness": plan.objective.fairness, "g_fairness": g_plan.objective.fairness}


def _broke(x: dict[str, Any]) -> bool:
    return any(f.startswith("rule") for f in x["fails"])


def _compared(x: dict[str, Any]) -> bool:
    return bool(x.get("greedy_ok")) and x["status"] != "infeasible"


def _named(x: dict[str, Any]) -> str:
    return f"{x['named_wild']} of {x['named']}"


def recipe_call(r: dict[str, Any]) -> str:
    return "Recipe(" + ", ".join(f"{k}={v!r}" for k, v in r.items()) + ")"


def gap_summary(xs: list[dict[str, Any]]) -> str:
    """Median and max of (bound - coverage) / bound, and how many exceed the 0.3% target
    at >= 1,000 volunteers."""
    gaps = [x["gap"] for x in xs if x["gap"] is not None]
    if not gaps:
        return "gap: no plan with a bound"
    big = [x for x in xs if x["gap"] is not None and x["recipe"]["volunteers"] >= 1000]
    over = sum(1 for x in big if x["gap"] > GAP_TARGET)
    return (f"gap (bound - coverage) / bound over {len(gaps)} plans: median "
            f"{100 * statistics.median(gaps):.2f}%, max {100 * max(gaps):.2f}%; above 0.3% at "
            f">= 1,000 volunteers: {over} of {len(big)}")


def report(store: dict[str, Any], scale: str) -> tuple[str, list[dict[str, Any]]]:
    xs = [store["examples"][k] for k in sorted(store["examples"], key=int)]
    bad = [x for x in xs if x["fails"]]
    statuses = Counter(x["status"] for x in xs)
    wild = [x for x in xs if x["wild"]]
    inf = [x for x in wild if x["status"] == "infeasible"]
    secs = sorted(x["seconds"] for x in xs)
    lim = store["time_limit"]
    lines = [f"## Property run at {scale} size (issue 9, item 8)", ""]
    lines += ["Slices (one lock hold each):", ""]
    for s in store["slices"]:
        lines.append(f"- `{s['command']}`: examples {s['start']} to "
                     f"{s['start'] + s['examples'] - 1}, {s['utc']}, {s['minutes']:.1f} min, "
                     f"commit `{s['commit']}`, load average {s['load']}")
    lines += ["", f"Machine: {machine()}.", ""]
    fair = Counter(str(x["recipe"]["fairness"]) for x in xs)
    lines += [
        f"{len(xs)} problems drawn by hypothesis (derandomized, so the same examples each run; "
        f"pool of {store['pool']}): {min(x['recipe']['volunteers'] for x in xs)} to "
        f"{max(x['recipe']['volunteers'] for x in xs)} volunteers, "
        f"{min(x['needs'] for x in xs)} to {max(x['needs'] for x in xs)} needs, "
        f"{min(x['pins'] for x in xs)} to {max(x['pins'] for x in xs)} pins; fairness depth "
        f"{dict(fair)}; statuses {dict(statuses)}; time limit {lim:g} s.", "",
        f"- valid plans: {sum(1 for x in xs if not _broke(x))} of {len(xs)}",
        f"- plans behind the greedy on (fairness, coverage): "
        f"{sum(1 for x in xs if x['behind'])} (compared where the greedy kept the pins and "
        f"the plan is not infeasible: {sum(1 for x in xs if _compared(x))} of {len(xs)})",
        f"- plans behind the witness plan (the pinned needs staffed, valid, keeps every "
        f"pin): {sum(1 for x in xs if x.get('behind_witness'))} (compared: "
        f"{sum(1 for x in xs if x.get('behind_witness') is not None)} of {len(xs)})",
        f"- infeasible although every pin had a witness: "
        f"{sum(1 for x in xs if any('witness' in f for f in x['fails']))}",
        f"- bound below coverage: {sum(1 for x in xs if any('bound' in f for f in x['fails']))}",
        f"- solve wall time: median {statistics.median(secs):.1f} s, max {secs[-1]:.1f} s; "
        f"over the limit + 5%: {sum(1 for x in xs if x['seconds'] > 1.05 * lim)}",
        f"- {gap_summary(xs)}",
        f"- wild pins: {len(wild)} problems with them (kinds "
        f"{dict(sum((Counter(x['wild']) for x in wild), Counter()))}), "
        f"{sum(1 for x in wild if x['wild_alone_impossible'])} with a pin impossible on its own;"
        f" {len(inf)} infeasible; pins named per infeasible plan (wild of all, count): "
        f"{dict(sorted(Counter(_named(x) for x in inf).items()))}",
        "",
    ]
    wide = sorted((x for x in xs if x["gap"] is not None and x["gap"] > GAP_TARGET
                   and x["recipe"]["volunteers"] >= 1000), key=lambda x: -x["gap"])
    if wide:
        lines += ["Gaps above 0.3% (the issue's coverage target; the bound is the solver's own, "
                  "so part of a gap may be the bound's):", ""]
        for x in wide:
            lines.append(f"- {100 * x['gap']:.2f}%: `{recipe_call(x['recipe'])}` + {x['extra']} "
                         f"{x['mode']} wild, {x['needs']} needs, {x['pins']} pins: coverage "
                         f"{x['coverage']} of bound {x['bound']:g} (greedy {x['g_coverage']})")
        lines.append("")
    if bad:
        lines += ["Failures (`family.generate(Recipe(...))`, then `properties.add_wild(doc, "
                  "extra, mode, seed)`; the problem is saved under `/tmp/props-fail/`):", ""]
        for x in bad:
            lines.append(f"- `{recipe_call(x['recipe'])}` + {x['extra']} {x['mode']} wild: "
                         + "; ".join(x["fails"]))
        lines.append("")
    return "\n".join(lines), bad


def _keep_notes(path: Path, key: str, text: str) -> str:
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    start, end, notes = f"<!-- {key} -->", f"<!-- /{key} -->", "<!-- notes -->"
    if start in old and end in old:
        body = old[old.index(start):old.index(end)]
        if notes in body:
            return text + "\n" + body[body.index(notes):].rstrip("\n")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["mid", "large"], default="mid")
    ap.add_argument("--examples", type=int, default=None, help="default 40 mid, 12 large")
    ap.add_argument("--start", type=int, default=0, help="first draw to run (slices)")
    ap.add_argument("--pool", type=int, default=None,
                    help="draws to take from hypothesis (default: start + examples for mid, "
                    "120 for large, of which 52 have a new shape); the list depends on it")
    ap.add_argument("--time-limit", type=float, default=None, help="default 10 mid, 30 large")
    ap.add_argument("--wild", choices=["any", "free"], default="any",
                    help="mid only: the kind of wild pins (`any` is the recorded draw)")
    ap.add_argument("--fresh", action="store_true", help="forget earlier slices")
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the section from the recorded examples, run nothing")
    args = ap.parse_args(argv)
    large = args.scale == "large"
    n = args.examples if args.examples is not None else (12 if large else 40)
    limit = args.time_limit if args.time_limit is not None else (30.0 if large else 10.0)
    pool = args.pool if args.pool is not None else (
        120 if large else args.start + n)
    drawn = draws(args.scale, pool, args.wild)
    if args.start + n > len(drawn):
        ap.error(f"--start + --examples ({args.start + n}) exceeds the {len(drawn)} draws of a "
                 f"pool of {pool} (raise --pool)")
    todo = drawn[args.start:args.start + n]
    out_path = REPO / "benchmarks" / "out" / (
        f"properties-{args.scale}-{limit:g}s-{args.wild}-p{pool}.json")
    key = {"pool": pool, "time_limit": limit, "wild": args.wild}
    store: dict[str, Any] = {**key, "slices": [], "examples": {}}
    if out_path.is_file() and not args.fresh:
        old = json.loads(out_path.read_text(encoding="utf-8"))
        if all(old.get(k) == v for k, v in key.items()):
            store = old
    if args.report_only:
        todo = []
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    for i, (r, extra, mode) in enumerate(todo, start=args.start):
        print(f"[{i}] {recipe_call(dataclasses.asdict(r))} + {extra} {mode} wild", flush=True)
        out = check(r, extra, limit, mode)
        store["examples"][str(i)] = out
        gap = "-" if out["gap"] is None else f"{100 * out['gap']:.2f}%"
        print(f"    {out['needs']} needs {out['pins']} pins: {out['status']} cov "
              f"{out['coverage']} bound {out['bound']} gap {gap} (greedy {out['g_coverage']})"
              f" fair {out['fairness']} (greedy {out['g_fairness']}) {out['seconds']:.1f}s"
              + (f" names {out['named']} pins ({out['named_wild']} wild)"
                 if out["status"] == "infeasible" else "")
              + (" FAIL " + "; ".join(out["fails"]) if out["fails"] else ""), flush=True)
    cmd = (f"flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/properties.py --scale "
           f"{args.scale} --examples {n} --start {args.start} --time-limit {limit:g}"
           + (f" --wild {args.wild}" if args.wild != "any" else "")
           + (f" --pool {pool}" if args.pool is not None else ""))
    keep = [s for s in store["slices"] if args.report_only  # a rerun replaces what it covers
            or s["start"] + s["examples"] <= args.start or s["start"] >= args.start + n]
    store["slices"] = keep + ([] if args.report_only else [{
        "start": args.start, "examples": n, "utc": started, "commit": _git_head(),
        "minutes": (time.monotonic() - t0) / 60, "command": cmd,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}])
    store["slices"].sort(key=lambda s: s["start"])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(store, indent=1), encoding="utf-8")
    text, _bad = report(store, args.scale)
    print(text)
    if not args.no_report:
        path = REPO / "benchmarks" / "RESULTS.md"
        sec = "properties-large" if large else "properties"
        write_section(path, sec, _keep_notes(path, sec, text))
    return 1 if any(store["examples"][str(i)]["fails"]
                    for i in range(args.start, args.start + len(todo))) else 0


if __name__ == "__main__":
    sys.exit(main())
