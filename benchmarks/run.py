"""The benchmark harness: every scenario with every method, one after the other, same time
limit, each (scenario, method) in a fresh subprocess (`benchmarks/worker.py`).

    .venv/bin/python benchmarks/run.py [--time-limit 60] [--scenarios a,b]
        [--methods matcher,greedy,cpsat,highs] [--out benchmarks/RESULTS.md]

Prints a table and writes `benchmarks/results.csv`, the harness section of
`benchmarks/RESULTS.md` (between `<!-- harness -->` and `<!-- /harness -->`; the rest of the
file is left alone) and, when the city scenario (yibin) is run, `benchmarks/coverage_city.png`.
Raw results and plans go to `benchmarks/out/` (not committed). A scenario is a name in
`scenarios/` (`runzhou`), a conformance problem (`c01`), or a path to a problem file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SCENARIOS = ["runzhou", "tianchang", "zhecheng", "chengyang", "yibin"]
CITY = "yibin"
METHODS = ["matcher", "greedy", "cpsat", "highs"]
LABELS = {"matcher": "matcher", "greedy": "greedy (coordinator)",
          "cpsat": "monolithic CP-SAT", "highs": "HiGHS MIP"}
START, END = "<!-- harness -->", "<!-- /harness -->"


def resolve(name: str) -> Path:
    if name.endswith(".json") or "/" in name:
        return Path(name).resolve()
    if name.startswith("c") and name[1:].isdigit():
        return (REPO.parent / "shared" / "conformance" / f"{name}.problem.json").resolve()
    return REPO / "scenarios" / f"{name}.json"


def scenario_name(name: str) -> str:
    return Path(name).name.removesuffix(".json").removesuffix(".problem")


def run_one(problem: Path, method: str, time_limit: float, out_dir: Path,
            max_model_size: int | None, slack: float) -> dict[str, Any]:
    """One (scenario, method) in a fresh subprocess; its own peak memory from os.wait4."""
    name = scenario_name(str(problem))
    res_path = out_dir / f"{name}.{method}.json"
    plan_path = out_dir / f"{name}.{method}.plan.json"
    res_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(BENCH / "worker.py"), "--problem", str(problem),
           "--method", method, "--time-limit", str(time_limit), "--out", str(res_path),
           "--plan", str(plan_path)]
    if max_model_size is not None:
        cmd += ["--max-model-size", str(max_model_size)]
    log = open(out_dir / f"{name}.{method}.log", "w", encoding="utf-8")  # noqa: SIM115
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    timeout = time_limit + slack
    killed = False
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if not killed and time.monotonic() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker's own process group
            killed = True
        time.sleep(0.1)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    out: dict[str, Any] = {"scenario": name, "method": method, "time_limit": time_limit}
    if res_path.is_file():
        out.update(json.loads(res_path.read_text(encoding="utf-8")))
    elif killed:
        out["error"] = f"killed after {wall:.0f} s (time limit {time_limit:g} s + {slack:g} s)"
    else:
        code = proc.returncode
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        out["error"] = f"worker died ({how}, out of memory?)" if code < 0 else (
            f"worker failed ({how}); see benchmarks/out/{name}.{method}.log")
    out["scenario"] = name
    out["peak_mb"] = ru.ru_maxrss / 1024.0  # KiB on Linux
    out["wall_s"] = wall
    return out


# --- reporting -------------------------------------------------------------------------


def _f(x: Any, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def rows_for(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    greedy = {r["scenario"]: r for r in results if r["method"] == "greedy" and "error" not in r}
    rows = []
    for r in results:
        g = greedy.get(r["scenario"])
        err = r.get("error")
        row: dict[str, Any] = {
            "scenario": r["scenario"], "method": r["method"],
            "status": "error" if err else (r.get("status") if r.get("found", True)
                                           else "no plan"),
            "coverage": None if err else r.get("coverage"),
            "bound": None if err else r.get("bound"),
            "gap_pct": None if err or r.get("gap") is None else 100.0 * r["gap"],
            "fill": None if err else r.get("fill"),
            "travel_km": None if err else r.get("travel_km"),
            "fairness": None if err else r.get("fairness"),
            "met": None if err else r.get("met"),
            "needs": r.get("needs"),
            "first_s": None if err else r.get("first_s"),
            "final_s": None if err else r.get("final_s"),
            "peak_mb": r.get("peak_mb"),
            # An all-unmet fallback (no plan found) is not the method's plan: no verdict.
            "valid": None if err or not r.get("found", True) else r.get("valid"),
            "violations": None if err else r.get("violations"),
            "cov_vs_greedy": None, "travel_vs_greedy": None,
            "note": err or r.get("note", ""),
        }
        over = (r.get("final_s") or 0.0) - float(r.get("time_limit") or 0.0)
        if not err and r.get("time_limit") and over > max(1.0, 0.02 * float(r["time_limit"])):
            row["note"] = (row["note"] + "; " if row["note"] else "") + (
                f"ran {over:.1f} s past the {float(r['time_limit']):g} s time limit")
        if not err and not r.get("found", True):
            # The all-unmet fallback is not the method's plan: report no figures for it.
            for k in ("coverage", "bound", "gap_pct", "fill", "travel_km", "fairness", "met"):
                row[k] = None
        if g is not None and not err and r.get("found", True) and g.get("found", True):
            if g.get("coverage"):
                row["cov_vs_greedy"] = r["coverage"] / g["coverage"]
            if g.get("travel_km"):
                row["travel_vs_greedy"] = r["travel_km"] / g["travel_km"]
        rows.append(row)
    return rows


COLUMNS = [
    ("scenario", "scenario", "s"), ("method", "method", "s"), ("status", "status", "s"),
    ("coverage", "coverage", "d"), ("bound", "bound", "g"), ("gap_pct", "gap %", ".1f"),
    ("fairness", "fairness", ".3f"), ("fill", "fill", "d"), ("travel_km", "travel km", ".1f"),
    ("first_s", "first plan s", ".2f"), ("final_s", "final plan s", ".2f"),
    ("peak_mb", "peak MB", ".0f"), ("valid", "valid", "s"),
    ("cov_vs_greedy", "coverage / greedy", ".3f"), ("travel_vs_greedy", "travel / greedy", ".3f"),
]


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    v = row[key]
    if key == "valid":
        return "-" if v is None else ("yes" if v else f"NO ({row['violations']})")
    if key == "method":
        return LABELS.get(v, v)
    if fmt == "s":
        return "-" if v is None else str(v)
    return _f(v, fmt)


def table(rows: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    sep = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def notes(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        if r["note"]:
            out.append(f"- {r['scenario']} / {LABELS.get(r['method'], r['method'])}: {r['note']}")
    return "\n".join(out)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine() -> str:
    mem = [ln for ln in _read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")]
    ram = f"{int(mem[0].split()[1]) / 1024 / 1024:.1f} GiB RAM" if mem else "RAM unknown"
    names = [ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
             if ln.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    vers = []
    for pkg in ("ortools", "highspy", "numpy"):
        try:
            from importlib.metadata import version

            vers.append(f"{pkg} {version(pkg)}")
        except Exception:  # noqa: BLE001
            pass
    return (f"{os.cpu_count()} CPUs (nproc) {cpu}, {ram}, Python {platform.python_version()}, "
            + ", ".join(vers))


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    keys = ["scenario", "method", "status", "coverage", "bound", "gap_pct", "fill", "travel_km",
            "fairness", "met", "needs", "first_s", "final_s", "peak_mb", "valid", "violations",
            "cov_vs_greedy", "travel_vs_greedy", "note"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in keys})


def section(rows: list[dict[str, Any]], command: str, time_limit: float, started: str,
            plot: str | None, total_s: float) -> str:
    parts = [
        START,
        "## Benchmark harness: matcher against three baselines",
        "",
        f"Command: `{command}`  ",
        f"Run: {started}, {total_s / 60:.1f} min in all  ",
        f"Machine: {machine()}  ",
        f"Time limit: {time_limit:g} s for every (scenario, method), building the model "
        "included; each run in a fresh subprocess, one run at a time.",
        "",
        "The machine is shared: it has only 2 cores and other developers were running their "
        "own jobs during this run, so times (and what the time-limited methods reach) are "
        "indicative, not a clean measurement. Ratios are against the greedy baseline of the "
        "same run.",
        "",
        table(rows),
        "",
    ]
    nt = notes(rows)
    if nt:
        parts += ["Notes per run:", "", nt, ""]
    if plot:
        parts += [f"Coverage (solid) and proven bound (dashed) over time on the city scenario "
                  f"({CITY}): [{plot}]({plot})", "", f"![coverage over time on {CITY}]({plot})",
                  ""]
    parts += [
        "What is measured:",
        "",
        "- coverage, fill, travel: the plan's own SPEC objective values, recomputed by "
        "`matcher.validate.plan_values`; valid: `matcher.validate.validate` finds no "
        "violation (every rule, the document rules and the reported values);",
        "- fairness: SPEC's first stage, only where the problem asks for it (zhecheng); "
        "SPEC's order is fairness, then coverage, then fill, then travel, so on such a "
        "scenario a plan with more coverage but less fairness is the worse plan;",
        "- bound: the plan's proven upper bound on coverage (greedy proves nothing: its bound is "
        "the trivial one, every need met); gap = (bound - coverage) / bound;",
        "- first plan s: matcher's `first_solution_seconds` (its first progress report, a "
        "greedy warm start or CP-SAT incumbent); the CP-SAT baseline's first solution callback; "
        "HiGHS's first improving-solution callback; greedy: its only plan. Final plan s: the "
        "method's call from the problem in memory to the plan (loading and validating not "
        "counted);",
        "- peak MB: the worker process's maximum resident set (`os.wait4` on that child), "
        "which includes the Python interpreter, loading the problem and validating the plan;",
        "- status `no plan`: a monolithic model too large to build (size guard, see notes) or "
        "no solution within the time limit; the all-unmet fallback plan is not scored.",
        "",
        "The methods: `matcher` is `matcher.solver.solve` (seed 0, 2 workers); the baselines "
        "are in `benchmarks/baselines/` and each file's docstring says exactly what it is: "
        "`greedy.py` a coordinator's rule (highest priority first, nearest free resources), "
        "`monolithic_cpsat.py` one CP-SAT model over every volunteer x need x role pair with the "
        "skill (rules as constraints and variable fixing, pairwise no-overlap rows, one weighted "
        "objective), `highs_mip.py` the same model as a MIP solved by HiGHS. The baselines do "
        "not use `matcher.solver`.",
        END,
    ]
    return "\n".join(parts)


def write_section(path: Path, text: str) -> None:
    old = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmark results\n"
    if START in old and END in old:
        a = old.index(START)
        b = old.index(END) + len(END)
        new = old[:a] + text + old[b:]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    ap.add_argument("--csv", default=None, help="default: results.csv beside --out")
    ap.add_argument("--max-model-size", type=int, default=None,
                    help="size guard of the monolithic baselines (default in common.py)")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: redraw the table, CSV, RESULTS.md section and plot from "
                         "benchmarks/out/results.json (the last run)")
    ap.add_argument("--slack", type=float, default=None,
                    help="seconds a worker may run past the time limit before it is killed "
                         "(default: max(120, 2 x time limit))")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        ap.error(f"unknown method(s) {bad}; choose from {METHODS}")
    problems = [resolve(n) for n in names]
    missing = [str(p) for p in problems if not p.is_file()]
    if missing:
        ap.error(f"missing problem file(s): {', '.join(missing)}")
    out_md = Path(args.out)
    out_csv = Path(args.csv) if args.csv else out_md.with_name("results.csv")
    out_dir = BENCH / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    slack = args.slack if args.slack is not None else max(120.0, 2 * args.time_limit)
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = " ".join(["python benchmarks/run.py", *map(shlex.quote, argv or sys.argv[1:])])
    if args.report_only:
        return report_only(args, out_md, out_csv, out_dir)
    t0 = time.monotonic()
    results = []
    for problem in problems:
        for method in methods:
            print(f"[{time.monotonic() - t0:7.1f} s] {scenario_name(str(problem))} / {method} ...",
                  flush=True)
            r = run_one(problem, method, args.time_limit, out_dir, args.max_model_size, slack)
            results.append(r)
            msg = r.get("error") or (f"{r.get('status')} coverage {r.get('coverage')} "
                                     f"bound {r.get('bound')} valid {r.get('valid')}")
            print(f"    {msg}; {r['wall_s']:.1f} s wall, {r['peak_mb']:.0f} MB", flush=True)
    total = time.monotonic() - t0
    meta = {"command": command, "started": started, "total_s": total,
            "time_limit": args.time_limit, "commit": git_commit()}
    (out_dir / "results.json").write_text(json.dumps({"meta": meta, "results": results}),
                                          encoding="utf-8")
    report(results, meta, out_md, out_csv)
    return 0


def git_commit() -> str:
    """The checkout's commit (and whether files differ from it), for the report."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, text=True, capture_output=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + (" with uncommitted changes" if dirty.strip() else "")


