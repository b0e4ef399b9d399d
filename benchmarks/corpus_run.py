"""The corpus benchmark: matcher, a greedy and the HiGHS MIP reference on the two families
of `benchmarks/corpus/` (problems we did not tune to), each plan checked by the validator.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/corpus_run.py \
        --family gansu --time-limit 60 [--only v1000_day,v2500_surge] [--max-volunteers N]
        [--ref-time-limit 600 --ref-max-volunteers 2500] [--reuse-ref]
    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/corpus_run.py \
        --family ptsp --time-limit 30 [--every 1]

Each (instance, method) runs in a fresh subprocess (`benchmarks/worker.py`, via
`benchmarks/run.py`'s `run_one`). Raw results go to `benchmarks/corpus/out/results/`; the
HiGHS reference (long limit) is kept there and reused with `--reuse-ref`, so the reference
can be computed once and matcher rerun against it. The report goes to its own section of
`benchmarks/RESULTS.md` (`<!-- corpus-<family> -->`), the figures to
`benchmarks/corpus_<family>.csv`.

Reference values: the HiGHS MIP baseline (`baselines/highs_mip.py`) at `--ref-time-limit`;
where it ends `optimal`, its fairness, coverage, fill and travel are proven optima (its
weighted objective is lexicographic when `objective_note` is empty). The proven coverage bound
of an instance is the smallest of the bounds matcher and HiGHS report. PTSP: every task is
doable in the originals, so the reference coverage is the number of tasks.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus import family, ptsp  # noqa: E402
from benchmarks.run import machine, run_one  # noqa: E402

OUT = REPO / "benchmarks" / "corpus" / "out"


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def gansu_problems(only: list[str], max_vol: int) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for r in family.RECIPES.values():
        if (only and r.name not in only) or r.volunteers > max_vol:
            continue
        path = OUT / "family" / f"gansu_{r.name}.json"
        if not path.is_file():
            family.write(r, path.parent)
        out.append((path, {"volunteers": r.volunteers, "days": r.days, "windows": r.windows,
                           "pins": r.pins, "fairness": r.fairness, "money": r.money,
                           "kind": r.kind}))
    return out


def ptsp_problems(only: list[str], every: int) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for k, inst in enumerate(ptsp.instances()):
        if (only and inst.name not in only) or k % every:
            continue
        path = OUT / "ptsp" / f"ptsp_{inst.name}.json"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(ptsp.to_problem(inst), separators=(",", ":")),
                            encoding="utf-8")
        out.append((path, {"tasks": len(inst.tasks), "workers": len(inst.quals),
                           "reference": len(inst.tasks)}))
    return out


LOCK = "/tmp/matcher-bench.lock"
USE_LOCK = False


def run(path: Path, method: str, limit: float, tag: str, reuse: bool,
        max_model_size: int | None) -> dict[str, Any]:
    res_dir = OUT / "results" / tag
    res_dir.mkdir(parents=True, exist_ok=True)
    cached = res_dir / f"{path.stem}.{method}.json"
    if reuse and cached.is_file():
        r = json.loads(cached.read_text(encoding="utf-8"))
        r["reused"] = True
        return r
    if USE_LOCK:  # one run at a time on the machine, the lock held per run
        import fcntl

        with open(LOCK, "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            r = run_one(path, method, limit, res_dir, max_model_size, slack=max(60.0, limit))
    else:
        r = run_one(path, method, limit, res_dir, max_model_size, slack=max(60.0, limit))
    cached.write_text(json.dumps({k: v for k, v in r.items() if k != "history"}),
                      encoding="utf-8")
    return r


# --- figures --------------------------------------------------------------------------------


def _ok(r: dict[str, Any] | None) -> bool:
    return bool(r) and "error" not in r and r.get("found", True)  # type: ignore[union-attr]


def compare(name: str, info: dict[str, Any], m: dict[str, Any], g: dict[str, Any] | None,
            h: dict[str, Any] | None, limit: float) -> dict[str, Any]:
    """One instance's row: matcher against the greedy and the reference."""
    row: dict[str, Any] = {"instance": name, **info}
    row["status"] = m.get("status") if "error" not in m else "error: " + m["error"][:80]
    row["valid"] = m.get("valid") if _ok(m) else None
    for k in ("coverage", "fill", "travel_km", "fairness", "met", "needs", "final_s",
              "wall_s", "peak_mb", "load_s"):
        row[k] = m.get(k)
    bounds = [x for x in (m.get("bound") if _ok(m) else None,
                          h.get("bound") if _ok(h) else None, info.get("reference"))
              if x is not None]
    row["best_bound"] = min(bounds) if bounds else None
    if row["best_bound"] and _ok(m):
        row["gap_pct"] = 100.0 * max(0.0, row["best_bound"] - m["coverage"]) / row["best_bound"]
    if _ok(g):
        assert g is not None
        row["g_coverage"], row["g_fairness"], row["g_valid"] = (
            g.get("coverage"), g.get("fairness"), g.get("valid"))
        row["g_travel_km"] = g.get("travel_km")
    if _ok(h):
        assert h is not None
        row["ref_status"] = h.get("status")
        row["ref_coverage"], row["ref_fill"], row["ref_travel_km"], row["ref_fairness"] = (
            h.get("coverage"), h.get("fill"), h.get("travel_km"), h.get("fairness"))
        proven = h.get("proven")
        if proven is None:  # the one-weighted-sum HiGHS baseline: all or nothing
            exact = h.get("status") == "optimal" and "objective:" not in (h.get("note") or "")
            proven = ["fairness", "coverage", "fill", "travel"] if exact else []
        row["ref_proven"] = ",".join(proven) or "-"
        row["ref_exact"] = "travel" in proven
        if "fairness" not in proven:
            row["ref_fairness_proven"] = None
        else:
            row["ref_fairness_proven"] = h.get("fairness")
        row["ref_coverage_proven"] = "coverage" in proven
        row["ref_valid"] = h.get("valid")
    elif h is not None:
        row["ref_status"] = "error" if "error" in h else "no plan"
        row["ref_note"] = (h.get("error") or h.get("note") or "")[:100]
    # The whole command: loading the problem plus the solve (writing the plan is small).
    if _ok(m) and m.get("final_s") is not None:
        row["command_s"] = (m.get("load_s") or 0.0) + m["final_s"]
        row["overrun"] = row["command_s"] > 1.05 * limit
    if "reference" in info and _ok(m):
        row["fully_met"] = m.get("coverage") == info["reference"]
    return row


