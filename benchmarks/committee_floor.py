"""The committees' own results as a floor (issue 9, item 9): matcher on the tight scenarios
and on their "as reported" variants (`scenarios/as_reported.py`), needs met by category
against what each committee reports, and how many more needs the same pool met.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/committee_floor.py \
        [--time-limit 60] [--only zhecheng]

Each solve runs in a fresh subprocess (`benchmarks/worker.py`); plans go to
`benchmarks/out/committee/`. Prints a markdown table and writes it to the
`<!-- committee -->` section of `benchmarks/RESULTS.md`. Exit 1 when a plan is invalid or an
as-reported variant meets less than the committee did in some category.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus_run import _git_head, write_section  # noqa: E402
from benchmarks.run import machine, run_one  # noqa: E402

sys.path.insert(0, str(REPO / "scenarios"))
from as_reported import REPORTED  # noqa: E402

OUT = REPO / "benchmarks" / "out" / "committee"


def met_by_category(problem: Path, plan: Path) -> Counter[str]:
    doc = json.loads(problem.read_text(encoding="utf-8"))
    cat = {n["id"]: n.get("category", "") for n in doc["needs"]}
    met = json.loads(plan.read_text(encoding="utf-8"))["met"]
    return Counter(cat[m] for m in met)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args(argv)
    places = [p for p in REPORTED if not args.only or p in args.only.split(",")]
    subprocess.run([sys.executable, str(REPO / "scenarios" / "as_reported.py"),
                    *sum((["--only", p] for p in places), [])], check=True, cwd=REPO)
    OUT.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows: list[dict[str, Any]] = []
    failed = False
    for place in places:
        for variant, path in (("tight", REPO / "scenarios" / f"{place}.json"),
                              ("as reported",
                               REPO / "scenarios" / "reported" / f"{place}_reported.json")):
            r = run_one(path, "matcher", args.time_limit, OUT, None, slack=120.0)
            plan = OUT / f"{path.stem}.matcher.plan.json"
            got = met_by_category(path, plan) if plan.is_file() and "error" not in r else Counter()
            for cat, want in REPORTED[place].items():
                total = sum(1 for n in json.loads(path.read_text(encoding="utf-8"))["needs"]
                            if n.get("category") == cat)
                row = {"place": place, "variant": variant, "category": cat, "reported": want,
                       "needs": total, "met": got.get(cat, 0), "valid": r.get("valid"),
                       "status": r.get("status", r.get("error")), "coverage": r.get("coverage"),
                       "bound": r.get("bound"), "final_s": r.get("final_s"),
                       "all_met": sum(got.values()), "all_needs": r.get("needs")}
                rows.append(row)
                if r.get("valid") is not True or (variant == "as reported"
                                                  and row["met"] < want):
                    failed = True
            print(f"{place} {variant}: " + ", ".join(
                f"{c} {got.get(c, 0)}/{w}" for c, w in REPORTED[place].items())
                + f" (valid {r.get('valid')}, {r.get('status')}, coverage {r.get('coverage')}"
                f" / bound {r.get('bound')})", flush=True)
    head = ("| place | variant | needs | committee met | matcher met | more than the committee "
            "| all needs met by the same pool | plan valid | status | coverage / bound |")
    lines = [
        "## The committees' results as a floor (issue 9)", "",
        f"Command: `flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/committee_floor.py "
        f"--time-limit {args.time_limit:g}`  ",
        f"Run: {started} at commit `{_git_head()}`; machine: {machine()}; load average at the "
        f"end {os.getloadavg()[0]:.1f} (1 min), every solve under the lock.", "",
        "`tight`: the committed scenario; `as reported`: `scenarios/as_reported.py` (money and "
        "earmarks as the report has them). \"More than the committee\" is how many more needs of "
        "that category the same pool met in matcher's plan; the next column counts every need the "
        "plan meets (the committees report only the category), i.e. what the same pool of "
        "volunteers, venues and money could also do.", "",
        head, "|" + "---|" * 10,
    ]
    for r in rows:
        lines.append(
            f"| {r['place']} | {r['variant']} | {r['category']}: {r['needs']:,} | "
            f"{r['reported']:,} | {r['met']:,} | {r['met'] - r['reported']:+,} | "
            f"{r['all_met']:,} of {r['all_needs'] or 0:,} | "
            f"{'yes' if r['valid'] else 'NO'} | {r['status']} | "
            f"{r['coverage']} / {r['bound']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_report:
        write_section(REPO / "benchmarks" / "RESULTS.md", "committee", text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