def report_only(args: argparse.Namespace, out_md: Path, out_csv: Path, out_dir: Path) -> int:
    data = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    if isinstance(data, list):  # written before meta was stored
        results = data
        mtime = dt.datetime.fromtimestamp((out_dir / "results.json").stat().st_mtime)
        tl = float(results[0].get("time_limit", args.time_limit)) if results else 0.0
        meta = {"command": f"python benchmarks/run.py --time-limit {tl:g}",
                "started": mtime.astimezone().strftime("finished %Y-%m-%d %H:%M %Z"),
                "total_s": sum(float(r.get("wall_s", 0)) for r in results), "time_limit": tl}
    else:
        results, meta = data["results"], data["meta"]
    report(results, meta, out_md, out_csv)
    return 0


def report(results: list[dict[str, Any]], meta: dict[str, Any], out_md: Path,
           out_csv: Path) -> None:
    rows = rows_for(results)
    plot_rel = None
    if CITY in {r["scenario"] for r in results}:
        try:
            from benchmarks.plot import plot_coverage  # noqa: PLC0415

            png = out_md.with_name("coverage_city.png")
            plot_coverage([r for r in results if r["scenario"] == CITY], png, CITY,
                          float(meta["time_limit"]))
            plot_rel = png.name
        except Exception as err:  # noqa: BLE001 - a plot must not lose the results
            print(f"plot failed: {err}", file=sys.stderr)
    command, started, total = meta["command"], meta["started"], float(meta["total_s"])
    print()
    print(table(rows))
    nt = notes(rows)
    if nt:
        print()
        print(nt)
    write_csv(rows, out_csv)
    if meta.get("commit"):
        started += f", code at commit {meta['commit']}"
    write_section(out_md, section(rows, command, float(meta["time_limit"]), started, plot_rel,
                                  total))
    print(f"\nwrote {out_md} and {out_csv}" + (f" and {plot_rel}" if plot_rel else ""))


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