def aggregate(rows: list[dict[str, Any]], min_vol: int = 1000) -> dict[str, Any]:
    n = len(rows)
    valid = sum(1 for r in rows if r.get("valid"))
    gaps = [r["gap_pct"] for r in rows if r.get("gap_pct") is not None]
    big = [r for r in rows if (r.get("volunteers") or 0) >= min_vol and r.get("gap_pct")
           is not None]
    fair = [r for r in rows if r.get("fairness") is not None]
    out: dict[str, Any] = {
        "instances": n, "valid": valid, "valid_pct": 100.0 * valid / n if n else 0.0,
        "mean_gap_pct": sum(gaps) / len(gaps) if gaps else None,
        "max_gap_pct": max(gaps) if gaps else None,
        "within_0.3pct": sum(1 for r in big if r["gap_pct"] <= 0.3), "big": len(big),
        "overruns": sum(1 for r in rows if r.get("overrun")),
        "max_command_s": max((r.get("command_s") or 0.0 for r in rows), default=0.0),
    }
    if fair:
        out["fair_below_greedy"] = sum(
            1 for r in fair if r.get("g_fairness") is not None
            and r["fairness"] < r["g_fairness"] - 1e-9)
        opt = [r for r in fair if r.get("ref_fairness_proven") is not None]
        out["fair_vs_opt"] = [(r["instance"], r["fairness"], r["ref_fairness_proven"])
                              for r in opt]
        out["fair_instances"] = len(fair)
    trav = [r for r in rows if r.get("ref_exact") and r.get("coverage") == r.get("ref_coverage")
            and r.get("fill") == r.get("ref_fill") and r.get("ref_travel_km")]
    out["travel_ratio"] = [(r["instance"], r["travel_km"] / r["ref_travel_km"]) for r in trav]
    fm = [r for r in rows if "fully_met" in r]
    if fm or any("reference" in r for r in rows):
        out["fully_met"] = sum(1 for r in fm if r["fully_met"])
    return out


def _f(x: Any, fmt: str) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if fmt == "d" and isinstance(x, float):
        return format(round(x), ",d")
    return format(x, "," + fmt if fmt == "d" else fmt)


GANSU_COLS = [
    ("instance", "instance", "s"), ("volunteers", "vol.", "d"), ("needs", "needs", "d"),
    ("days", "days", "d"), ("fairness", "fairness", ".3f"), ("g_fairness", "greedy fair.", ".3f"),
    ("ref_fairness", "ref. fair.", ".3f"), ("coverage", "coverage", "d"),
    ("g_coverage", "greedy cov.", "d"), ("ref_coverage", "ref. cov.", "d"),
    ("best_bound", "proven bound", "d"), ("gap_pct", "gap %", ".2f"), ("fill", "fill", "d"),
    ("ref_fill", "ref. fill", "d"), ("travel_km", "travel km", ".1f"),
    ("ref_travel_km", "ref. travel km", ".1f"), ("ref_proven", "ref. proves", "s"),
    ("command_s", "load+solve s", ".1f"), ("peak_mb", "peak MB", ".0f"), ("valid", "valid", "s"),
    ("status", "status", "s"),
]
PTSP_COLS = [
    ("instance", "instance", "s"), ("tasks", "tasks", "d"), ("workers", "workers", "d"),
    ("coverage", "met", "d"), ("g_coverage", "greedy met", "d"), ("fully_met", "all met", "s"),
    ("command_s", "load+solve s", ".1f"), ("wall_s", "process s", ".1f"),
    ("valid", "valid", "s"), ("status", "status", "s"),
]


def table(rows: list[dict[str, Any]], cols: list[tuple[str, str, str]]) -> str:
    head = "| " + " | ".join(h for _, h, _ in cols) + " |"
    sep = "|" + "|".join("---" for _ in cols) + "|"
    body = []
    for r in rows:
        cells = []
        for k, _, fmt in cols:
            v = r.get(k)
            cells.append(_f(v, "") if fmt == "s" or isinstance(v, bool) else _f(v, fmt))
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *body])


def summary_lines(agg: dict[str, Any], fam: str, limit: float) -> list[str]:
    out = [
        f"- valid plans: {agg['valid']} of {agg['instances']} ({agg['valid_pct']:.1f}%)",
        f"- coverage gap to the proven bound: mean {_f(agg['mean_gap_pct'], '.2f')}%, "
        f"max {_f(agg['max_gap_pct'], '.2f')}%"
        + (f"; within 0.3% on {agg['within_0.3pct']} of {agg['big']} instances with >= 1,000 "
           "volunteers" if fam == "gansu" else ""),
        f"- time limit ({limit:g} s): load+solve over {1.05 * limit:.1f} s on {agg['overruns']} "
        f"instances; longest {agg['max_command_s']:.1f} s",
    ]
    if "fair_instances" in agg:
        opt = ", ".join(f"{n} {a:.3f} vs {b:.3f}" for n, a, b in agg["fair_vs_opt"]) or "none"
        out.append(f"- fairness: below the greedy's on {agg['fair_below_greedy']} of "
                   f"{agg['fair_instances']} instances with fairness; against a proven "
                   f"optimum: {opt}")
    if agg["travel_ratio"]:
        out.append("- travel / reference travel where matcher matches the reference's proven "
                   "coverage and fill: " + ", ".join(f"{n} {x:.3f}"
                                                     for n, x in agg["travel_ratio"]))
    elif fam == "gansu":
        out.append("- travel vs reference: no instance where matcher matches a proven "
                   "reference's coverage and fill")
    if "fully_met" in agg:
        out.append(f"- every task met on {agg['fully_met']} of {agg['instances']} instances")
    return out


def write_section(path: Path, key: str, text: str) -> None:
    """Replace (or append) the section between `<!-- key -->` and `<!-- /key -->`."""
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    block = f"{start}\n{text}\n{end}"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", choices=["gansu", "ptsp"], required=True)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="matcher's limit (default 60 s gansu, 30 s ptsp)")
    ap.add_argument("--only", default="")
    ap.add_argument("--max-volunteers", type=int, default=10**9)
    ap.add_argument("--every", type=int, default=1, help="ptsp: every k-th instance")
    ap.add_argument("--methods", default="matcher,greedy,reference")
    ap.add_argument("--ref-time-limit", type=float, default=600.0)
    ap.add_argument("--ref-max-volunteers", type=int, default=2500,
                    help="run the HiGHS reference only up to this size")
    ap.add_argument("--reuse-ref", action="store_true",
                    help="reuse stored HiGHS reference results")
    ap.add_argument("--ref-cached-only", action="store_true",
                    help="use a stored reference where there is one, never run a new one")
    ap.add_argument("--max-model-size", type=int, default=None)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--lock", action="store_true",
                    help=f"take {LOCK} for each run (instead of flock around the whole command)")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse stored matcher and greedy results of the same time limit")
    args = ap.parse_args(argv)
    global USE_LOCK
    USE_LOCK = args.lock
    fam = args.family
    limit = args.time_limit or (60.0 if fam == "gansu" else 30.0)
    only = [x for x in args.only.split(",") if x]
    methods = [x for x in args.methods.split(",") if x]
    if fam == "ptsp":
        # The reference is known: every task is doable.
        methods = [m for m in methods if m not in ("highs", "reference")]
    probs = (gansu_problems(only, args.max_volunteers) if fam == "gansu"
             else ptsp_problems(only, args.every))
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    rows = []
    for path, info in probs:
        res: dict[str, dict[str, Any]] = {}
        for meth in methods:
            if meth in ("highs", "reference"):
                if info.get("volunteers", 0) > args.ref_max_volunteers:
                    continue
                tag = f"{meth}_{args.ref_time_limit:g}"
                if args.ref_cached_only and not (
                        OUT / "results" / tag / f"{path.stem}.{meth}.json").is_file():
                    continue
                res[meth] = run(path, meth, args.ref_time_limit, tag,
                                args.reuse_ref or args.ref_cached_only,
                                args.max_model_size)
            else:
                res[meth] = run(path, meth, limit, f"{fam}_{limit:g}", args.reuse,
                                args.max_model_size)
        name = path.stem
        if "matcher" not in res:
            continue
        row = compare(name, info, res["matcher"], res.get("greedy"),
                      res.get("reference") or res.get("highs"), limit)
        rows.append(row)
        print(f"{name}: status {row['status']}, valid {row['valid']}, coverage "
              f"{row['coverage']} / bound {row.get('best_bound')} (gap "
              f"{_f(row.get('gap_pct'), '.2f')}%), greedy {row.get('g_coverage')}, fairness "
              f"{_f(row.get('fairness'), '.3f')} (greedy {_f(row.get('g_fairness'), '.3f')}, "
              f"ref {_f(row.get('ref_fairness'), '.3f')}), load+solve "
              f"{_f(row.get('command_s'), '.1f')} s", flush=True)
    total = time.monotonic() - t0
    if not rows:
        return 0
    agg = aggregate(rows)
    keys = sorted({k for r in rows for k in r})
    csv_path = REPO / "benchmarks" / f"corpus_{fam}.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in keys})
    cmd = ("" if args.lock else f"flock {LOCK} ") + ".venv/bin/python " + " ".join(
        shlex.quote(a) for a in ["benchmarks/corpus_run.py", *(argv or sys.argv[1:])])
    title = ("Gansu family (independent generator)" if fam == "gansu"
             else "PTSP (Krishnamoorthy, Ernst & Baatar 2012)")
    lines = [
        f"## Corpus: {title}", "",
        f"Command: `{cmd}`  ",
        f"Run: {started}, {total / 60:.1f} min in all, at commit `{_git_head()}`  ",
        f"Machine: {machine()}  ",
        f"matcher: `matcher.solver.solve`, {limit:g} s, seed 0, 2 workers; greedy: "
        "`baselines/greedy.py`; "
        + ("reference: every task (the originals are all doable)." if fam == "ptsp" else
           f"reference: SPEC's stages as exact HiGHS MIPs (`baselines/reference.py`) at "
           f"{args.ref_time_limit:g} s on instances up to {args.ref_max_volunteers:,} "
           "volunteers; `ref. proves` names the stages it proved."),
        "",
        "The machine was shared (2 cores, other engineers' jobs running beside this one; "
        "every run held `/tmp/matcher-bench.lock`), so times are indicative. `load+solve s` "
        "is loading the problem plus matcher's solve, i.e. the `matcher solve` command "
        "without writing the plan; `peak MB` the worker's max RSS (validation included).",
        "", "Aggregate:", "", *summary_lines(agg, fam, limit), "",
        table(rows, GANSU_COLS if fam == "gansu" else PTSP_COLS), "",
    ]
    bad = [r for r in rows if r.get("valid") is False or str(r.get("status", "")).startswith(
        "error")]
    if bad:
        lines += ["Invalid plans or errors:", ""] + [
            f"- {r['instance']}: {r['status']}" for r in bad] + [""]
    text = "\n".join(lines)
    print(text)
    if not args.no_report:
        write_section(Path(args.out), f"corpus-{fam}", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
